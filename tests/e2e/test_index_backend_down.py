"""The index backend unavailable for 30 s mid-run: documents wait (no commit, bounded memory),
nothing is dropped or doubled, and processing resumes by itself."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path

import psycopg
import pytest

from tests.contract.conftest import ADMIN_DSN, create_database, drop_database, dsn_for
from tests.e2e.conftest import NEWSFLOW, last_json_line, wait_for_progress
from tests.e2e.test_kill_a_service import DOCUMENTS, write_corpus

pytestmark = pytest.mark.e2e
OUTAGE_S = 30


async def set_connections(database: str, allowed: bool) -> None:
    """Open or shut the database: shut refuses new connections and ends the open ones."""
    async with await psycopg.AsyncConnection.connect(ADMIN_DSN, autocommit=True) as admin:
        await admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {str(allowed).lower()}')
        if not allowed:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (database,)
            )


async def stored_ids(dsn: str) -> list[str]:
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        return [row[0] for row in await (await conn.execute("SELECT doc_id FROM documents")).fetchall()]


def test_postgres_down_for_thirty_seconds(seed_paths, tmp_path: Path):
    database = asyncio.run(create_database())
    dsn = dsn_for(database)
    corpus = tmp_path / "corpus"
    write_corpus(seed_paths, corpus)
    stderr_path = tmp_path / "stderr.log"
    try:
        with stderr_path.open("w") as stderr:
            run = subprocess.Popen(
                [*NEWSFLOW, "run", "--once", "--json", "--data-dir", str(tmp_path / "data"), "--postgres", dsn,
                 "--input", str(corpus)],
                stdout=subprocess.PIPE, stderr=stderr, text=True,
            )  # fmt: skip
            try:
                wait_for_progress(run, stderr_path, "index: ")
                asyncio.run(set_connections(database, allowed=False))
                time.sleep(OUTAGE_S)
                assert run.poll() is None, "the run waits for the index instead of ending"
                asyncio.run(set_connections(database, allowed=True))
                stdout, _ = run.communicate(timeout=300)
            finally:
                if run.poll() is None:
                    run.kill()
        assert run.returncode == 0, stderr_path.read_text()[-3000:]
        summary = last_json_line(stdout)
        assert "service_restarts" not in summary, "waiting, not crashing"
        assert (summary["ingested"], summary["dead_lettered"], summary["pending"]) == (DOCUMENTS, 0, 0)
        assert summary["indexed"] + summary["duplicates"] == DOCUMENTS
        ids = asyncio.run(stored_ids(dsn))
        assert len(ids) == len(set(ids)) == DOCUMENTS
        assert summary["peak_rss_mb"]["index"] < 400, summary["peak_rss_mb"]
        index_log = (tmp_path / "data" / "logs" / "index.log").read_text()
        assert "postgres unavailable" in index_log
    finally:
        asyncio.run(set_connections(database, allowed=True))
        asyncio.run(drop_database(database))
