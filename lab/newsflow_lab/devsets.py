"""The development sets' HTML pages with their publisher, for training grouped by publisher."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

EVAL_ROOT = Path(__file__).resolve().parents[2] / ".." / "shared" / "eval"


@dataclass(frozen=True)
class HtmlPage:
    """One development page: its HTML, URL, gold body, the set it is from and its publisher."""

    set_name: str
    page_id: str
    url: str
    html_path: Path
    gold_path: Path
    publisher: str

    @property
    def html(self) -> str:
        return self.html_path.read_text(encoding="utf-8", errors="replace")

    @property
    def gold(self) -> str:
        return self.gold_path.read_text(encoding="utf-8")


def benchmark_dir() -> Path | None:
    root = Path(os.environ.get("NEWSFLOW_DEV_SET") or EVAL_ROOT / "article-benchmark-dev")
    return root if (root / "html").is_dir() else None


def fundus_dir() -> Path | None:
    root = Path(os.environ.get("NEWSFLOW_TRAIN_SETS") or EVAL_ROOT) / "fundus-publishers"
    return root if (root / "html").is_dir() else None


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").removeprefix("www.")


def benchmark_pages() -> Iterator[HtmlPage]:
    root = benchmark_dir()
    if root is None:
        return
    urls = dict(line.split("\t", 1) for line in (root / "urls.tsv").read_text().splitlines() if "\t" in line)
    for path in sorted((root / "html").glob("*.html")):
        url = urls.get(path.stem, "").strip()
        yield HtmlPage("benchmark", path.stem, url, path, root / "gold" / f"{path.stem}.txt", _host(url) or path.stem)


def fundus_pages() -> Iterator[HtmlPage]:
    root = fundus_dir()
    if root is None:
        return
    for line in (root / "meta.jsonl").read_text().splitlines():
        meta = json.loads(line)
        yield HtmlPage(
            "fundus",
            meta["id"],
            meta["url"],
            root / "html" / f"{meta['id']}.html",
            root / "gold" / f"{meta['id']}.txt",
            meta.get("publisher_key") or _host(meta["url"]),
        )
