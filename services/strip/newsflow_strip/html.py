"""Boilerplate removal for HTML: a block classifier over the page's DOM, with trafilatura's vote.

The page is parsed once with trafilatura's lxml loader. Before anything rewrites the tree, the
markup's metadata (``markup.py``), the article check's signals (``article.py``) and the page's
text blocks with their features (``blocks.py``) are read. trafilatura (precision settings, fast
pass first) then extracts its body from the same tree; the share of each block it kept is one
more group of features, and boosted trees trained on two development sets (``make train``:
``newsflow_lab.html_train``, cross-validated by publisher) decide block by block. A page with no
text blocks (all of it rendered by scripts) keeps trafilatura's body; a page whose body holds no
prose but whose scripts carry the article's markup (``scripted.py``) is read from that markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import lxml.etree
import lxml.html
import trafilatura
from trafilatura.utils import load_html

from newsflow_shared.models import PageMetadata
from newsflow_strip.article import PageSignals, page_signals
from newsflow_strip.blocks import (
    Block,
    block_rows,
    body_of,
    feature_names,
    holds_prose,
    page_blocks,
    vote_shares,
    with_votes,
)
from newsflow_strip.markup import declared_published, ld_types, meta_tags, page_metadata
from newsflow_strip.model import LineClassifier, load_classifier
from newsflow_strip.scripted import scripted_html

HTML_MODEL = "html_blocks"
VOTES = ("trafilatura",)
"""The other extractors whose output is a feature. readability and jusText were tried as votes
too and did not raise the cross-validated F1 (docs/decisions.md #7b); trafilatura runs anyway."""
FEATURES = feature_names(VOTES)


@dataclass(frozen=True)
class HtmlStrip:
    """Article body, what the page's markup says about it, and whether it looks like an article."""

    body: str
    page: PageMetadata
    signals: PageSignals | None = None


# trafilatura's fallback extractors (its readability port and jusText, compared against its own
# result) double its cost and changed one dev-set page in 91, a page where the fast pass had found
# only 213 characters. So the fast pass runs first and the full one only when it finds little.
FULL_PASS_BELOW_CHARS = 1000


def _trafilatura_body(html: str, tree: Any, url: str | None) -> str:
    doc = trafilatura.bare_extraction(
        tree, url=url, favor_precision=True, include_comments=False, include_tables=True, with_metadata=False, fast=True
    )
    text = str(getattr(doc, "text", None) or "")  # a Document (with_metadata=False never gives a dict)
    if len(text) < FULL_PASS_BELOW_CHARS and (fresh := load_html(html)) is not None:
        # The fast pass pruned ``tree``; the full pass needs a fresh parse.
        full = trafilatura.bare_extraction(
            fresh, url=url, favor_precision=True, include_comments=False, include_tables=True, with_metadata=False
        )
        text = str(getattr(full, "text", None) or "") if full is not None else text
    return "\n\n".join(line.strip() for line in text.split("\n") if line.strip())


@dataclass(frozen=True)
class PageAnalysis:
    """What the classifier sees of a page: its blocks, one feature row each (``FEATURES``),
    trafilatura's body, and the markup's metadata and article signals."""

    blocks: list[Block]
    rows: list[list[float]]
    extracted: str
    page: PageMetadata
    signals: PageSignals | None


def analyse_page(html: str, url: str | None = None, language: str | None = None) -> PageAnalysis | None:
    """Parse ``html`` once and read everything the strip decision needs; None if unparseable.
    ``language`` is the clean stage's detection (stopword density reads it)."""
    # trafilatura's own loader (lxml with its parser settings): parsing with lxml.html's
    # defaults instead lowered trafilatura's body F1 on the dev set from 0.975 to 0.972.
    tree = load_html(html)
    if tree is None:
        return None
    meta = meta_tags(tree)
    page = page_metadata(tree, url, meta)  # everything read from the tree before trafilatura prunes it
    # The article check's "dated" is what the markup declares (as trained), not a date found in the URL or text.
    dated, types = declared_published(tree, meta) is not None, ld_types(tree)
    blocks = page_blocks(tree)
    if not holds_prose(blocks) and (scripted := scripted_html(tree)) is not None:
        # A body with no prose, and the article as markup in the page's scripts: read that instead.
        rendered = load_html(scripted)
        if rendered is not None and holds_prose(rendered_blocks := page_blocks(rendered)):
            html, tree, blocks = scripted, rendered, rendered_blocks
    signals = page_signals(tree, meta, dated, types)
    rows = block_rows(blocks, language, page.title)
    extracted = _trafilatura_body(html, tree, url)
    return PageAnalysis(blocks, with_votes(rows, blocks, [vote_shares(blocks, extracted)]), extracted, page, signals)


@cache
def shipped_html_model() -> LineClassifier:
    """The block classifier ``make train`` ships (a line classifier whose lines are blocks)."""
    return load_classifier(HTML_MODEL, FEATURES)


def strip_html(
    html: str, url: str | None = None, language: str | None = None, model: LineClassifier | None = None
) -> HtmlStrip:
    """Extract the main text (paragraphs separated by blank lines) and the page metadata."""
    analysis = analyse_page(html, url, language)
    if analysis is None:
        return HtmlStrip(body="", page=PageMetadata())
    keep = (model or shipped_html_model()).body_lines(analysis.rows)
    return HtmlStrip(body_from(analysis, keep), analysis.page, analysis.signals)


COLLAPSE_SHARE = 0.2
COLLAPSE_MIN_WORDS = 150
"""A guard for layouts unlike any the classifier learnt from: where it keeps less than a fifth
of a substantial body trafilatura found (150 words or more), trafilatura's body is used. No page
of either development set triggers it, out of fold; it is there for pages that do."""


LINK_LIST_SHARE = 0.9
LINK_LIST_WORDS = 5
"""A block of 5 words or more, 90% or more of it link text, is a list of links (a menu, a column
of headlines), whatever the classifier says: jusText and boilerpipe hold the same prior. Out of
fold it changed both development sets' F1 by +0.0001 to +0.001 (docs/decisions.md #7b)."""


def _link_list(block: Block) -> bool:
    return block.link_share >= LINK_LIST_SHARE and len(block.text.split()) >= LINK_LIST_WORDS


def body_from(analysis: PageAnalysis, keep: list[bool]) -> str:
    """The body made of the blocks ``keep`` marks (the classifier's decision), lists of links left out."""
    if not analysis.blocks:  # a page drawn by scripts: trafilatura may still read it from the markup
        return analysis.extracted
    keep = [kept and not _link_list(block) for kept, block in zip(keep, analysis.blocks, strict=True)]
    body = body_of(analysis.blocks, keep)
    extracted_words = len(analysis.extracted.split())
    if extracted_words >= COLLAPSE_MIN_WORDS and len(body.split()) < COLLAPSE_SHARE * extracted_words:
        return analysis.extracted
    return body


_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "dd", "td")
_SKIPPED = ("script", "style", "noscript", "iframe", "figcaption", "figure", "form", "button", "svg")


def fragment_text(html: str) -> str:
    """The text of an HTML fragment that is all article (a feed item's ``content:encoded``):
    one paragraph per block element, nothing judged boilerplate, captions and embeds left out."""
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return ""
    for node in root.xpath("|".join(f"//{tag}" for tag in _SKIPPED)):
        node.drop_tree()
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")
    paragraphs = []
    for node in root.iter(*_BLOCKS):
        if node.getparent() is not None and any(a.tag in _BLOCKS for a in node.iterancestors()):
            continue  # a block inside a block is read with its parent
        text = " ".join(node.text_content().split())
        if text:
            paragraphs.append(text)
    if not paragraphs:  # a fragment of bare text and <br>s
        paragraphs = [" ".join(line.split()) for line in root.text_content().split("\n") if line.strip()]
    return "\n\n".join(paragraphs)
