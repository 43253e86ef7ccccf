"""The sink interface every index backend implements (tantivy embedded, PostgreSQL full-text).

A backend stores every document it is given, keyed by ``doc_id`` (upsert: a redelivered or
replayed document replaces itself, never doubles). Canonical documents are searchable;
duplicates (``duplicate_of`` set) are stored as links to their canonical document and are only
ever returned through it. Query parsing (``query.py``), facets, collapsing by story and
pagination (``search.py``) are shared, so the backends differ only in storage and matching, and
one contract suite (``tests/contract``) holds both to the same behaviour.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from newsflow_index.query import ParsedQuery
from newsflow_shared.models import ExtractedDocument

NAMED_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "EVENT"})
"""What facets, the entity filter and entity pages list: people, organisations, places and
events, not nationalities or groups ("Russian", "Democrats": NORP) nor titles of works."""


def entity_names(doc: ExtractedDocument) -> list[str]:
    """The document's canonical entity names that a user browses by, first mention first."""
    return list(dict.fromkeys(e.text for e in doc.entities if e.label in NAMED_LABELS))


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Exact-match filters (case-insensitive for outlet and entity) and a publication date range."""

    outlet: str | None = None
    language: str | None = None
    entity: str | None = None
    published_from: datetime | None = None
    published_to: datetime | None = None


@dataclass(frozen=True, slots=True)
class Match:
    """A canonical document matching a query, with what facets and collapsing need."""

    doc_id: str
    score: float
    story_id: str
    outlet: str | None
    entities: tuple[str, ...]
    published: datetime | None = None


class IndexBackend(Protocol):
    """Storage and matching; see the module docstring for the contract."""

    async def upsert_many(self, docs: Sequence[ExtractedDocument]) -> None:
        """Store every document (canonical or duplicate) by ``doc_id``, atomically per batch."""
        ...

    async def match(self, query: ParsedQuery, filters: SearchFilters, limit: int) -> list[Match]:
        """Canonical documents matching ``query`` and ``filters``, best first (ties by doc_id)."""
        ...

    async def documents(self, doc_ids: Sequence[str]) -> dict[str, ExtractedDocument]:
        """The stored documents among ``doc_ids`` (canonical or duplicate)."""
        ...

    async def snippets(self, query: ParsedQuery, doc_ids: Sequence[str]) -> dict[str, str]:
        """An HTML snippet of each body with the query's words in ``<b>`` (text escaped)."""
        ...

    async def duplicates_of(self, doc_ids: Sequence[str]) -> dict[str, list[ExtractedDocument]]:
        """For each canonical ``doc_id``, the duplicates linked to it."""
        ...

    async def story(self, story_id: str) -> list[ExtractedDocument]:
        """The canonical documents of one story, oldest first."""
        ...

    async def count(self) -> int:
        """How many canonical (searchable) documents are stored."""
        ...

    async def close(self) -> None:
        """Flush and release (locks, connections)."""
        ...


def story_order(doc: ExtractedDocument) -> tuple[float, str]:
    """Order of a story's documents: by publication (or fetch) time, then doc_id."""
    return ((doc.published or doc.fetched_at).timestamp(), doc.doc_id)
