"""The embedded stack indexing into PostgreSQL: ``newsflow run --postgres`` then ``newsflow search --postgres``."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.contract.conftest import create_database, drop_database, dsn_for
from tests.e2e.conftest import last_json_line

pytestmark = pytest.mark.e2e


@pytest.fixture
def postgres_dsn():
    database = asyncio.run(create_database())
    yield dsn_for(database)
    asyncio.run(drop_database(database))


def test_seeds_are_indexed_into_postgres_and_searchable_there(newsflow, seed_paths, tmp_path: Path, postgres_dsn):
    inputs = [*map(str, seed_paths), str(seed_paths[0])]  # the same path twice is one document
    run = newsflow(
        "run", "--once", "--json", "--data-dir", str(tmp_path), "--postgres", postgres_dsn, "--input", *inputs
    )
    assert run.returncode == 0, run.stderr[-3000:]
    summary = last_json_line(run.stdout)
    assert (summary["indexed"], summary["dead_lettered"]) == (5, 0), summary
    assert not (tmp_path / "index").exists(), "nothing went to the embedded index"

    search = newsflow("search", "Blinken", "--json", "--postgres", postgres_dsn)
    assert search.returncode == 0, search.stderr
    results = json.loads(search.stdout)["results"]
    stories = [
        {Path(r["document"]["source"]).name[:3], *(Path(m["source"]).name[:3] for m in r["story_mates"])}
        for r in results
    ]
    assert sorted(map(sorted, stories)) == [["000"], ["001", "003"], ["002"], ["004"]]
