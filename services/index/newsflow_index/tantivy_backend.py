"""The embedded index backend: tantivy, on disk under the data dir.

One process writes (the index service holds tantivy's writer lock); any number of processes
read (``newsflow search``, the search API). Upsert is delete-by-``doc_id`` + add within one
commit, so a redelivered document replaces itself instead of doubling. tantivy is synchronous:
every call runs in a worker thread so the event loop (and the consumer heartbeat) keeps going.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tantivy

from newsflow_index.backend import Match, SearchFilters, entity_names, story_order
from newsflow_index.query import Atom, ParsedQuery
from newsflow_shared.models import ExtractedDocument

WRITER_HEAP_BYTES = 64 << 20
SCHEMA_VERSION = "v4"
"""The index lives in ``<index_dir>/<SCHEMA_VERSION>``: a schema change starts a new index
(re-fill it with ``newsflow dlq replay``-style re-ingestion) instead of failing to open the old."""
SEARCHED_FIELDS = ("title", "body", "entity")
CANONICAL, DUPLICATE = "canonical", "duplicate"


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    for raw in ("doc_id", "kind", "duplicate_of", "story_id", "outlet", "language", "entity_name"):
        builder.add_text_field(raw, stored=True, tokenizer_name="raw")
    for key in ("outlet_key", "entity_key"):
        builder.add_text_field(key, stored=False, tokenizer_name="raw")
    builder.add_text_field("title", stored=True)
    builder.add_text_field("body", stored=True)
    builder.add_text_field("entity", stored=False)
    builder.add_date_field("published", stored=True, indexed=True, fast=True)  # stored: timelines read it
    # Stored, never searched: as a raw-tokenized text field each record was also one term of
    # 10-100 KB in the term dictionary, which every segment merge rebuilt; as bytes, the index
    # service used half the CPU per commit (docs/performance.md).
    builder.add_bytes_field("record", stored=True, indexed=False)
    return builder.build()


# tantivy stores dates as nanoseconds since the epoch in an i64.
_INDEXABLE_DATES = (datetime(1677, 9, 22, tzinfo=UTC), datetime(2262, 4, 11, tzinfo=UTC))


def index_fields(doc: ExtractedDocument) -> dict[str, Any]:
    """The tantivy fields for one document (pure; the whole record is kept in ``record``)."""
    names = entity_names(doc)
    fields: dict[str, Any] = {
        "doc_id": doc.doc_id,
        "kind": DUPLICATE if doc.duplicate_of else CANONICAL,
        "duplicate_of": doc.duplicate_of or "",
        "story_id": doc.story_id or doc.doc_id,
        "outlet": doc.outlet or "",
        "outlet_key": (doc.outlet or "").lower(),
        "language": doc.language or "",
        "entity_name": names or [""],
        "entity_key": [n.lower() for n in names] or [""],
        "title": doc.title or "",
        "body": doc.body,
        "entity": names or [""],
        "record": doc.to_wire(),
    }
    if doc.published is not None and _INDEXABLE_DATES[0] <= doc.published <= _INDEXABLE_DATES[1]:
        fields["published"] = doc.published  # outside tantivy's nanosecond range it stays in `record` only
    return fields


class TantivyBackend:
    """Opens (creating if needed) the index under ``index_dir``."""

    def __init__(self, index_dir: Path) -> None:
        path = index_dir / SCHEMA_VERSION
        path.mkdir(parents=True, exist_ok=True)
        self.schema = _schema()
        self.index = tantivy.Index(self.schema, path=str(path), reuse=True)
        self._writer: tantivy.IndexWriter | None = None

    # -- writing -------------------------------------------------------------------------------

    async def upsert_many(self, docs: Sequence[ExtractedDocument]) -> None:
        await asyncio.to_thread(self._upsert_many, docs)

    def _upsert_many(self, docs: Sequence[ExtractedDocument]) -> None:
        if self._writer is None:
            self._writer = self.index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)
        writer = self._writer
        for doc in docs:
            writer.delete_documents_by_term("doc_id", doc.doc_id)
            writer.add_document(tantivy.Document(**index_fields(doc)))
        writer.commit()

    async def close(self) -> None:
        if self._writer is not None:
            await asyncio.to_thread(self._writer.wait_merging_threads)
            self._writer = None

    # -- reading -------------------------------------------------------------------------------

    def _searcher(self) -> tantivy.Searcher:
        self.index.reload()
        return self.index.searcher()

    def _term(self, field: str, value: str) -> tantivy.Query:
        return tantivy.Query.term_query(self.schema, field, value)

    def _atom(self, atom: Atom) -> tantivy.Query:
        per_field = [
            tantivy.Query.phrase_query(self.schema, field, list(atom.words))
            if len(atom.words) > 1
            else tantivy.Query.term_query(self.schema, field, atom.words[0])
            for field in SEARCHED_FIELDS
        ]
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in per_field])

    def _text_query(self, query: ParsedQuery) -> tantivy.Query:
        if query.matches_all:
            return tantivy.Query.all_query()
        alternatives = []
        for clause in query.alternatives:
            parts = [(tantivy.Occur.MustNot if a.negated else tantivy.Occur.Must, self._atom(a)) for a in clause]
            if all(a.negated for a in clause):
                parts.append((tantivy.Occur.Must, tantivy.Query.all_query()))
            alternatives.append(tantivy.Query.boolean_query(parts))
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in alternatives])

    def _query(self, query: ParsedQuery, filters: SearchFilters) -> tantivy.Query:
        must = [self._text_query(query), self._term("kind", CANONICAL)]
        if filters.outlet:
            must.append(self._term("outlet_key", filters.outlet.lower()))
        if filters.language:
            must.append(self._term("language", filters.language))
        if filters.entity:
            must.append(self._term("entity_key", filters.entity.lower()))
        if filters.published_from or filters.published_to:
            must.append(
                tantivy.Query.range_query(
                    self.schema, "published", tantivy.FieldType.Date, filters.published_from, filters.published_to
                )
            )
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in must])

    async def match(self, query: ParsedQuery, filters: SearchFilters, limit: int) -> list[Match]:
        return await asyncio.to_thread(self._match, query, filters, limit)

    def _match(self, query: ParsedQuery, filters: SearchFilters, limit: int) -> list[Match]:
        searcher = self._searcher()
        matches = []
        for score, address in searcher.search(self._query(query, filters), limit).hits:
            stored = searcher.doc(address)
            matches.append(
                Match(
                    doc_id=stored["doc_id"][0],
                    score=float(score),
                    story_id=stored["story_id"][0],
                    outlet=stored["outlet"][0] or None,
                    entities=tuple(e for e in stored["entity_name"] if e),
                    published=(stored.to_dict().get("published") or [None])[0],
                )
            )
        return sorted(matches, key=lambda m: (-m.score, m.doc_id))

    def _records(self, query: tantivy.Query, limit: int = 10_000) -> list[ExtractedDocument]:
        searcher = self._searcher()
        hits = searcher.search(query, max(min(limit, searcher.num_docs), 1)).hits  # top-k allocates k
        return [ExtractedDocument.model_validate_json(searcher.doc(address)["record"][0]) for _, address in hits]

    def _any_of(self, field: str, values: Sequence[str]) -> tantivy.Query:
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, self._term(field, v)) for v in values])

    async def documents(self, doc_ids: Sequence[str]) -> dict[str, ExtractedDocument]:
        if not doc_ids:
            return {}
        records = await asyncio.to_thread(self._records, self._any_of("doc_id", doc_ids), len(doc_ids))
        return {doc.doc_id: doc for doc in records}

    async def snippets(self, query: ParsedQuery, doc_ids: Sequence[str]) -> dict[str, str]:
        return await asyncio.to_thread(self._snippets, query, doc_ids)

    def _snippets(self, query: ParsedQuery, doc_ids: Sequence[str]) -> dict[str, str]:
        if not doc_ids:
            return {}
        searcher = self._searcher()
        generator = tantivy.SnippetGenerator.create(searcher, self._text_query(query), self.schema, "body")
        generator.set_max_num_chars(240)
        found = {}
        for _, address in searcher.search(self._any_of("doc_id", doc_ids), len(doc_ids)).hits:
            stored = searcher.doc(address)
            snippet = generator.snippet_from_doc(stored).to_html() if not query.matches_all else ""
            found[stored["doc_id"][0]] = snippet or html.escape(stored["body"][0][:240])
        return found

    async def duplicates_of(self, doc_ids: Sequence[str]) -> dict[str, list[ExtractedDocument]]:
        if not doc_ids:
            return {}
        records = await asyncio.to_thread(self._records, self._any_of("duplicate_of", doc_ids))
        linked: dict[str, list[ExtractedDocument]] = {}
        for doc in sorted(records, key=lambda d: d.doc_id):
            linked.setdefault(doc.duplicate_of or "", []).append(doc)
        return linked

    async def story(self, story_id: str) -> list[ExtractedDocument]:
        query = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, self._term("story_id", story_id)),
                (tantivy.Occur.Must, self._term("kind", CANONICAL)),
            ]
        )
        return sorted(await asyncio.to_thread(self._records, query), key=story_order)

    async def count(self) -> int:
        return await asyncio.to_thread(
            lambda: int(self._searcher().search(self._term("kind", CANONICAL), 1, count=True).count or 0)  # type: ignore[attr-defined]
        )

    async def all_records(self) -> list[ExtractedDocument]:
        """Every stored document, canonical and duplicate (benchmarks and fault tests count these)."""
        return await asyncio.to_thread(self._records, tantivy.Query.all_query(), 1 << 30)
