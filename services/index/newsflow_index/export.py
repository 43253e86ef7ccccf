"""Exports for data teams: every document matching a query, one row each, as JSON lines, CSV or
Parquet, written page by page so an export of any size streams in bounded memory.

A row is ``EXPORT_COLUMNS``: the canonical documents that match (in the search's order), each
followed by its stored duplicates (``duplicate_of`` names the canonical one). ``newsflow export``
writes a file; ``GET /v1/export`` streams the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from newsflow_index.backend import IndexBackend, SearchFilters
from newsflow_index.query import nothing_to_match, parse_query
from newsflow_shared.models import ExtractedDocument

ExportFormat = Literal["jsonl", "csv", "parquet"]
FORMATS: tuple[ExportFormat, ...] = ("jsonl", "csv", "parquet")
PAGE = 500
EXPORT_COLUMNS = (
    "doc_id",
    "url",
    "outlet",
    "title",
    "published",
    "language",
    "story_id",
    "duplicate_of",
    "body",
    "entities",
    "quotes",
)
MEDIA_TYPES = {
    "jsonl": "application/x-ndjson",
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
}


def row(doc: ExtractedDocument) -> dict[str, Any]:
    """One document's export row (entities and quotes as lists of objects)."""
    return {
        "doc_id": doc.doc_id,
        "url": doc.url,
        "outlet": doc.outlet,
        "title": doc.title,
        "published": doc.published,
        "language": doc.language,
        "story_id": doc.story_id or (doc.doc_id if doc.duplicate_of is None else None),
        "duplicate_of": doc.duplicate_of,
        "body": doc.body,
        "entities": [{"text": e.text, "label": e.label} for e in doc.entities],
        "quotes": [{"speaker": q.speaker, "text": q.text} for q in doc.quotes],
    }


async def matching_rows(
    backend: IndexBackend, query: str, filters: SearchFilters, page: int = PAGE
) -> AsyncIterator[list[dict[str, Any]]]:
    """Pages of rows for every canonical document matching ``query`` and ``filters``, each
    followed by its duplicates. A query with no words to match ("(((") matches nothing, as in search."""
    parsed = parse_query(query)
    if nothing_to_match(query, parsed) is not None:
        return
    matches = await backend.match(parsed, filters, max(await backend.count(), 1))
    doc_ids = [m.doc_id for m in matches]
    for start in range(0, len(doc_ids), page):
        chunk = doc_ids[start : start + page]
        documents = await backend.documents(chunk)
        duplicates = await backend.duplicates_of(chunk)
        rows = []
        for doc_id in chunk:
            if doc_id in documents:
                rows.append(row(documents[doc_id]))
                rows.extend(row(d) for d in duplicates.get(doc_id, []))
        yield rows


class RowEncoder(Protocol):
    """Turns pages of rows into the bytes of one file, incrementally."""

    def encode(self, rows: list[dict[str, Any]]) -> bytes: ...

    def finish(self) -> bytes: ...


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class JsonLinesEncoder:
    def encode(self, rows: list[dict[str, Any]]) -> bytes:
        return b"".join(
            (json.dumps({**r, "published": _iso(r["published"])}, ensure_ascii=False) + "\n").encode() for r in rows
        )

    def finish(self) -> bytes:
        return b""


class CsvEncoder:
    """A header, then one line per row; entities and quotes as JSON arrays in their cells."""

    def __init__(self) -> None:
        self._header_written = False

    def encode(self, rows: list[dict[str, Any]]) -> bytes:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
        if not self._header_written:
            writer.writeheader()
            self._header_written = True
        for r in rows:
            writer.writerow(
                {
                    **r,
                    "published": _iso(r["published"]),
                    "entities": json.dumps(r["entities"], ensure_ascii=False),
                    "quotes": json.dumps(r["quotes"], ensure_ascii=False),
                }
            )
        return out.getvalue().encode()

    def finish(self) -> bytes:
        return b"" if self._header_written else self.encode([])


def arrow_schema() -> Any:
    """The Parquet schema: typed columns, entities and quotes as lists of structs."""
    import pyarrow as pa

    return pa.schema(
        [
            ("doc_id", pa.string()),
            ("url", pa.string()),
            ("outlet", pa.string()),
            ("title", pa.string()),
            ("published", pa.timestamp("us", tz="UTC")),
            ("language", pa.string()),
            ("story_id", pa.string()),
            ("duplicate_of", pa.string()),
            ("body", pa.string()),
            ("entities", pa.list_(pa.struct([("text", pa.string()), ("label", pa.string())]))),
            ("quotes", pa.list_(pa.struct([("speaker", pa.string()), ("text", pa.string())]))),
        ]
    )


class _Sink(io.RawIOBase):
    """A write-only file that hands over what was written since the last ``take``."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._buffer += bytes(data)
        return len(data)

    def take(self) -> bytes:
        data, self._buffer = bytes(self._buffer), bytearray()
        return data


class ParquetEncoder:
    """One row group per page, written as it comes (the footer at ``finish``)."""

    def __init__(self) -> None:
        import pyarrow.parquet as pq

        self._schema = arrow_schema()
        self._sink = _Sink()
        self._writer = pq.ParquetWriter(self._sink, self._schema, compression="zstd")

    def encode(self, rows: list[dict[str, Any]]) -> bytes:
        import pyarrow as pa

        if rows:
            published = [r["published"].astimezone(UTC) if r["published"] else None for r in rows]
            table = pa.Table.from_pylist(
                [{**r, "published": p} for r, p in zip(rows, published, strict=True)], self._schema
            )
            self._writer.write_table(table)
        return self._sink.take()

    def finish(self) -> bytes:
        self._writer.close()
        return self._sink.take()


def encoder(kind: ExportFormat) -> RowEncoder:
    if kind == "jsonl":
        return JsonLinesEncoder()
    if kind == "csv":
        return CsvEncoder()
    return ParquetEncoder()


async def export_bytes(
    backend: IndexBackend, query: str, filters: SearchFilters, kind: ExportFormat
) -> AsyncIterator[tuple[bytes, int]]:
    """The export file's bytes, chunk by chunk, each with the number of rows it carried."""
    writer = encoder(kind)
    async for rows in matching_rows(backend, query, filters):
        yield writer.encode(rows), len(rows)
    yield writer.finish(), 0


def read_rows(data: bytes, kind: ExportFormat) -> Iterator[dict[str, Any]]:
    """Rows back from an export's bytes (for checks and notebooks)."""
    if kind == "jsonl":
        yield from (json.loads(line) for line in data.decode().splitlines() if line)
    elif kind == "csv":
        for r in csv.DictReader(io.StringIO(data.decode())):
            yield {**r, "entities": json.loads(r["entities"]), "quotes": json.loads(r["quotes"])}
    else:
        import pyarrow.parquet as pq

        yield from pq.read_table(io.BytesIO(data)).to_pylist()
