"""``newsflow extract``: ingest → clean → strip → extract in one process, no broker, no Redis.

It calls the very stage classes the services run, so quality measured here is the pipeline's.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from newsflow_clean.stage import CleanStage
from newsflow_extract.stage import ExtractStage
from newsflow_ingest.stage import IngestStage
from newsflow_shared.models import ExtractedDocument, IngestRequest, RawDocument, StrippedDocument
from newsflow_shared.settings import ExtractSettings, IngestSettings
from newsflow_shared.stage import Dropped, Rejected
from newsflow_strip.stage import StripStage


def contract_record(source: str, doc: ExtractedDocument | None, error: str | None = None) -> dict[str, Any]:
    """One output line of ``newsflow extract`` (the quality contract's fields, then extras)."""
    record: dict[str, Any] = {
        "source": source,
        "title": doc.title if doc else None,
        "body": doc.body if doc else "",
        "published": doc.published.isoformat() if doc and doc.published else None,
        "outlet": doc.outlet if doc else None,
        "language": doc.language if doc else None,
        "entities": [e.model_dump() for e in doc.entities] if doc else [],
        "quotes": [q.model_dump() for q in doc.quotes] if doc else [],
    }
    if doc is not None:
        record["updated"] = doc.updated.isoformat() if doc.updated else None
        record["authors"] = doc.authors
        record["doc_id"] = doc.doc_id
        record["body_source"] = doc.body_source
        record["article_score"] = doc.article_score
    if error:
        record["error"] = error
    return record


class InProcessPipeline:
    """The document stages chained by direct calls."""

    def __init__(self, extract_settings: ExtractSettings | None = None) -> None:
        self.ingest = IngestStage(IngestSettings())
        self.clean = CleanStage()
        self.strip = StripStage()
        self.extract = ExtractStage(extract_settings or ExtractSettings())
        asyncio.run(self.extract.start())

    def raw_documents(self, path: str) -> Iterator[tuple[str, RawDocument | None, str | None]]:
        """(source, document or None, error) for each document the path holds."""
        try:
            result = self.ingest.process(IngestRequest(request_id="extract", source=path))
        except Rejected as exc:
            yield path, None, f"{exc.reason}: {exc}"
            return
        if isinstance(result, Dropped):
            yield path, None, f"{result.reason}: {result.detail}"
            return
        for item in result:
            if isinstance(item, Rejected):
                yield path, None, f"{item.reason}: {item}"
            else:
                yield item.source, item, None

    def run(self, paths: Sequence[str]) -> Iterator[dict[str, Any]]:
        """One contract record per document, in input order (NER batched across documents)."""
        pending: list[tuple[str, StrippedDocument]] = []
        for path in paths:
            for source, raw, error in self.raw_documents(path):
                if raw is None:
                    yield contract_record(source, None, error)
                    continue
                try:
                    stripped = self.strip.process(self.clean.process(raw))
                except Rejected as exc:
                    yield contract_record(source, None, f"{exc.reason}: {exc}")
                    continue
                if isinstance(stripped, Dropped):
                    yield contract_record(source, None, f"{stripped.reason}: {stripped.detail}")
                    continue
                pending.append((source, stripped))
        for (source, _), result in zip(pending, self.extract.process_each([doc for _, doc in pending]), strict=True):
            if isinstance(result, ExtractedDocument):
                yield contract_record(source, result)
            else:
                yield contract_record(source, None, f"processing_error: {result}")


def run_extract(paths: Sequence[str]) -> int:
    """Print one JSON object per document; exit status 1 if any document failed, after naming
    each failed input and why on stderr."""
    failures: list[str] = []
    total = 0
    for record in InProcessPipeline().run(paths):
        total += 1
        if "error" in record:
            failures.append(f"  {record['source']}: {record['error']}")
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    if failures:
        sys.stderr.write(
            f"newsflow extract: {len(failures)} of {total} documents failed:\n" + "\n".join(failures) + "\n"
        )
    return 1 if failures else 0
