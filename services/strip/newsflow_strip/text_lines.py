"""Boilerplate removal for flattened text (one visible text block per line).

Each line gets a score from language-independent cues: its length (in words, or in characters
for scripts written without spaces), whether it ends like a sentence, whether it repeats
elsewhere on the page (menus, duplicated captions), and link/credit/player-residue patterns.
Article bodies are contiguous, so the body is the highest-scoring *region* (a maximum-sum
window over the line scores), which lets short in-article lines such as sub-headings survive
while isolated long lines in footers and related-link lists do not.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

_SENTENCE_END = re.compile(r"""[.!?。！？…]["'”’»)\]]*$|[.!?]\s*\(\w[^)]*\)$""")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_RESIDUE = re.compile(
    r"""^(?:\d{1,2}:\d{2}(?::\d{2})?\s*){1,4}$        # player timers: 0:00 0:02:50 0:00
    |please\s+wait|this\s+browser\s+does\s+not\s+support|your\s+browser\s+does\s+not
    |^(?:image|photo|picture|video|credit|source)s?\s*:|©|\(c\)\s*\d{4}|all\s+rights\s+reserved
    |liked\s+by\s+\d+|leave\s+a\s+(?:reply|comment)|sign\s+up|subscribe|newsletter|cookie
    |^(?:share|tweet|email|print|advertisement|related|read\s+more|see\s+also)\b
    |^follow\s+us|^(?:getty|reuters|ap|afp)\s+images?""",
    re.I | re.X,
)
_SEPARATORS = re.compile(r"\s[|•·/»›]\s")


@dataclass(frozen=True)
class TextStrip:
    """What boilerplate removal found in a flattened page."""

    body: str
    header_lines: list[str] = field(default_factory=list)
    footer_lines: list[str] = field(default_factory=list)


def _units(line: str) -> float:
    """Length in words; scripts without spaces count two characters as a word."""
    return max(len(line.split()), len(_CJK.findall(line)) / 2)


def line_score(line: str, repeats: int) -> float:
    """How article-like one line is, in isolation (positive: body-like)."""
    units = _units(line)
    score = -1.5
    score += min(units, 40) / 10  # long lines are prose
    if units >= 8:
        score += 1.0
    if units <= 3:
        score -= 1.0
    if _SENTENCE_END.search(line):
        score += 1.5 if units >= 5 else 0.3
    else:
        score -= 1.0  # headlines, teasers and link lists rarely end like a sentence
    if repeats > 1:
        score -= 2.5  # menus, duplicated captions, repeated teasers
    if _SEPARATORS.search(line) or line.count("|") >= 2:
        score -= 1.0
    return score


def _best_region(scores: list[float]) -> tuple[int, int]:
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


def strip_text(text: str) -> TextStrip:
    """Split a flattened page into header, article body and footer."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if not lines:
        return TextStrip(body="")
    counts = Counter(lines)
    # Known residue (player timers, credits, comment-form text) is never body; leaving it out of
    # the region search keeps one such line from splitting an article in two.
    candidates = [i for i, line in enumerate(lines) if not _RESIDUE.search(line)]
    scores = [line_score(lines[i], counts[lines[i]]) for i in candidates]
    start, end = _best_region(scores)
    if start == end:
        return TextStrip(body="", header_lines=lines)
    kept = []
    for k in range(start, end):
        line, score = lines[candidates[k]], scores[k]
        if score > 0:
            kept.append(line)
            continue
        # A short unique line between two body lines is a sub-heading or a short paragraph.
        before = scores[k - 1] if k > start else -1.0
        after = scores[k + 1] if k + 1 < end else -1.0
        if counts[line] == 1 and _units(line) >= 2 and before > 0 and after > 0:
            kept.append(line)
    first, last = candidates[start], candidates[end - 1]
    return TextStrip(
        body="\n\n".join(kept),
        header_lines=lines[max(0, first - 12) : first],
        footer_lines=lines[last + 1 : last + 13],
    )
