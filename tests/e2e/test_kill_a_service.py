"""SIGKILL a service (or Redis) mid-run: it is restarted and every document is stored exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from newsflow_index.tantivy_backend import TantivyBackend
from tests.e2e.conftest import NEWSFLOW, last_json_line, wait_for_progress

DOCUMENTS = int(os.environ.get("NEWSFLOW_FAULT_DOCUMENTS", "150"))
"""150 in the default suite; `make test-faults` runs 2,000."""


def write_corpus(seed_paths: list[Path], directory: Path) -> None:
    """DOCUMENTS distinct pages made from the seeds (a unique first paragraph each): all but the
    first copy of each seed are near-duplicates, stored as links, so the index writes them all."""
    directory.mkdir()
    for i in range(DOCUMENTS):
        seed = seed_paths[i % len(seed_paths)].read_text()
        unique = f"Dispatch number {i} of this test corpus was filed from a newsroom for the kill test today."
        (directory / f"doc_{i:04d}.txt").write_text(f"{unique}\n\n{seed}")


@pytest.mark.parametrize("victim", ["ingest", "clean", "strip", "extract", "index", "redis"])
def test_sigkilled_service_is_restarted_and_nothing_is_lost_or_doubled(victim, seed_paths, tmp_path: Path):
    corpus, data_dir = tmp_path / "corpus", tmp_path / "data"
    write_corpus(seed_paths, corpus)
    stderr_path = tmp_path / "stderr.log"
    with stderr_path.open("w") as stderr:
        run = subprocess.Popen(
            # --timeout: a run that stalls ends with its summary (pending, timed_out) and the logs
            # below, instead of being cut off by communicate() with nothing to go on.
            [
                *NEWSFLOW,
                "run",
                "--once",
                "--json",
                "--timeout",
                "240",
                "--data-dir",
                str(data_dir),
                "--input",
                str(corpus),
            ],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        try:
            pid_file = data_dir / "logs" / f"{victim}.pid"
            # Kill once documents are flowing through the victim (Redis: through strip), not before.
            wait_for_progress(run, stderr_path, f"{'strip' if victim == 'redis' else victim}: ")
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
            stdout, _ = run.communicate(timeout=300)
        finally:
            if run.poll() is None:
                run.kill()
    victim_log = data_dir / "logs" / f"{victim}.log"
    assert run.returncode == 0, (
        f"{stdout[-1500:]}\n--- newsflow run ---\n{stderr_path.read_text()[-3000:]}\n"
        f"--- {victim_log.name} ---\n{victim_log.read_text()[-6000:] if victim_log.exists() else ''}"
    )
    summary = last_json_line(stdout)
    assert summary["service_restarts"] == {victim: 1}
    assert (summary["ingested"], summary["dead_lettered"], summary["pending"]) == (DOCUMENTS, 0, 0)
    assert summary["indexed"] + summary["duplicates"] == DOCUMENTS
    if victim == "redis":
        # Redis came back empty: dedup forgot the originals, so a copy arriving next can become a
        # second canonical document of its seed (a missed duplicate, never a double of one doc_id).
        assert len(seed_paths) <= summary["indexed"] <= 2 * len(seed_paths)
    else:
        assert summary["indexed"] == len(seed_paths), "one canonical document per seed"
    stored = Counter(doc.doc_id for doc in asyncio.run(TantivyBackend(data_dir / "index").all_records()))
    assert len(stored) == DOCUMENTS
    assert max(stored.values()) == 1, "a document was stored twice"


def test_no_process_is_left_behind(tmp_path: Path, seed_paths):
    run = subprocess.run(
        [*NEWSFLOW, "run", "--once", "--json", "--data-dir", str(tmp_path), "--input", str(seed_paths[0])],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    for pid_file in (tmp_path / "logs").glob("*.pid"):
        pid = int(pid_file.read_text())
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
