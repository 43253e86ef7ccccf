"""The search query language, parsed once so that every backend means the same thing by it.

    ukraine border            both words (AND is the default; writing it changes nothing)
    "phone call"              the phrase
    biden OR putin            either; OR separates alternatives: ``a b OR c`` is (a AND b) OR c
    ukraine -crimea           ukraine without crimea; a query of exclusions only excludes from all

Words are what the indexes tokenize: runs of letters and digits, lowercased (``Biden's`` is the
phrase "biden s"). Nothing a user types is a syntax error; an empty query matches everything, and
a query with no words at all ("(((", '"', "AND OR") matches nothing (search says why).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

WORD = re.compile(r"[^\W_]+")
_TOKEN = re.compile(r'-?"[^"]*"?|\S+')


@dataclass(frozen=True, slots=True)
class Atom:
    """A word or phrase (one or more words in order), possibly excluded."""

    words: tuple[str, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """Alternatives (OR) of conjunctions (AND) of atoms; no alternatives means match all."""

    alternatives: tuple[tuple[Atom, ...], ...]

    @property
    def matches_all(self) -> bool:
        return not self.alternatives


def words(text: str) -> tuple[str, ...]:
    """The index's tokens of ``text``."""
    return tuple(w.lower() for w in WORD.findall(text))


def parse_query(text: str) -> ParsedQuery:
    """Parse a user's query (never raises)."""
    alternatives: list[tuple[Atom, ...]] = []
    clause: list[Atom] = []
    for token in _TOKEN.findall(text):
        if token == "AND":  # the default between words, written out
            continue
        if token == "OR":
            if clause:
                alternatives.append(tuple(clause))
            clause = []
            continue
        negated = token.startswith("-") and len(token) > 1
        tokens = words(token)
        if tokens:
            clause.append(Atom(tokens, negated))
    if clause:
        alternatives.append(tuple(clause))
    return ParsedQuery(tuple(alternatives))


def nothing_to_match(text: str, parsed: ParsedQuery) -> str | None:
    """Why a query matches nothing, when it has text but no words ("(((", '"', "AND OR"); None
    otherwise. (An empty query browses everything; this one must not: it would answer a
    question nobody asked.)"""
    if parsed.matches_all and text.strip():
        return f"the query {text!r} has no words to match (only punctuation or operators)"
    return None


def matches(query: ParsedQuery, fields: Sequence[tuple[str, ...]]) -> bool:
    """Whether a document whose searched fields have these tokens (``words`` of each: title,
    body, each entity name) matches ``query``, as the indexes match it: a word anywhere, a
    phrase within one field, an excluded atom nowhere."""
    if query.matches_all:
        return True
    vocabulary = {w for field in fields for w in field}

    def found(atom: Atom) -> bool:
        if len(atom.words) == 1:
            return atom.words[0] in vocabulary
        n = len(atom.words)
        return any(field[i : i + n] == atom.words for field in fields for i in range(len(field) - n + 1))

    return any(all(found(atom) != atom.negated for atom in clause) for clause in query.alternatives)
