"""Labelled pages for training and evaluation: the benchmark dev set, the fundus publishers set
(with each page's publisher, for folds grouped by publisher) and the seeds' gold lines.

Development-time only (``make train``, ``make eval`` and tests): services never read these paths.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from newsflow_clean.language import detect_language
from newsflow_clean.normalize import visible_text
from newsflow_lab.metric import shingles

DEV_SET_ENV = "NEWSFLOW_DEV_SET"
REPO = Path(__file__).resolve().parents[2]
EVAL_ROOT = REPO / ".." / "shared" / "eval"
DEFAULT_DEV_SET = EVAL_ROOT / "article-benchmark-dev"
SEEDS_DIR = REPO / "seeds"


@dataclass(frozen=True)
class DevPage:
    """One benchmark page: raw HTML, the same page flattened to text, and the gold body."""

    page_id: str
    html_path: Path
    text_path: Path
    gold: str

    @property
    def html(self) -> str:
        return self.html_path.read_text(encoding="utf-8")

    @property
    def text(self) -> str:
        return self.text_path.read_text(encoding="utf-8")


@dataclass(frozen=True)
class SeedPage:
    """A sample input with line-level gold labels (1-based line numbers of the file)."""

    path: Path
    gold: dict  # type: ignore[type-arg]

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def text(self) -> str:
        return self.path.read_text("utf-8")

    def label(self, line_number: int) -> int | None:
        """1 body, 0 boilerplate/title/dateline, None ambiguous or unlabelled (not scored)."""
        if line_number in self.gold["body"]:
            return 1
        not_body = [*self.gold.get("boilerplate", []), *self.gold.get("metadata_lines", [])]
        if line_number in not_body or line_number == self.gold.get("title_line"):
            return 0
        return None

    def nonblank_line_numbers(self) -> list[int]:
        return [n for n, line in enumerate(self.text.split("\n"), start=1) if line.strip()]

    def gold_body(self) -> str:
        lines = self.text.split("\n")
        return "\n\n".join(lines[n - 1] for n in self.gold["body"])


def dev_set_dir() -> Path | None:
    """The dev set's folder, from ``NEWSFLOW_DEV_SET`` or beside the repository; None if absent."""
    path = Path(os.environ.get(DEV_SET_ENV) or DEFAULT_DEV_SET).resolve()
    return path if (path / "gold").is_dir() else None


def load_dev_pages(root: Path) -> list[DevPage]:
    return [
        DevPage(g.stem, root / "html" / f"{g.stem}.html", root / "text" / f"{g.stem}.txt", g.read_text("utf-8"))
        for g in sorted((root / "gold").glob("*.txt"))
    ]


def load_seed_pages(seeds: Path = SEEDS_DIR) -> list[SeedPage]:
    gold = json.loads((seeds / "gold.json").read_text("utf-8"))["documents"]
    return [SeedPage(seeds / name, labels) for name, labels in sorted(gold.items())]


def page_language(html: str) -> str | None:
    """The language the clean stage would give this page (strip's classifiers read it)."""
    language: str | None = detect_language(visible_text(html))
    return language


def label_against_gold(lines: list[str], gold: str) -> list[int]:
    """1 where a line's text belongs to the gold body (most of its 4-shingles occur there)."""
    gold_shingles = set(shingles(gold))
    gold_paragraphs = {p.strip() for p in gold.split("\n") if p.strip()}
    labels = []
    for line in lines:
        own = shingles(line)
        if not own:
            labels.append(0)
        elif len(next(iter(own))) < 4:  # fewer than 4 tokens: only an exact gold paragraph counts
            labels.append(int(line in gold_paragraphs))
        else:
            hits = sum(n for s, n in own.items() if s in gold_shingles)
            labels.append(int(hits / sum(own.values()) >= 0.5))
    return labels


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

    @property
    def text_path(self) -> Path:
        """The same page flattened to text (every visible block on its own line)."""
        return self.html_path.parent.parent / "text" / f"{self.page_id}.txt"


def fundus_meta() -> dict[str, dict[str, object]]:
    """The fundus set's gold metadata (title, authors, published …) by page id; empty if absent."""
    root = fundus_dir()
    if root is None:
        return {}
    return {meta["id"]: meta for meta in map(json.loads, (root / "meta.jsonl").read_text().splitlines())}


def fundus_dir() -> Path | None:
    root = Path(os.environ.get("NEWSFLOW_TRAIN_SETS") or EVAL_ROOT) / "fundus-publishers"
    return root if (root / "html").is_dir() else None


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").removeprefix("www.")


def benchmark_pages() -> Iterator[HtmlPage]:
    root = dev_set_dir()
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
