"""``newsflow run --once`` on a feed served from 127.0.0.1: good pages are indexed, every bad one
is dead-lettered with its reason, and nothing crashes or stalls."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import last_json_line
from tests.web_fixture import SiteThread

pytestmark = pytest.mark.e2e


def test_a_hostile_feed_through_the_whole_stack(newsflow, tmp_path: Path):
    with SiteThread(oversize_bytes=9 << 20) as site:  # past the default 8 MiB document cap
        run = newsflow(
            "run", "--once", "--json", "--allow-private-network", "--data-dir", str(tmp_path),
            "--input", site.url("/feed-mixed.xml"), site.url("/billion-laughs.xml"),
        )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    summary = last_json_line(run.stdout)
    assert summary["indexed"] == 2, summary  # the first seed, and /flaky after its 429
    assert summary["dead_letter_reasons"] == {
        "too_large": 1,
        "decompression_bomb": 1,
        "redirect_loop": 1,
        "robots_disallowed": 1,
        "http_error": 1,
        "connect_error": 1,  # /to-loopback: allowed here, but nothing listens on port 9
        "hostile_xml": 1,  # the billion-laughs feed itself
    }, summary
    assert summary["pending"] == 0


def test_without_the_flag_a_loopback_feed_is_refused(newsflow, tmp_path: Path):
    with SiteThread(oversize_bytes=1024) as site:
        run = newsflow("run", "--once", "--json", "--data-dir", str(tmp_path), "--input", site.url("/feed.xml"))
        assert site.hits["/feed.xml"] == 0
    assert run.returncode == 0, run.stderr[-3000:]
    assert last_json_line(run.stdout)["dead_letter_reasons"] == {"blocked_address": 1}
