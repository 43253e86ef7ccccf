"""Language identification with py3langid (its model ships inside the package: no download)."""

from __future__ import annotations

import heapq

import py3langid

MIN_CHARS = 20
"""Below this many letters there is too little evidence to name a language."""


def load_language_model() -> None:
    """Load py3langid's model now: it loads lazily on the first call, which took 0.8 s of the
    first document's time after every start."""
    py3langid.classify("warm-up")


SAMPLE_LINES = 30
SAMPLE_CHARS = 4000
"""py3langid's cost grows with its input; on both development sets' 305 pages the first 4,000
characters of the sample decide exactly as the whole sample does, at 40% of the time."""


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's main language, from its longest lines (menus, credits and
    results tables say little about it), or ``None`` when there is too little text.

    The one language detection of the pipeline: strip's line classifier reads it too."""
    # The longest lines by raw length first (in C: a page's markup leaves thousands of blank
    # ones), then by their stripped length.
    longest = heapq.nlargest(SAMPLE_LINES * 2, text.split("\n"), key=len)
    lines = heapq.nlargest(SAMPLE_LINES, (stripped for line in longest if (stripped := line.strip())), key=len)
    sample = " ".join(lines)[:SAMPLE_CHARS]
    if sum(map(str.isalpha, sample[:2000])) < MIN_CHARS:
        return None
    language, _score = py3langid.classify(sample)
    return str(language)
