"""The index stage: a batching sink."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from newsflow_index.cache import DocumentCache
from newsflow_index.search_index import SearchIndex
from newsflow_shared import topics
from newsflow_shared.models import ExtractedDocument
from newsflow_shared.stage import Stage, StageResult, TransientError


class IndexStage(Stage[ExtractedDocument, ExtractedDocument]):
    """Upserts each batch into the full-text index (one commit) and caches it in Redis."""

    name = "index"
    input_model = ExtractedDocument
    input_topic = topics.EXTRACTED
    output_topic = None
    success_outcome = "indexed"

    def __init__(self, index: SearchIndex, cache: DocumentCache | None) -> None:
        self.index = index
        self.cache = cache

    def process(self, doc: ExtractedDocument) -> ExtractedDocument:
        return ExtractedDocument(**doc.stamped(self.name))

    async def process_batch(self, docs: Sequence[ExtractedDocument]) -> list[StageResult]:
        stamped = [self.process(doc) for doc in docs]
        try:
            await asyncio.to_thread(self.index.upsert_many, stamped)
        except OSError as exc:
            raise TransientError(f"index not writable: {exc}") from exc
        if self.cache is not None:
            await self.cache.put_many(stamped)
        return list(stamped)

    async def stop(self) -> None:
        await asyncio.to_thread(self.index.close)
