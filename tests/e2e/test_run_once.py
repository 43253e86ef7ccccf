"""``newsflow run --once --json`` on the seeds, then ``newsflow search``."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import last_json_line


def test_seeds_flow_through_all_five_services_and_are_searchable(newsflow, seed_paths, tmp_path: Path):
    data_dir = tmp_path / "data"
    run = newsflow("run", "--once", "--json", "--data-dir", str(data_dir), "--input", *map(str, seed_paths))
    assert run.returncode == 0, run.stderr[-3000:]
    summary = last_json_line(run.stdout)
    assert {k: summary[k] for k in ("ingested", "indexed", "duplicates", "dead_lettered")} == {
        "ingested": 5,
        "indexed": 5,
        "duplicates": 0,
        "dead_lettered": 0,
    }

    search = newsflow("search", "Blinken", "--json", "--data-dir", str(data_dir))
    assert search.returncode == 0, search.stderr
    found = {Path(hit["source"]).name[:3] for hit in json.loads(search.stdout)}
    assert {"000", "002", "004"} <= found
