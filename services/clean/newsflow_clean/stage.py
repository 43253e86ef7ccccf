"""The clean stage."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from newsflow_clean.language import detect_language
from newsflow_clean.normalize import decode, detect_format, fingerprint, normalize_whitespace, repair, visible_text
from newsflow_shared import topics
from newsflow_shared.dedup import DedupStore
from newsflow_shared.models import CleanDocument, RawDocument
from newsflow_shared.stage import Dropped, Rejected, Stage, StageResult


class CleanStage(Stage[RawDocument, CleanDocument]):
    """Decodes and normalizes raw documents and drops exact duplicates (by content fingerprint)."""

    name = "clean"
    input_model = RawDocument
    input_topic = topics.RAW
    output_topic = topics.CLEAN
    max_batch_size = 16  # whole web pages: at 64 a batch peaked at 360 MB (docs/performance.md)

    def __init__(self, dedup: DedupStore | None) -> None:
        self.dedup = dedup

    def process(self, doc: RawDocument) -> CleanDocument:
        text = repair(decode(doc.content, doc.charset))
        fmt = detect_format(text, doc.content_type)
        text = normalize_whitespace(text, fmt)
        visible = visible_text(text) if fmt == "html" else text
        if not visible.strip():
            raise Rejected("empty_document", "no visible text after decoding")
        return CleanDocument(
            **doc.stamped(
                self.name,
                content=text,
                format=fmt,
                language=detect_language(visible),
                fingerprint=fingerprint(visible),
            )
        )

    async def process_batch(self, docs: Sequence[RawDocument]) -> list[StageResult]:
        results = await asyncio.to_thread(self.process_each, docs)
        if self.dedup is None:
            return results
        cleaned = [(i, r) for i, r in enumerate(results) if isinstance(r, CleanDocument)]
        owners = await self.dedup.claim_many([(r.fingerprint, r.doc_id) for _, r in cleaned])
        for (i, _), owner in zip(cleaned, owners, strict=True):
            if owner is not None:
                results[i] = Dropped("duplicate_exact", f"same content as {owner}")
        return results
