"""Over 100 hostile inputs through the whole embedded stack: every one ends indexed, dropped or
dead-lettered with a specific reason; no service crashes, stalls or grows past its memory bound."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import last_json_line
from tests.hostile.corpus import write_corpus

pytestmark = pytest.mark.e2e

PEAK_RSS_BOUND_MB = 600
"""Per service; the bench's 2,000 real pages peak at ~290 MB (docs/performance.md)."""
SPECIFIC_REASONS = {
    # ingest
    "document_too_large", "invalid_json", "schema_invalid", "missing_content", "too_many_records", "malformed_warc",
    "unreadable_file", "source_unreadable",
    # clean
    "binary_content", "empty_document", "undecodable",
    # strip / drops
    "no_article_body", "too_many_lines", "not_an_article",
}  # fmt: skip


def test_hostile_corpus(newsflow, tmp_path: Path):
    corpus = tmp_path / "hostile"
    cases = write_corpus(corpus)
    assert cases >= 100
    run = newsflow("run", "--once", "--json", "--data-dir", str(tmp_path / "data"), "--input", str(corpus), timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    summary = last_json_line(run.stdout)
    assert summary["pending"] == 0 and "timed_out" not in summary, summary
    assert "service_restarts" not in summary, f"a service crashed: {summary}"
    reasons = set(summary["dead_letter_reasons"]) | set(summary["drop_reasons"])
    assert reasons <= SPECIFIC_REASONS | {"duplicate_exact", "duplicate_near"}, reasons - SPECIFIC_REASONS
    assert summary["dead_letter_reasons"]["too_many_records"] >= 3  # the huge array, the 20,000 records, the JSONL
    assert summary["dead_letter_reasons"]["invalid_json"] >= 10
    assert summary["dead_letter_reasons"]["document_too_large"] >= 1  # the 50 MB text
    assert summary["indexed"] >= 10, summary
    assert max(summary["peak_rss_mb"].values()) <= PEAK_RSS_BOUND_MB, summary["peak_rss_mb"]
