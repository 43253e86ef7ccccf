"""Boilerplate removal for flattened text (one visible text block per line).

Two layers:
1. A hand-written prior (``line_score``) from language-independent cues — length, sentence-like
   ending, repetition on the page, link/credit patterns — and the maximum-sum *region* over those
   scores (article bodies are contiguous).
2. A trained classifier (``make train``; features in ``features.py``) that sees each line, its
   neighbours, the page's language-specific stopword density and where the prior's region lies,
   and decides line by line. The prior alone is the fallback when no model file is shipped.

A text of a single candidate line (an article sent as one paragraph, as APIs and datasets often
hold it) has no layout to judge: that line is the body when it is at least a sentence long
(``SINGLE_LINE_MIN_WORDS``). The classifier, trained on flattened pages, had rejected 64 of the
860 one-line articles of the rated story pairs (docs/decisions.md #7d).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cache

from newsflow_shared.textcues import SENTENCE_END
from newsflow_strip.features import FEATURE_NAMES, Layout, page_features
from newsflow_strip.model import LineClassifier, load_classifier, model_path
from newsflow_strip.patterns import (
    COMMENT_SECTION,
    PLAYER_AND_COMMENT_RESIDUE,
    RESIDUE,
    SEPARATORS,
    units,
)
from newsflow_strip.text_title import text_title

TEXT_MODEL = "text_lines"
SINGLE_LINE_MIN_WORDS = 8
"""The rule of eight's sentence length: a one-line text shorter than this is a fragment, judged
by the classifier like any line."""


@dataclass(frozen=True)
class TextStrip:
    """What boilerplate removal found in a flattened page."""

    body: str
    header_lines: list[str] = field(default_factory=list)
    footer_lines: list[str] = field(default_factory=list)
    title: str | None = None


@dataclass(frozen=True)
class PreparedPage:
    """A page split into candidate lines with everything the classifier needs."""

    lines: list[str]  # non-blank lines, stripped
    candidates: list[int]  # indices of lines that are not known player/comment residue
    rows: list[list[float]]  # one feature row per candidate
    heuristic: list[float]  # the prior, per candidate
    region: tuple[int, int]  # the prior's body region, in candidate positions
    language: str


def line_score(line: str, repeats: int) -> float:
    """How article-like one line is, in isolation (positive: body-like)."""
    n = units(line)
    score = -1.5
    score += min(n, 40) / 10  # long lines are prose
    if n >= 8:
        score += 1.0
    if n <= 3:
        score -= 1.0
    if SENTENCE_END.search(line):
        score += 1.5 if n >= 5 else 0.3
    else:
        score -= 1.0  # headlines, teasers and link lists rarely end like a sentence
    if repeats > 1:
        score -= 2.5  # menus, duplicated captions, repeated teasers
    if SEPARATORS.search(line) or line.count("|") >= 2:
        score -= 1.0
    if RESIDUE.search(line):
        score -= 2.0
    return score


def best_region(scores: list[float]) -> tuple[int, int]:
    """Maximum-sum contiguous window [start, end) (Kadane); empty when nothing is positive."""
    best, best_span = 0.0, (0, 0)
    running, start = 0.0, 0
    for i, s in enumerate(scores):
        if running <= 0:
            running, start = s, i
        else:
            running += s
        if running > best:
            best, best_span = running, (start, i + 1)
    return best_span


def duplicated_captions(lines: list[str]) -> list[int]:
    """Lines repeated back to back (a caption rendered twice, once maybe cut short): both copies.
    The shorter must be most of the longer: a caption is often the opening words of the lead."""
    found: set[int] = set()
    for i in range(1, len(lines)):
        a, b = lines[i - 1], lines[i]
        shorter, longer = sorted((a, b), key=len)
        cut = shorter.rstrip(".…")
        if len(shorter.split()) >= 3 and len(cut) >= 0.6 * len(longer) and longer.startswith(cut):
            found.update((i - 1, i))
    return sorted(found)


def prepare_page(text: str, language: str | None = None) -> PreparedPage:
    """Split, drop known residue, score the prior and build the feature rows."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    # Player timers and comment-form furniture are never body; leaving them out before anything
    # else keeps one such line from splitting an article in two.
    furniture = [bool(PLAYER_AND_COMMENT_RESIDUE.search(line)) for line in lines]
    for i in duplicated_captions(lines):
        furniture[i] = True
    candidates = [i for i, is_furniture in enumerate(furniture) if not is_furniture]
    kept_lines = [lines[i] for i in candidates]
    first_comment_header = next((i for i, line in enumerate(lines) if COMMENT_SECTION.search(line)), len(lines))
    layout = Layout(
        after_comments=[i > first_comment_header for i in candidates],
        furniture_nearby=[sum(furniture[max(0, i - 2) : i + 3]) for i in candidates],
    )
    counts = Counter(kept_lines)
    heuristic = [line_score(line, counts[line]) for line in kept_lines]
    region = best_region(heuristic)
    lang = language or "en"  # clean's detection; None when there was too little text to tell
    rows = page_features(kept_lines, heuristic, region, lang, layout) if kept_lines else []
    return PreparedPage(lines, candidates, rows, heuristic, region, lang)


@cache
def shipped_text_model() -> LineClassifier | None:
    """The trained line classifier, or None where none has been trained yet."""
    if not model_path(TEXT_MODEL).exists():
        return None
    return load_classifier(TEXT_MODEL, FEATURE_NAMES)


def _kept_by_prior(page: PreparedPage) -> list[int]:
    start, end = page.region
    kept = []
    for k in range(start, end):
        if page.heuristic[k] > 0:
            kept.append(k)
            continue
        # A short unique line between two body lines is a sub-heading or a short paragraph.
        before = page.heuristic[k - 1] if k > start else -1.0
        after = page.heuristic[k + 1] if k + 1 < end else -1.0
        if page.rows[k][FEATURE_NAMES.index("repeats")] == 0 and before > 0 and after > 0:
            kept.append(k)
    return kept


def classify_page(page: PreparedPage, model: LineClassifier | None) -> list[int]:
    """Candidate positions judged to be article body."""
    if len(page.candidates) == 1 and len(page.lines[page.candidates[0]].split()) >= SINGLE_LINE_MIN_WORDS:
        return [0]  # one paragraph and nothing around it: the text is the article
    if model is None:
        return _kept_by_prior(page)
    return [k for k, is_body in enumerate(model.body_lines(page.rows)) if is_body]


def strip_text(
    text: str, language: str | None = None, model: LineClassifier | None = None, url: str | None = None
) -> TextStrip:
    """Split a flattened page into header, article body and footer, and find its headline
    (``text_title``; ``url``, where known, helps: article URLs often spell the headline)."""
    page = prepare_page(text, language)
    if not page.candidates:
        return TextStrip(body="", header_lines=page.lines)
    kept = classify_page(page, model or shipped_text_model())
    if not kept:
        return TextStrip(body="", header_lines=page.lines[:12])
    indices = [page.candidates[k] for k in kept]
    first, last = indices[0], indices[-1]
    return TextStrip(
        body="\n\n".join(page.lines[i] for i in indices),
        header_lines=page.lines[max(0, first - 12) : first],
        footer_lines=page.lines[last + 1 : last + 13],
        title=text_title(page.lines, indices, page.language, url),
    )
