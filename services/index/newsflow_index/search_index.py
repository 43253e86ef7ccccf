"""The embedded full-text index (tantivy, on disk under the data dir).

One process writes (the index service holds tantivy's writer lock); any number of processes
read (``newsflow search``, the search API). Upsert is delete-by-``doc_id`` + add within one
commit, so a redelivered document replaces itself instead of doubling.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tantivy

from newsflow_shared.models import ExtractedDocument

WRITER_HEAP_BYTES = 64 << 20


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("doc_id", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", stored=True)
    builder.add_text_field("body", stored=True)
    builder.add_text_field("outlet", stored=True, tokenizer_name="raw")
    builder.add_text_field("language", stored=True, tokenizer_name="raw")
    builder.add_text_field("entity", stored=False)
    builder.add_text_field("source", stored=True, tokenizer_name="raw")
    builder.add_date_field("published", stored=True, indexed=True, fast=True)
    builder.add_text_field("record", stored=True, index_option="basic", tokenizer_name="raw")
    return builder.build()


# tantivy stores dates as nanoseconds since the epoch in an i64.
_INDEXABLE_DATES = (datetime(1677, 9, 22, tzinfo=UTC), datetime(2262, 4, 11, tzinfo=UTC))


def index_fields(doc: ExtractedDocument) -> dict[str, Any]:
    """The tantivy fields for one document (pure; the whole record is kept in ``record``)."""
    fields: dict[str, Any] = {
        "doc_id": doc.doc_id,
        "title": doc.title or "",
        "body": doc.body,
        "outlet": doc.outlet or "",
        "language": doc.language or "",
        "entity": [e.text for e in doc.entities] or [""],
        "source": doc.source,
        "record": doc.model_dump_json(),
    }
    if doc.published is not None and _INDEXABLE_DATES[0] <= doc.published <= _INDEXABLE_DATES[1]:
        fields["published"] = doc.published  # outside tantivy's nanosecond range it stays in `record` only
    return fields


@dataclass(frozen=True)
class SearchHit:
    """One search result."""

    doc_id: str
    score: float
    title: str
    source: str
    outlet: str
    snippet: str
    record: dict[str, Any]


class SearchIndex:
    """Opens (creating if needed) the index at ``path``."""

    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.schema = _schema()
        self.index = tantivy.Index(self.schema, path=str(path), reuse=True)
        self._writer: tantivy.IndexWriter | None = None

    def upsert_many(self, docs: Sequence[ExtractedDocument]) -> None:
        """Replace-or-insert every document by ``doc_id`` and commit once for the batch."""
        if self._writer is None:
            self._writer = self.index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)
        writer = self._writer
        for doc in docs:
            writer.delete_documents_by_term("doc_id", doc.doc_id)
            writer.add_document(tantivy.Document(**index_fields(doc)))
        writer.commit()

    def close(self) -> None:
        """Release the writer lock."""
        if self._writer is not None:
            self._writer.wait_merging_threads()
            self._writer = None

    def _all_stored(self) -> list[Any]:
        self.index.reload()
        searcher = self.index.searcher()
        result = searcher.search(tantivy.Query.all_query(), limit=max(searcher.num_docs, 1))
        return [searcher.doc(address) for _, address in result.hits]

    def doc_ids(self) -> list[str]:
        """Every indexed ``doc_id`` (with repeats, if the index ever held doubles)."""
        return [stored["doc_id"][0] for stored in self._all_stored()]

    def records(self) -> list[dict[str, Any]]:
        """Every indexed record as stored (the extracted document with its stage timestamps)."""
        return [json.loads(stored["record"][0]) for stored in self._all_stored()]

    def search(self, query: str, limit: int = 10) -> list[SearchHit]:
        """Free-text search over title, body and entities (tantivy query syntax: phrases, AND/OR/-)."""
        self.index.reload()
        searcher = self.index.searcher()
        parsed = self.index.parse_query(query, ["title", "body", "entity"])
        snippets = tantivy.SnippetGenerator.create(searcher, parsed, self.schema, "body")
        hits = []
        for score, address in searcher.search(parsed, limit).hits:
            stored = searcher.doc(address)
            hits.append(
                SearchHit(
                    doc_id=stored["doc_id"][0],
                    score=float(score),
                    title=(stored["title"] or [""])[0],
                    source=(stored["source"] or [""])[0],
                    outlet=(stored["outlet"] or [""])[0],
                    snippet=snippets.snippet_from_doc(stored).to_html(),
                    record=json.loads(stored["record"][0]),
                )
            )
        return hits
