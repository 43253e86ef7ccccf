"""``newsflow extract``: ingest → clean → strip → extract in one process, no broker, no Redis.

The stages are built by the services' own composition roots (standalone: no shared state) and
run through the runtime's in-process chain, so quality measured here is the pipeline's, and a
drop or a dead letter here is the one the services would make.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from newsflow_cli.registry import create_stage
from newsflow_shared import topics
from newsflow_shared.models import ExtractedDocument, IngestRequest, RawDocument
from newsflow_shared.runtime.chain import ChainRun, InProcessChain
from newsflow_shared.settings import Settings, standalone_settings

EXTRACT_STAGES = ("ingest", "clean", "strip", "extract")
CHUNK = 32
"""Inputs sent through the chain at once: NER is batched across them, memory stays bounded."""


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


class Extractor:
    """The document stages of the pipeline, chained in this process."""

    def __init__(self, settings: Settings | None = None) -> None:
        settings = settings or standalone_settings()
        stages = [create_stage(name, settings, standalone=True) for name in EXTRACT_STAGES]
        self.chain = InProcessChain(stages, settings.runtime)
        self._loop = asyncio.new_event_loop()
        self._loop.run_until_complete(self.chain.start())

    def close(self) -> None:
        self._loop.run_until_complete(self.chain.stop())
        self._loop.close()

    def run(self, paths: Sequence[str]) -> Iterator[dict[str, Any]]:
        """One contract record per document, in input order (NER batched across documents)."""
        for start in range(0, len(paths), CHUNK):
            chunk = list(paths[start : start + CHUNK])
            requests = [IngestRequest(request_id=f"extract-{start + n}", source=p) for n, p in enumerate(chunk)]
            yield from _records(requests, self._loop.run_until_complete(self.chain.run(requests)))


def _records(requests: list[IngestRequest], run: ChainRun) -> Iterator[dict[str, Any]]:
    sources = {raw.doc_id: raw.source for raw in run.of(topics.RAW, RawDocument)}
    extracted = {doc.doc_id: doc for doc in run.of(topics.EXTRACTED, ExtractedDocument)}
    failures = {letter.doc_id: f"{letter.reason}: {letter.error}" for letter in run.dead_letters}
    outputs: dict[str, list[str]] = {}
    for event in run.events:
        if event.outcome == "dropped":
            failures.setdefault(event.doc_id, f"{event.reason}: {event.detail or ''}".rstrip(": "))
        elif event.stage == "ingest" and event.doc_id is not None:
            outputs[event.doc_id] = event.output_ids
    for request in requests:
        if request.request_id not in outputs:
            yield contract_record(request.source, None, failures.get(request.request_id, "not_read"))
            continue
        for doc_id in outputs[request.request_id]:
            source = sources.get(doc_id, request.source)
            if doc_id in extracted:
                yield contract_record(source, extracted[doc_id])
            else:
                yield contract_record(source, None, failures.get(doc_id, "processing_error: no output"))


def run_extract(paths: Sequence[str]) -> int:
    """Print one JSON object per document; exit status 1 if any document failed, after naming
    each failed input and why on stderr."""
    failures: list[str] = []
    total = 0
    extractor = Extractor()
    try:
        for record in extractor.run(paths):
            total += 1
            if "error" in record:
                failures.append(f"  {record['source']}: {record['error']}")
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    finally:
        extractor.close()
    if failures:
        sys.stderr.write(
            f"newsflow extract: {len(failures)} of {total} documents failed:\n" + "\n".join(failures) + "\n"
        )
    return 1 if failures else 0
