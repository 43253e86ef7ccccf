"""Textual cues more than one stage reads: where a sentence ends, a byline starts, a date is.

Strip's line classifier uses them as features (changing one means retraining: ``make train``),
strip's article check and extract's header parsing use the same definitions.
"""

from __future__ import annotations

import re

SENTENCE_END = re.compile(r"""[.!?。！？…]["'”’»)\]]*$|[.!?]\s*\(\w[^)]*\)$""")
"""A line or paragraph that ends like a sentence (closing quotes and brackets allowed)."""

BYLINE_START = r"^(?:by|von|par|por|di|oleh|автор)\s+"
""""By …" in the languages whose bylines are read."""
BYLINE = re.compile(BYLINE_START + r"\S", re.I)

DATE_LIKE = re.compile(
    # The lookahead on a digit or a month's first letter lets the engine skip other positions at
    # once (twice as fast over every block and line); what matches is unchanged.
    r"(?=[\dadfjmnos])(?:"
    r"\b(?:19|20)\d{2}\b.*\b\d{1,2}:\d{2}\b|\b\d{1,2}:\d{2}\b.*\b(?:19|20)\d{2}\b"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+(?:19|20)\d{2}"
    r"|\b\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?:19|20)\d{2}"
    r"|\b(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}\b|\b\d{1,2}[./]\d{1,2}[./](?:19|20)\d{2}\b)",
    re.I,
)
"""A line that carries a date (a dateline, a timestamp)."""
