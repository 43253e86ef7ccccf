"""An HTML page as a sequence of text blocks, and what each block looks like to the classifier.

A block is the text between two block-level boundaries (``<p>``, ``<div>``, ``<li>``, headings,
layout table cells, two ``<br>`` in a row …), so inline markup (links, emphasis, spans) stays
inside its paragraph, and a table row of inline cells is one block. Each block keeps where it sits: its tag, the structural elements around it
(``<article>``, ``<nav>``, ``<footer>`` …), the words its ancestors' ``class``/``id`` carry, how
much of it is link text, and how much of the page's prose its containers hold (the container
that holds most of the page's sentences is usually the article, as readability assumes).

Features are language-independent or keyed by the page's language (stopword density from
jusText's stoplists, -1 where none exists). Other extractors' verdicts enter as *votes*: the
share of a block's word trigrams that an extractor kept (``vote_shares``, ``vote_columns``).
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from newsflow_shared.textcues import BYLINE, DATE_LIKE, SENTENCE_END
from newsflow_strip.features import stoplist
from newsflow_strip.patterns import CJK, CREDIT, RESIDUE, units

# Elements whose start and end separate blocks.
BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption center dd details dialog div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hgroup hr html li main menu nav ol p pre section summary table tbody td "
    "tfoot th thead tr ul".split()
)
CELLS = frozenset({"td", "th"})
_LAYOUT_IN_CELL = "|".join(f".//{tag}" for tag in ("p", "div", "table", "br", "ul", "ol", "h1", "h2", "h3", "h4", "li"))
# Elements whose text a reader never sees as article text (or at all).
SKIPPED_TAGS = frozenset(
    "applet audio button canvas datalist embed head iframe img input link map meta noscript object option "
    "picture script select source style svg template textarea title track video".split()
)
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_WORD = re.compile(r"\w+")

# Words publishers put in class and id attributes, grouped by what they usually mean. Matched
# inside each lower-cased class or id token (``article-body``, ``c-comments__list``).
CLASS_GROUPS: dict[str, tuple[str, ...]] = {
    "content": ("article", "content", "story", "body", "entry", "post", "text", "main", "richtext", "prose"),
    "comment": ("comment", "disqus", "discussion", "reply", "respond"),
    "social": ("share", "social", "sharing", "facebook", "twitter", "whatsapp", "follow"),
    "related": ("related", "recommend", "more", "teaser", "popular", "trending", "most", "read-next", "readnext",
                "also", "outbrain", "taboola", "similar", "next"),
    "media": ("caption", "credit", "photo", "image", "img", "figure", "gallery", "video", "media", "slide"),
    "byline": ("byline", "author", "meta", "date", "time", "dateline", "published", "updated", "info"),
    "promo": ("ad", "ads", "advert", "promo", "sponsor", "newsletter", "subscribe", "signup", "paywall",
              "banner", "cookie", "consent", "popup", "modal", "widget", "cta"),
    "navigation": ("nav", "menu", "footer", "header", "breadcrumb", "sidebar", "aside", "masthead", "toolbar",
                   "pagination", "skip", "tags", "topics", "keywords", "category"),
    "hidden": ("hidden", "visually-hidden", "sr-only", "screen-reader", "offscreen"),
}  # fmt: skip
_SHORT_TOKENS = frozenset({"ad", "ads", "cta", "img", "nav", "more", "next", "time", "date", "text", "main", "body",
                           "post", "meta", "info", "also", "most", "tags", "skip"})  # fmt: skip
"""Tokens too short or too common to match inside other words (``ad`` in ``header``, ``more``
in ``moreover``): these must be a whole hyphen/underscore-separated part of the attribute."""
STRUCTURE = (
    "article",
    "main",
    "header",
    "footer",
    "nav",
    "aside",
    "form",
    "figure",
    "table",
    "ul",
    "blockquote",
    "hidden",
)
_LANDMARK_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary"})
HIDDEN_COPY_SHARE = 0.7
"""A hidden block whose trigrams the visible kept text holds to this share is a copy."""
ANCESTOR_WINDOW = 6
"""How many enclosing elements' class/id words a block sees (nearest first)."""


@dataclass
class Block:
    """One block of text and where it sits in the page."""

    text: str
    tag: str
    ancestors: tuple[Any, ...]  # nearest first, the block's own element included
    link_chars: int = 0
    chars: int = 0
    hidden: bool = False  # inside an element hidden until a script shows it (soft paywalls, streamed React)

    @property
    def link_share(self) -> float:
        """How much of the block's text is link text (0 to 1)."""
        return self.link_chars / max(self.chars, 1)


@dataclass
class _Pending:
    parts: list[str] = field(default_factory=list)
    link_chars: int = 0
    has_text: bool = False  # anything but whitespace among the parts


def is_hidden(node: Any) -> bool:
    if node.get("hidden") is not None or node.get("aria-hidden") == "true":
        return True
    style = node.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


def _data_row(row: Any) -> bool:
    """A table row whose cells hold only inline content: one block, cells separated by spaces
    (a results table reads row by row). A cell holding paragraphs is page layout: cells stay blocks."""
    return not any(cell.xpath(_LAYOUT_IN_CELL) for cell in row if cell.tag in CELLS)


def page_blocks(root: Any) -> list[Block]:
    """The page's text blocks in reading order (document order). Hidden elements are kept (a
    soft paywall hides the article until a script shows it) and marked as such."""
    blocks: list[Block] = []
    pending = _Pending()
    # Elements themselves, not their id(): lxml may hand out a new proxy for an element whose
    # last proxy was dropped, and a set of elements keeps each proxy alive.
    hidden_elements: set[Any] = set()
    inline_cells: set[Any] = set()
    brs = 0  # <br>s in a row since the last text: two make a paragraph break

    def flush(owner: Any, ancestors: tuple[Any, ...]) -> None:
        nonlocal pending
        if not pending.has_text:  # most boundaries close only whitespace (nested containers)
            pending.parts.clear()
            return
        text = " ".join("".join(pending.parts).split())
        if text:
            hidden = any(node in hidden_elements for node in ancestors)
            blocks.append(Block(text, owner.tag, ancestors, min(pending.link_chars, len(text)), len(text), hidden))
        pending = _Pending()

    def add_text(text: str | None, in_link: bool) -> None:
        nonlocal brs
        if text:
            pending.parts.append(text)
            if text.strip():
                pending.has_text = True
                brs = 0
                if in_link:
                    pending.link_chars += len(" ".join(text.split()))

    # An explicit stack instead of recursion: some pages nest thousands of elements deep.
    # Entries: (node, entering, block owner and its ancestors, inside a link).
    body = root.find(".//body")
    start = body if body is not None else root
    stack: list[tuple[Any, bool, Any, tuple[Any, ...], bool]] = [(start, True, start, (start,), False)]
    while stack:
        node, entering, owner, ancestors, in_link = stack.pop()
        tag = node.tag if isinstance(node.tag, str) else ""
        if not entering:
            if tag in BLOCK_TAGS and node not in inline_cells:
                flush(node, ancestors)
            add_text(node.tail, in_link)
            continue
        if not tag or tag in SKIPPED_TAGS:  # comments and processing instructions too
            add_text(node.tail, in_link)
            continue
        if is_hidden(node):
            hidden_elements.add(node)
        if tag == "br":
            brs += 1
            if brs >= 2:
                flush(owner, ancestors)
            else:
                pending.parts.append(" ")
            add_text(node.tail, in_link)
            continue
        if tag == "tr" and _data_row(node):
            inline_cells.update(cell for cell in node if cell.tag in CELLS)
        if node in inline_cells:
            pending.parts.append(" ")
            is_block = False
        else:
            is_block = tag in BLOCK_TAGS
        if is_block:
            flush(owner, ancestors)
            owner, ancestors = node, (node, *ancestors)
        child_link = in_link or tag == "a"
        # The exit entry carries the parent's context, so the tail is read in the parent's block.
        stack.append((node, False, owner, ancestors, in_link))
        for child in reversed(node):
            stack.append((child, True, owner, ancestors, child_link))
        add_text(node.text, child_link)
    flush(start, (start,))
    return blocks


def _is_short(word: str) -> bool:
    return word in _SHORT_TOKENS or len(word) <= 3


_LONG_WORDS = {
    group: re.compile("|".join(re.escape(word) for word in words if not _is_short(word)))
    for group, words in CLASS_GROUPS.items()
    if any(not _is_short(word) for word in words)
}
"""Per group, its longer words as one pattern: a token names the group if it contains any."""
_SHORT_WORDS = {word: group for group, words in CLASS_GROUPS.items() for word in words if _is_short(word)}
_PART_SEPARATORS = re.compile(r"[-_]+")


def _element_groups(node: Any) -> tuple[int, ...]:
    """The class groups (indices into ``CLASS_GROUPS``) one element's ``class`` and ``id`` name."""
    return _attribute_groups(node.get("class"), node.get("id"))


@lru_cache(maxsize=16384)
def _attribute_groups(class_: str | None, id_: str | None) -> tuple[int, ...]:
    # Cached by attribute value: a page repeats its class attributes (every menu item, every teaser).
    tokens = f"{class_ or ''} {id_ or ''}".split()
    found: frozenset[str] = frozenset().union(*map(_token_groups, tokens))
    return tuple(sorted(_GROUP_INDEX[group] for group in found))


@lru_cache(maxsize=16384)
def _token_groups(token: str) -> frozenset[str]:
    # Cached by token: pages repeat their class names (every menu item, every teaser, utility
    # classes), so each is looked at once per process.
    token = token.lower()
    found = {group for group, words in _LONG_WORDS.items() if words.search(token)}
    found.update(_SHORT_WORDS[part] for part in _PART_SEPARATORS.split(token) if part in _SHORT_WORDS)
    return frozenset(found)


def vote_shares(blocks: Sequence[Block], extracted: str) -> list[float]:
    """Per block, the share of its word trigrams that ``extracted`` contains (short blocks: the
    share of their words): how much of the block another extractor kept."""
    if not extracted:
        return [0.0] * len(blocks)
    trigrams = _trigrams(extracted)
    words = set(_WORD.findall(extracted))
    shares = []
    for block in blocks:
        own = _WORD.findall(block.text)
        if len(own) >= 3:
            grams = len(own) - 2
            shares.append(sum(g in trigrams for g in zip(own, own[1:], own[2:], strict=False)) / grams)
        elif own:
            shares.append(sum(w in words for w in own) / len(own))
        else:
            shares.append(0.0)
    return shares


class _Facts(NamedTuple):  # a tuple: one is made per block, and a frozen dataclass is slow to make
    units: float
    chars: int
    link_density: float
    sentence_end: bool
    stopword_density: float
    words: list[str]  # lower-cased


BASE_FEATURES = (
    "log_units",
    "log_chars",
    "link_density",
    "sentence_end",
    "stopword_density",
    "has_stoplist",
    "cjk",
    "digit_ratio",
    "upper_ratio",
    "punct_ratio",
    "comma_per_word",
    "starts_upper",
    "repeats",
    "residue",
    "credit",
    "byline",
    "date_like",
    "tag_p",
    "tag_heading",
    "tag_h1",
    "tag_li",
    "tag_cell",
    "tag_div",
    "tag_quote",
    "tag_caption",
    "tag_dt_dd",
    *(f"in_{s}" for s in STRUCTURE),
    *(f"class_{g}" for g in CLASS_GROUPS),
    "depth",
    "relative_position",
    "chars_before",
    "after_h1",
    "h1_distance",
    "prose_share_1",
    "prose_share_2",
    "prose_share_3",
    "in_top_container",
    "siblings_prose",
    "prev_log_units",
    "next_log_units",
    "prev_link_density",
    "next_link_density",
    "prev_stopword_density",
    "next_stopword_density",
    "prev_sentence_end",
    "next_sentence_end",
    "window_prose",
    "title_similarity",
)


def _facts(block: Block, stopwords: frozenset[str]) -> _Facts:
    words = _WORD.findall(block.text.lower())
    density = sum(w in stopwords for w in words) / len(words) if stopwords and words else -1.0
    return _Facts(
        units=units(block.text),
        chars=block.chars,
        link_density=block.link_share,
        sentence_end=bool(SENTENCE_END.search(block.text)),
        stopword_density=density,
        words=words,
    )


_STRUCTURE_BITS = {tag: bit for bit, tag in enumerate(STRUCTURE)} | {"ol": STRUCTURE.index("ul")}
_HIDDEN_BIT = STRUCTURE.index("hidden")
_TOP_BIT = len(STRUCTURE)


def _own_flags(node: Any, top: Any) -> int:
    flags = 0
    if (bit := _STRUCTURE_BITS.get(node.tag)) is not None:
        flags |= 1 << bit
    if node.get("role") in _LANDMARK_ROLES:
        flags |= 1 << _STRUCTURE_BITS["nav"]
    if node.get("itemprop") == "articleBody":
        flags |= 1 << _STRUCTURE_BITS["article"]
    if node is top:
        flags |= 1 << _TOP_BIT
    return flags


_GROUP_INDEX = {group: k for k, group in enumerate(CLASS_GROUPS)}
_NEARNESS_STEP = 1.0 / ANCESTOR_WINDOW


class _Context(NamedTuple):  # a tuple: one is made per element
    """What a block inherits from the elements around it: the structural elements
    (``STRUCTURE`` bits, and ``_TOP_BIT``) among all of them, and per class group how near the
    nearest of the ``ANCESTOR_WINDOW`` nearest elements naming it is (1 for the block's own
    element, one step of 1/window less per level up, 0 if none does)."""

    flags: int
    groups: tuple[float, ...]


_EMPTY_CONTEXT = _Context(0, (0.0,) * len(CLASS_GROUPS))


@lru_cache(maxsize=4096)
def _nearer(groups: tuple[float, ...], named: tuple[int, ...]) -> tuple[float, ...]:
    """The class-group nearness one level down from ``groups``, at an element naming ``named``."""
    # Cached: a page's elements go through few distinct (context, class groups) pairs.
    stepped = [max(0.0, g - _NEARNESS_STEP) for g in groups]
    for k in named:
        stepped[k] = 1.0
    return tuple(stepped)


def _context(ancestors: Sequence[Any], cache: dict[Any, _Context], top: Any) -> _Context:
    """The context of a block's element (``ancestors[0]``), each element's computed once per
    page from its parent's."""
    known = len(ancestors)
    for k, node in enumerate(ancestors):
        if node in cache:
            known = k
            break
    context = cache[ancestors[known]] if known < len(ancestors) else _EMPTY_CONTEXT
    for node in reversed(ancestors[:known]):
        context = _Context(context.flags | _own_flags(node, top), _nearer(context.groups, _element_groups(node)))
        cache[node] = context
    return context


@lru_cache(maxsize=256)
def _tag_features(tag: str) -> tuple[float, ...]:
    """The ``tag_*`` features of a block's element."""
    return (
        float(tag == "p"),
        float(tag in HEADINGS),
        float(tag == "h1"),
        float(tag == "li"),
        float(tag in CELLS),
        float(tag in ("div", "section", "article", "main", "body", "center")),
        float(tag in ("blockquote", "pre")),
        float(tag in ("figcaption", "caption", "figure")),
        float(tag in ("dt", "dd")),
    )


@lru_cache(maxsize=256)
def _structure(flags: int, hidden: bool) -> tuple[float, ...]:
    """The ``in_*`` features: the ``STRUCTURE`` bits of ``flags``, with the block's own hiddenness."""
    structure = [float(flags >> bit & 1) for bit in range(len(STRUCTURE))]
    structure[_HIDDEN_BIT] = float(hidden)
    return tuple(structure)


_ASCII_DIGITS = bytes(c for c in range(128) if chr(c).isdigit())
_ASCII_UPPER = bytes(c for c in range(128) if chr(c).isupper())
_ASCII_ALNUM_OR_SPACE = bytes(c for c in range(128) if chr(c).isalnum() or chr(c).isspace())


def _char_classes(text: str) -> tuple[int, int, int]:
    """How many of ``text``'s characters are digits, upper case, and letters, digits or space
    (``str.isdigit``, ``isupper``, ``isalnum`` or ``isspace``)."""
    # The ASCII characters are counted with bytes.translate (it deletes a class in one C pass);
    # only the others (an umlaut here and there, or a whole CJK text) one distinct character at a time.
    raw = text.encode("ascii", "ignore")
    n = len(raw)
    digits = n - len(raw.translate(None, _ASCII_DIGITS))
    upper = n - len(raw.translate(None, _ASCII_UPPER))
    alnum_or_space = n - len(raw.translate(None, _ASCII_ALNUM_OR_SPACE))
    if n < len(text):
        for char, count in Counter(text.translate(_WITHOUT_ASCII)).items():
            is_digit, is_upper, is_alnum_or_space = _char_class(char)
            digits += count * is_digit
            upper += count * is_upper
            alnum_or_space += count * is_alnum_or_space
    return digits, upper, alnum_or_space


_WITHOUT_ASCII = dict.fromkeys(range(128))


@lru_cache(maxsize=8192)
def _char_class(char: str) -> tuple[bool, bool, bool]:
    return char.isdigit(), char.isupper(), char.isalnum() or char.isspace()


PROSE_UNITS = 8
PROSE_LINK_DENSITY = 0.35


def _is_prose(f: _Facts) -> bool:
    return f.units >= PROSE_UNITS and f.link_density < PROSE_LINK_DENSITY


def holds_prose(blocks: Sequence[Block]) -> bool:
    """Whether any block reads as prose: 8 words (units) or more, mostly not link text."""
    return any(b.link_chars < PROSE_LINK_DENSITY * max(b.chars, 1) and units(b.text) >= PROSE_UNITS for b in blocks)


def block_rows(blocks: Sequence[Block], language: str | None, title: str | None) -> list[list[float]]:
    """One row per block (``BASE_FEATURES``). Reads the elements' tags and attributes, so it runs
    before trafilatura rewrites the tree."""
    stopwords = stoplist(language)
    facts = [_facts(b, stopwords) for b in blocks]
    n = len(blocks)
    counts = Counter(b.text for b in blocks)
    # Prose characters in each block's three nearest containers, and readability's guess at the
    # article: the element whose child blocks (and, at half weight, grandchild blocks) hold the
    # most prose.
    prose_by_element: defaultdict[Any, int] = defaultdict(int)  # read with .get: no Python call per missing key
    candidate_score: defaultdict[Any, float] = defaultdict(float)
    total_prose = 0
    for block, f in zip(blocks, facts, strict=True):
        if _is_prose(f):
            total_prose += f.chars
            for level, node in enumerate(block.ancestors[1:4]):
                prose_by_element[node] += f.chars
                if level < 2:
                    candidate_score[node] += f.chars / (level + 1)
    total_prose = max(total_prose, 1)
    top = max(candidate_score, key=candidate_score.__getitem__) if candidate_score else None
    contexts: dict[Any, _Context] = {}
    first_h1 = next((i for i, b in enumerate(blocks) if b.tag == "h1"), None)
    total_chars = max(sum(f.chars for f in facts), 1)
    title_words = set(_WORD.findall(title.lower())) if title else set()
    prose_before = [0, *itertools.accumulate(_is_prose(f) for f in facts)]
    rows: list[list[float]] = []
    chars_before = 0
    for i, (block, f) in enumerate(zip(blocks, facts, strict=True)):
        text = block.text
        chars = max(len(text), 1)
        words = max(len(text.split()), 1)
        context = _context(block.ancestors, contexts, top)
        flags = context.flags
        structure = _structure(flags, block.hidden)
        digits, upper, alnum_or_space = _char_classes(text)
        shares = [prose_by_element.get(node, 0) / total_prose for node in block.ancestors[1:4]]
        shares += [0.0] * (3 - len(shares))
        parent = block.ancestors[1] if len(block.ancestors) > 1 else None
        siblings_prose = prose_by_element.get(parent, 0) / max(len(parent), 1) / 500.0 if parent is not None else 0.0
        prev = facts[i - 1] if i > 0 else None
        nxt = facts[i + 1] if i + 1 < n else None
        window = min(n, i + 4) - max(0, i - 3)
        own_words = set(f.words) if title_words else set()
        rows.append(
            [
                math.log1p(f.units),
                math.log1p(f.chars),
                f.link_density,
                float(f.sentence_end),
                f.stopword_density,
                float(bool(stopwords)),
                float(bool(CJK.search(text))),
                digits / chars,
                upper / chars,
                (len(text) - alnum_or_space) / chars,
                text.count(",") / words,
                float(text[:1].isupper()),
                float(min(counts[text] - 1, 5)),
                float(bool(RESIDUE.search(text))),
                float(bool(CREDIT.search(text))),
                float(bool(BYLINE.search(text))),
                float(bool(DATE_LIKE.search(text))),
                *_tag_features(block.tag),
                *structure,
                *context.groups,
                float(min(len(block.ancestors), 60)) / 60.0,
                i / n,
                chars_before / total_chars,
                -1.0 if first_h1 is None else float(i > first_h1),
                -1.0 if first_h1 is None else math.copysign(math.log1p(abs(i - first_h1)), i - first_h1),
                *shares,
                float(flags >> _TOP_BIT & 1),
                min(siblings_prose, 4.0),
                math.log1p(prev.units) if prev else -1.0,
                math.log1p(nxt.units) if nxt else -1.0,
                prev.link_density if prev else -1.0,
                nxt.link_density if nxt else -1.0,
                prev.stopword_density if prev else -1.0,
                nxt.stopword_density if nxt else -1.0,
                float(prev.sentence_end) if prev else -1.0,
                float(nxt.sentence_end) if nxt else -1.0,
                (prose_before[min(n, i + 4)] - prose_before[max(0, i - 3)]) / window,
                len(own_words & title_words) / len(own_words | title_words) if title_words and own_words else -1.0,
            ]
        )
        chars_before += f.chars
    return rows


def vote_columns(blocks: Sequence[Block], votes: Sequence[Sequence[float]]) -> list[list[float]]:
    """The columns each vote (``vote_shares`` of one extractor) adds to a block's row: the
    block's vote, its neighbours' mean vote and the voted share of its three nearest containers'
    text: a block among kept neighbours is likely article too, even where the extractor left it
    out. Reads only which elements hold a block, so it may run after trafilatura rewrote the tree."""
    chars_by_element: Counter[Any] = Counter()
    voted_by_element: list[defaultdict[Any, float]] = [defaultdict(float) for _ in votes]
    for i, block in enumerate(blocks):
        for node in block.ancestors[1:4]:
            chars_by_element[node] += block.chars
            for vote, voted in zip(votes, voted_by_element, strict=True):
                voted[node] += vote[i] * block.chars
    columns = []
    for i, block in enumerate(blocks):
        extra: list[float] = []
        containers = block.ancestors[1:4]
        for vote, voted in zip(votes, voted_by_element, strict=True):
            around = vote[max(0, i - 2) : i + 3]
            extra += [vote[i], sum(around) / len(around)]
            extra += [voted[node] / chars_by_element[node] if chars_by_element[node] else -1.0 for node in containers]
            extra += [-1.0] * (3 - len(containers))
        columns.append(extra)
    return columns


def body_of(blocks: Sequence[Block], keep: Sequence[bool]) -> str:
    """The kept blocks as paragraphs, without the copies a page hides: a hidden block (a share
    dialog, a print version) whose word trigrams the visible kept blocks mostly hold already is
    left out, so an article present twice is returned once."""
    if not any(kept and block.hidden for block, kept in zip(blocks, keep, strict=True)):
        # Most pages keep no hidden block: no trigrams to compare.
        return "\n\n".join(block.text for block, kept in zip(blocks, keep, strict=True) if kept)
    visible: set[tuple[str, ...]] = set()
    for block, kept in zip(blocks, keep, strict=True):
        if kept and not block.hidden:
            visible |= _trigrams(block.text)
    paragraphs = []
    for block, kept in zip(blocks, keep, strict=True):
        if not kept:
            continue
        if block.hidden:
            own = _trigrams(block.text)
            if own and len(own & visible) >= HIDDEN_COPY_SHARE * len(own):
                continue
            visible |= own
        paragraphs.append(block.text)
    return "\n\n".join(paragraphs)


def _trigrams(text: str) -> set[tuple[str, ...]]:
    tokens = _WORD.findall(text)
    if len(tokens) < 3:  # a block of one or two words is its own "trigram"
        return {tuple(tokens)} if tokens else set()
    return set(zip(tokens, tokens[1:], tokens[2:], strict=False))


def feature_names(vote_names: Sequence[str]) -> tuple[str, ...]:
    """The columns of a ``block_rows`` row followed by its ``vote_columns`` for votes named ``vote_names``."""
    per_vote = ("", "_around", "_container_1", "_container_2", "_container_3")
    return (*BASE_FEATURES, *(f"vote_{v}{suffix}" for v in vote_names for suffix in per_vote))
