"""The ingest stage: one ingest request (a location) fans out into raw documents.

Which source reads a location is decided in one place, ``sources.Sources.source_for``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from newsflow_ingest.sources import Item, Sources
from newsflow_ingest.web import WebSource
from newsflow_shared import topics
from newsflow_shared.models import IngestRequest, RawDocument, utc_now
from newsflow_shared.settings import IngestSettings
from newsflow_shared.stage import Dropped, Rejected, Stage, StageResult, TransientError


class IngestStage(Stage[IngestRequest, RawDocument]):
    """Reads the files, JSON records, WARC archives, URL lists, pages, feeds or sitemaps a request
    names and emits one raw document per page, file or record; what cannot be read is
    dead-lettered with a reason (an item of a fan-out on its own, naming where to read it again)."""

    name = "ingest"
    input_model = IngestRequest
    input_topic = topics.INGEST_REQUESTS
    output_topic = topics.RAW

    def __init__(self, settings: IngestSettings, web: WebSource | None = None) -> None:
        self.settings = settings
        self.web = web
        self.sources = Sources(settings, web)

    def process(self, doc: IngestRequest) -> list[RawDocument | Rejected] | Dropped:
        """One request, for a caller without an event loop (the runtime calls ``process_batch``)."""
        return asyncio.run(self._read(doc))

    async def process_batch(self, docs: Sequence[IngestRequest]) -> list[StageResult]:
        results: list[StageResult] = []
        for doc in docs:
            try:
                results.append(await self._read(doc))  # type: ignore[arg-type]  # a list of RawDocument is a list of WireModel
            except TransientError:
                raise
            except Exception as exc:  # noqa: BLE001 - the request's dead letter, never a crash
                results.append(exc)
        return results

    async def _read(self, doc: IngestRequest) -> list[RawDocument | Rejected] | Dropped:
        source = self.sources.source_for(doc.source)
        if source is None:
            raise Rejected("source_not_found", f"no such file or directory, and not a URL: {doc.source}")
        empty = Dropped("not_modified", f"{doc.source}: nothing new") if source.name == "web" else None
        return self._stamped(await source.read(doc.source, doc.request_id), doc, empty)

    def _stamped(
        self, outputs: list[Item], doc: IngestRequest, empty: Dropped | None = None
    ) -> list[RawDocument | Rejected] | Dropped:
        if not outputs:
            return empty or Dropped("no_documents", f"{doc.source} holds no supported files")
        # The pipeline's clock starts here: every later stage adds its own stamp (latency figures).
        now = utc_now()
        return [
            out.model_copy(update={"timestamps": {self.name: now}}) if isinstance(out, RawDocument) else out
            for out in outputs
        ]

    async def stop(self) -> None:
        if self.web is not None:
            await self.web.fetcher.close()
