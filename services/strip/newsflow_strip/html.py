"""Boilerplate removal for HTML: a block classifier over the page's DOM, with trafilatura's vote where it is needed.

The page is parsed once with trafilatura's lxml loader. Before anything rewrites the tree, the
markup's metadata (``markup.py``), the article check's signals (``article.py``) and the page's
text blocks with their features (``blocks.py``) are read. Two sets of boosted trees, trained on
two development sets (``make train``: ``newsflow_lab.html_train``, cross-validated by publisher),
then decide block by block:

1. the **markup model** reads the blocks' own features. Where it is sure of the page (few of its
   characters in blocks it is unsure of, and a substantial body kept), its decision stands;
2. elsewhere trafilatura (precision settings, fast pass first) extracts its body from the same
   tree, the share of each block it kept becomes one more group of features, and the **voting
   model** decides. Cross-validated, the markup model's sure pages lose nothing by skipping the
   vote, and trafilatura's pass is most of the page's cost (docs/decisions.md #7b).

A page with no text blocks (all of it rendered by scripts) keeps trafilatura's body; a page whose
body holds no prose but whose scripts carry the article's markup (``scripted.py``) is read from
that markup.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
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
    vote_columns,
    vote_shares,
)
from newsflow_strip.markup import declared_published, ld_types, meta_tags, page_metadata
from newsflow_strip.model import LineClassifier, decode_runs, load_classifier
from newsflow_strip.scripted import scripted_html

HTML_MODEL = "html_blocks"
MARKUP_MODEL = "html_blocks_markup"
VOTES = ("trafilatura",)
"""The other extractors whose output is a feature. readability and jusText were tried as votes
too and did not raise the cross-validated F1 (docs/decisions.md #7b)."""
FEATURES = feature_names(VOTES)
MARKUP_FEATURES = feature_names(())


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
    """What the classifiers see of a page: its blocks with one row of markup features each
    (``MARKUP_FEATURES``), the markup's metadata and article signals, and, once the vote was
    taken (``with_vote``), trafilatura's body and each block's vote columns."""

    blocks: list[Block]
    rows: list[list[float]]
    page: PageMetadata
    signals: PageSignals | None
    extracted: str | None = None
    votes: list[list[float]] | None = None
    source: tuple[str, Any, str | None] | None = None
    """The page's HTML, parsed tree and URL, kept for trafilatura's pass until the vote is taken."""

    @property
    def voted_rows(self) -> list[list[float]]:
        """Each block's row of ``FEATURES``: its markup features and its vote columns."""
        if self.votes is None:
            raise ValueError("the vote was not taken (with_vote)")
        return [row + vote for row, vote in zip(self.rows, self.votes, strict=True)]


def analyse_page(html: str, url: str | None = None, language: str | None = None) -> PageAnalysis | None:
    """Parse ``html`` once and read what the markup says; None if unparseable. ``language`` is
    the clean stage's detection (stopword density reads it)."""
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
    return PageAnalysis(blocks, rows, page, signals, source=(html, tree, url))


def with_vote(analysis: PageAnalysis) -> PageAnalysis:
    """``analysis`` with trafilatura's body, extracted from the same tree, and each block's vote
    columns; the tree is let go."""
    if analysis.source is None:
        raise ValueError("the page's tree was let go before the vote was taken")
    html, tree, url = analysis.source
    extracted = _trafilatura_body(html, tree, url)
    votes = vote_columns(analysis.blocks, [vote_shares(analysis.blocks, extracted)])
    return dataclasses.replace(analysis, extracted=extracted, votes=votes, source=None)


UNSURE_BETWEEN = (0.1, 0.9)
UNSURE_SHARE = 0.15
SURE_MIN_WORDS = 150
"""The markup model is sure of a page when at most 15% of the page's characters lie in blocks it
gives a probability between 0.1 and 0.9, and what it keeps is 150 words or more (a short or empty
body is where trafilatura's vote, and the collapse guard below, matter). Out of fold the
figures were level for shares from 0 to 0.2 (67-80% of pages decided alone) and fell beyond
(docs/decisions.md #7b); 0.15 sits inside that plateau, not at its edge."""


def sure_markup_keep(
    blocks: Sequence[Block], probabilities: Sequence[float], decoding: tuple[float, float]
) -> list[bool] | None:
    """The markup model's decision (its ``probabilities`` decoded by ``decoding``, its switch
    cost and body bias) where it is sure of the page, else None: the page needs the vote."""
    if not blocks:
        return None
    low, high = UNSURE_BETWEEN
    unsure = sum(b.chars for b, p in zip(blocks, probabilities, strict=True) if low < p < high)
    if unsure > UNSURE_SHARE * sum(b.chars for b in blocks):
        return None
    keep = decode_runs(list(probabilities), *decoding)
    if sum(len(b.text.split()) for b, kept in zip(blocks, keep, strict=True) if kept) < SURE_MIN_WORDS:
        return None
    return keep


@cache
def shipped_html_model() -> LineClassifier:
    """The voting block classifier ``make train`` ships (a line classifier whose lines are blocks)."""
    return load_classifier(HTML_MODEL, FEATURES)


@cache
def shipped_markup_model() -> LineClassifier:
    """The markup block classifier ``make train`` ships: the blocks' own features, no vote."""
    return load_classifier(MARKUP_MODEL, MARKUP_FEATURES)


def strip_html(html: str, url: str | None = None, language: str | None = None) -> HtmlStrip:
    """Extract the main text (paragraphs separated by blank lines) and the page metadata."""
    analysis = analyse_page(html, url, language)
    if analysis is None:
        return HtmlStrip(body="", page=PageMetadata())
    markup = shipped_markup_model()
    keep = sure_markup_keep(
        analysis.blocks, markup.probabilities(analysis.rows), (markup.switch_cost, markup.body_bias)
    )
    if keep is None:
        analysis = with_vote(analysis)
        keep = shipped_html_model().body_lines(analysis.voted_rows)
    return HtmlStrip(body_from(analysis, keep), analysis.page, analysis.signals)


COLLAPSE_SHARE = 0.2
COLLAPSE_MIN_WORDS = 150
"""A guard for layouts unlike any the classifier learnt from: where it keeps less than a fifth
of a substantial body trafilatura found (150 words or more), trafilatura's body is used. It
needs the vote, so it guards the pages the markup model was unsure of (a page it is sure of keeps
150 words or more). No page of either development set triggers it, out of fold; it is there for
pages that do."""


LINK_LIST_SHARE = 0.9
LINK_LIST_WORDS = 5
"""A block of 5 words or more, 90% or more of it link text, is a list of links (a menu, a column
of headlines), whatever the classifier says: jusText and boilerpipe hold the same prior. Out of
fold it changed both development sets' F1 by +0.0001 to +0.001 (docs/decisions.md #7b)."""


def _link_list(block: Block) -> bool:
    return block.link_share >= LINK_LIST_SHARE and len(block.text.split()) >= LINK_LIST_WORDS


def body_from(analysis: PageAnalysis, keep: list[bool]) -> str:
    """The body made of the blocks ``keep`` marks (a classifier's decision), lists of links left out."""
    extracted = analysis.extracted or ""
    if not analysis.blocks:  # a page drawn by scripts: trafilatura may still read it from the markup
        return extracted
    keep = [kept and not _link_list(block) for kept, block in zip(keep, analysis.blocks, strict=True)]
    body = body_of(analysis.blocks, keep)
    extracted_words = len(extracted.split())
    if extracted_words >= COLLAPSE_MIN_WORDS and len(body.split()) < COLLAPSE_SHARE * extracted_words:
        return extracted
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
