"""Per-line features for the boilerplate classifier of flattened text.

Every feature is language-independent or keyed by the page's detected language: stopword density
uses jusText's stoplists (100 languages) for the detected language and is -1 where none exists,
so nothing here assumes English. Context matters as much as the line itself, so each line also
sees its neighbours and where the heuristic body region (``text_lines.best_region``) lies.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache

import justext

from newsflow_shared.textcues import BYLINE, DATE_LIKE, SENTENCE_END
from newsflow_strip.patterns import (
    BULLET,
    CJK,
    CREDIT,
    RESIDUE,
    SEPARATORS,
    URL_LIKE,
    units,
)

_WORD = re.compile(r"\w+")

# ISO 639-1 (what py3langid returns) → jusText stoplist name, for the languages both know.
_STOPLIST_NAMES = {
    "af": "Afrikaans", "ar": "Arabic", "bg": "Bulgarian", "bn": "Bengali", "ca": "Catalan",
    "cs": "Czech", "cy": "Welsh", "da": "Danish", "de": "German", "el": "Greek", "en": "English",
    "eo": "Esperanto", "es": "Spanish", "et": "Estonian", "eu": "Basque", "fa": "Persian",
    "fi": "Finnish", "fr": "French", "ga": "Irish", "gl": "Galician", "he": "Hebrew", "hi": "Hindi",
    "hr": "Croatian", "hu": "Hungarian", "hy": "Armenian", "id": "Indonesian", "is": "Icelandic",
    "it": "Italian", "ka": "Georgian", "kk": "Kazakh", "ko": "Korean", "lt": "Lithuanian",
    "lv": "Latvian", "mk": "Macedonian", "ms": "Malay", "nb": "Norwegian_Bokmal", "nl": "Dutch",
    "nn": "Norwegian_Nynorsk", "no": "Norwegian_Bokmal", "pl": "Polish", "pt": "Portuguese",
    "ro": "Romanian", "ru": "Russian", "sk": "Slovak", "sl": "Slovenian", "sq": "Albanian",
    "sr": "Serbian", "sv": "Swedish", "sw": "Swahili", "ta": "Tamil", "te": "Telugu",
    "tl": "Tagalog", "tr": "Turkish", "uk": "Ukrainian", "ur": "Urdu", "vi": "Vietnamese",
}  # fmt: skip


@cache
def stoplist(language: str | None) -> frozenset[str]:
    """jusText's stopwords for an ISO 639-1 code; empty where the language has none."""
    name = _STOPLIST_NAMES.get(language or "")
    return frozenset(justext.get_stoplist(name)) if name else frozenset()


@dataclass(frozen=True)
class Layout:
    """What the flattened page says around each candidate line, beyond its text: facts that the
    residue filter removed from view: comment headers, and player and comment furniture nearby.
    (Indentation was tried too, but only one training page has any, so it was left out.)"""

    after_comments: list[bool]
    furniture_nearby: list[int]  # removed residue lines within two lines either side


@dataclass(frozen=True)
class LineFacts:
    """What one line says about itself, computed once and shared with its neighbours."""

    units: float
    chars: int
    sentence_end: bool
    stopword_density: float
    link_like: bool


def _facts(line: str, stopwords: frozenset[str]) -> LineFacts:
    words = _WORD.findall(line.lower())
    density = sum(w in stopwords for w in words) / len(words) if stopwords and words else -1.0
    return LineFacts(
        units=units(line),
        chars=len(line),
        sentence_end=bool(SENTENCE_END.search(line)),
        stopword_density=density,
        link_like=bool(URL_LIKE.search(line)) or bool(SEPARATORS.search(line)),
    )


FEATURE_NAMES = (
    "log_units",
    "log_chars",
    "sentence_end",
    "stopword_density",
    "has_stoplist",
    "cjk",
    "repeats",
    "residue",
    "separators",
    "link_like",
    "byline",
    "date_like",
    "digit_ratio",
    "upper_ratio",
    "punct_ratio",
    "comma_per_word",
    "starts_upper",
    "relative_position",
    "heuristic_score",
    "in_region",
    "region_distance",
    "prev_units",
    "next_units",
    "prev_sentence_end",
    "next_sentence_end",
    "prev_stopword_density",
    "next_stopword_density",
    "window_units",
    "window_sentence_end",
    "units_vs_page",
    "bullet",
    "after_comment_section",
    "furniture_nearby",
    "prev_is_credit",
    "next_is_credit",
)


def page_features(
    lines: list[str],
    heuristic: list[float],
    region: tuple[int, int],
    language: str,
    layout: Layout,
) -> list[list[float]]:
    """One feature row per line (``FEATURE_NAMES`` order)."""
    stopwords = stoplist(language)
    facts = [_facts(line, stopwords) for line in lines]
    counts = Counter(lines)
    n = len(lines)
    longest = sorted((f.units for f in facts), reverse=True)
    typical = max(longest[min(len(longest) - 1, 4)], 1.0)
    start, end = region
    rows = []
    for i, line in enumerate(lines):
        f = facts[i]
        prev = facts[i - 1] if i > 0 else None
        nxt = facts[i + 1] if i + 1 < n else None
        window = facts[max(0, i - 3) : i + 4]
        chars = max(len(line), 1)
        words = max(len(line.split()), 1)
        if start <= i < end:
            distance = 0.0
        else:
            distance = float(start - i if i < start else i - end + 1)
        rows.append(
            [
                math.log1p(f.units),
                math.log1p(f.chars),
                float(f.sentence_end),
                f.stopword_density,
                float(bool(stopwords)),
                float(bool(CJK.search(line))),
                float(min(counts[line] - 1, 5)),
                float(bool(RESIDUE.search(line))),
                float(bool(SEPARATORS.search(line)) or line.count("|") >= 2),
                float(f.link_like),
                float(bool(BYLINE.search(line))),
                float(bool(DATE_LIKE.search(line))),
                sum(c.isdigit() for c in line) / chars,
                sum(c.isupper() for c in line) / chars,
                sum(not c.isalnum() and not c.isspace() for c in line) / chars,
                line.count(",") / words,
                float(line[:1].isupper()),
                i / n,
                heuristic[i],
                float(start <= i < end),
                math.log1p(distance),
                math.log1p(prev.units) if prev else -1.0,
                math.log1p(nxt.units) if nxt else -1.0,
                float(prev.sentence_end) if prev else -1.0,
                float(nxt.sentence_end) if nxt else -1.0,
                prev.stopword_density if prev else -1.0,
                nxt.stopword_density if nxt else -1.0,
                math.log1p(sum(w.units for w in window) / len(window)),
                sum(w.sentence_end for w in window) / len(window),
                f.units / typical,
                float(bool(BULLET.search(line))),
                float(layout.after_comments[i]),
                float(min(layout.furniture_nearby[i], 3)),
                float(i > 0 and bool(CREDIT.search(lines[i - 1]))),
                float(i + 1 < n and bool(CREDIT.search(lines[i + 1]))),
            ]
        )
    return rows
