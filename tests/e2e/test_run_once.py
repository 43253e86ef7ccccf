"""``newsflow run --once --json`` on the seeds plus two copies, then ``newsflow search``."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import last_json_line


def write_copies(seed_paths: list[Path], seed_gold: dict, directory: Path) -> list[Path]:
    """A: seed 000 under another name. B: seed 001's article body under another site's wrapper."""
    directory.mkdir()
    exact = directory / "A_copy_of_000.txt"
    exact.write_text(seed_paths[0].read_text())
    lines = seed_paths[1].read_text().splitlines()
    body = [lines[n - 1] for n in seed_gold["documents"][seed_paths[1].name]["body"]]
    rewrapped = directory / "B_body_of_001.txt"
    rewrapped.write_text(
        "\n".join(
            [
                "World Affairs Daily Digest",
                "Home | Politics | Europe | Contact us",
                "Republished with permission",
                "",
                *body,
                "",
                "Share this post: Facebook | Twitter | Email",
                "3 comments",
                "Leave a Reply",
                "Your email address will not be published. Required fields are marked *",
                "© 2021 World Affairs Daily Digest. All rights reserved.",
            ]
        )
    )
    return [exact, rewrapped]


def test_seeds_and_copies_flow_through_all_five_services_into_stories(newsflow, seed_paths, seed_gold, tmp_path: Path):
    data_dir = tmp_path / "data"
    copies = write_copies(seed_paths, seed_gold, tmp_path / "copies")
    inputs = [*map(str, seed_paths), *map(str, copies)]
    run = newsflow("run", "--once", "--json", "--data-dir", str(data_dir), "--input", *inputs)
    assert run.returncode == 0, run.stderr[-3000:]
    summary = last_json_line(run.stdout)
    assert {k: summary[k] for k in ("ingested", "indexed", "duplicates", "dead_lettered", "dropped")} == {
        "ingested": 7,
        "indexed": 5,
        "duplicates": 2,
        "dead_lettered": 0,
        "dropped": 0,
    }, summary

    search = newsflow("search", "Blinken", "--json", "--data-dir", str(data_dir))
    assert search.returncode == 0, search.stderr
    response = json.loads(search.stdout)

    def name(brief: dict) -> str:
        return Path(brief["source"]).name[:3]

    heads = {name(r["document"]): r for r in response["results"]}
    assert {"000", "002", "004"} <= heads.keys()
    stories = [{name(r["document"]), *map(name, r["story_mates"])} for r in response["results"]]
    assert {"001", "003"} in stories, stories
    assert all(len(s) == 1 for s in stories if s != {"001", "003"}), stories
    grouped = {name(d) for r in response["results"] for d in r["duplicates"]}
    assert {"A_c", "B_b"} == grouped, response["results"]

    # Logs carry ids, stages and reasons, never documents: no body line of any seed is in them.
    logs = "".join(p.read_text(errors="replace") for p in (data_dir / "logs").glob("*.log"))
    body_lines = [line for path in seed_paths for line in path.read_text().splitlines() if len(line) > 80]
    assert body_lines and not [line for line in body_lines if line in logs]

    # Exports of the seeds' index read back with the typed schema (one row per document, copies too).
    import pyarrow.parquet as pq

    from newsflow_index.export import EXPORT_COLUMNS, arrow_schema, read_rows

    for kind in ("parquet", "csv", "jsonl"):
        out = tmp_path / f"seeds.{kind}"
        export = newsflow("export", "--format", kind, "--output", str(out), "--data-dir", str(data_dir))
        assert export.returncode == 0, export.stderr
        rows = list(read_rows(out.read_bytes(), kind))  # type: ignore[arg-type]
        assert len(rows) == 7 and all(list(r) == list(EXPORT_COLUMNS) for r in rows), kind
        assert sum(bool(r["duplicate_of"]) for r in rows) == 2, kind
        assert any(e["text"] == "Antony Blinken" and e["label"] == "PERSON" for r in rows for e in r["entities"]), kind
        assert any(q["speaker"] == "Antony Blinken" for r in rows for q in r["quotes"]), kind
    assert pq.read_schema(tmp_path / "seeds.parquet").equals(arrow_schema(), check_metadata=False)
    only = newsflow("export", "summit", "--format", "jsonl", "--output", "-", "--data-dir", str(data_dir))
    assert only.returncode == 0, only.stderr
    matching = [json.loads(line) for line in only.stdout.splitlines()]
    assert 1 <= len(matching) < 7 and all("summit" in r["body"].lower() for r in matching), matching
