"""The headline of a flattened page: the line, among those just above the body, that reads most
like a headline, chosen by a small trained model (``make train``: ``newsflow_lab.title_train``).

A flattened page has no markup to say which line is the title. The candidates are the lines from
``WINDOW_ABOVE`` above the first body line to the line after it (a headline that the body
classifier kept is still a headline); each is described by its length and shape, how far it is
from the body, whether the page repeats it (a title often appears as both ``<title>`` and
``<h1>``), how many of its words the lead shares, and the cues of bylines, dates, credits and
menus. The most likely candidate is the title if the model's probability reaches the shipped
threshold; otherwise there is none.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from newsflow_shared.textcues import BYLINE, DATE_LIKE, SENTENCE_END
from newsflow_strip.features import stoplist
from newsflow_strip.model import BoostedTrees, model_path
from newsflow_strip.patterns import CREDIT, RESIDUE, SEPARATORS, URL_LIKE, units

TITLE_MODEL = "text_title"
WINDOW_ABOVE = 25
MAX_TITLE_WORDS = 30
"""Longer lines are paragraphs, never headlines (a text that is one paragraph has no title line)."""
_WORD = re.compile(r"\w+")

TITLE_FEATURES = (
    "log_units",
    "log_chars",
    "distance_to_body",
    "in_body",
    "sentence_end",
    "question_or_exclamation",
    "ends_with_colon",
    "repeats",
    "lead_overlap",
    "lead_share",
    "date_like",
    "byline",
    "credit",
    "residue",
    "separators",
    "url_like",
    "digit_ratio",
    "upper_ratio",
    "starts_upper",
    "stopword_density",
    "relative_position",
    "longest_candidate",
    "rank_by_length",
    "prev_units",
    "next_units",
    "headline_like_above",
    "url_overlap",
)


@dataclass(frozen=True)
class TitleCandidates:
    """The candidate lines (indices into the page's lines) and their feature rows."""

    indices: list[int]
    rows: list[list[float]]


def _slug_words(url: str | None) -> set[str]:
    """The words of a URL's path: most article URLs spell out the headline ("/2024/05/storm-hits-coast")."""
    if not url:
        return set()
    return {w.lower() for w in _WORD.findall(urlsplit(url).path.replace("-", " ").replace("_", " ")) if not w.isdigit()}


def title_candidates(
    lines: list[str], body: list[int], language: str | None, url: str | None = None
) -> TitleCandidates:
    """Candidates around the body's start; ``body`` lists the indices of the lines kept as body."""
    if not body:
        return TitleCandidates([], [])
    first = body[0]
    in_body = set(body)
    indices = [
        i
        for i in range(max(0, first - WINDOW_ABOVE), min(len(lines), first + 2))
        if 1 <= units(lines[i]) <= MAX_TITLE_WORDS
    ]
    stopwords = stoplist(language)
    counts = Counter(lines)
    lead_words = [w.lower() for w in _WORD.findall(" ".join(lines[i] for i in body[:3]))][:300]
    lead = set(lead_words)
    slug = _slug_words(url)
    lengths = {i: units(lines[i]) for i in indices}
    longest = max(lengths.values(), default=0.0)
    by_length = sorted(indices, key=lambda i: -lengths[i])
    rows = []
    headline_like_seen = 0
    for i in indices:
        line = lines[i]
        words = [w.lower() for w in _WORD.findall(line)]
        chars = max(len(line), 1)
        n = lengths[i]
        shared = sum(w in lead for w in words)
        headline_like = 3 <= n <= 30 and not SENTENCE_END.search(line)
        rows.append(
            [
                math.log1p(n),
                math.log1p(len(line)),
                float(first - i),
                float(i in in_body),
                float(bool(SENTENCE_END.search(line))),
                float(line.rstrip()[-1:] in "?!"),
                float(line.rstrip().endswith(":")),
                float(min(counts[line] - 1, 3)),
                shared / len(words) if words else 0.0,
                shared / max(len(lead), 1),
                float(bool(DATE_LIKE.search(line))),
                float(bool(BYLINE.search(line))),
                float(bool(CREDIT.search(line))),
                float(bool(RESIDUE.search(line))),
                float(len(SEPARATORS.findall(line)) + line.count("|")),
                float(bool(URL_LIKE.search(line))),
                sum(map(str.isdigit, line)) / chars,
                sum(map(str.isupper, line)) / chars,
                float(line[:1].isupper()),
                sum(w in stopwords for w in words) / len(words) if stopwords and words else -1.0,
                i / max(len(lines), 1),
                float(n == longest),
                float(by_length.index(i)),
                units(lines[i - 1]) if i > 0 else -1.0,
                units(lines[i + 1]) if i + 1 < len(lines) else -1.0,
                float(headline_like_seen),
                sum(w in slug for w in words) / len(words) if slug and words else -1.0,
            ]
        )
        headline_like_seen += headline_like
    return TitleCandidates(indices, rows)


@dataclass(frozen=True)
class TitleModel:
    """Boosted trees scoring candidates, and the least probability a title must have."""

    trees: BoostedTrees
    threshold: float

    def choose(self, lines: list[str], candidates: TitleCandidates) -> str | None:
        if not candidates.indices:
            return None
        probabilities = self.trees.probabilities(candidates.rows)
        best = max(range(len(probabilities)), key=probabilities.__getitem__)
        return lines[candidates.indices[best]] if probabilities[best] >= self.threshold else None

    def to_json(self) -> str:
        import json
        from dataclasses import asdict

        return json.dumps({"trees": asdict(self.trees), "threshold": self.threshold}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> TitleModel:
        import json

        raw = json.loads(text)
        return cls(BoostedTrees.from_dict(raw["trees"]), raw["threshold"])


@cache
def shipped_title_model() -> TitleModel:
    model = TitleModel.from_json(model_path(TITLE_MODEL).read_text())
    if tuple(model.trees.feature_names) != TITLE_FEATURES:
        raise RuntimeError(f"model {TITLE_MODEL!r} was trained on other features; run `make train`")
    return model


def text_title(
    lines: list[str], body: list[int], language: str | None, url: str | None = None, model: TitleModel | None = None
) -> str | None:
    """The page's headline, or None when no candidate is likely enough."""
    return (model or shipped_title_model()).choose(lines, title_candidates(lines, body, language, url))
