"""The clean stage."""

from __future__ import annotations

import asyncio

from newsflow_clean.language import detect_language, load_language_model
from newsflow_clean.normalize import decode, detect_format, normalize_whitespace, repair, visible_text
from newsflow_shared import topics
from newsflow_shared.models import CleanDocument, RawDocument
from newsflow_shared.stage import Rejected, Stage


class CleanStage(Stage[RawDocument, CleanDocument]):
    """Decodes and normalizes raw documents (deduplication waits for the stripped body)."""

    name = "clean"
    input_model = RawDocument
    input_topic = topics.RAW
    output_topic = topics.CLEAN
    max_batch_size = 16  # whole web pages: at 64 a batch peaked at 360 MB (docs/performance.md)

    async def start(self) -> None:
        await asyncio.to_thread(load_language_model)

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
            )
        )
