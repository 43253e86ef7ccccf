"""The strip stage (the same code ``newsflow extract`` runs in-process)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from newsflow_shared import topics
from newsflow_shared.models import CleanDocument, PageMetadata, StrippedDocument
from newsflow_shared.stage import Dropped, Rejected, Stage, StageResult
from newsflow_strip.dedup import Deduplicator, body_fingerprint
from newsflow_strip.html import strip_html
from newsflow_strip.templates import TemplateStore, line_key, observation
from newsflow_strip.text_lines import strip_text

NO_BODY = "no_article_body"
MAX_TEXT_LINES = 20_000
"""Flattened news pages have hundreds of lines, rarely a few thousand; past this a text is not a
page (a log, a word list) and classifying every line would take minutes and gigabytes
(1,000,000 lines: 87 s and 1.9 GB), so it is dead-lettered as ``too_many_lines``."""


@dataclass(frozen=True)
class _Stripped:
    """One document's result and the page lines it contributes to template learning."""

    result: StrippedDocument | Dropped | Exception
    page_lines: list[str]


def template_source(doc: CleanDocument) -> str | None:
    """Whose template a page follows: its URL's host, else the outlet it was submitted under."""
    host = urlsplit(doc.url).hostname if doc.url else None
    return (host or "").removeprefix("www.") or doc.hints.outlet


class StripStage(Stage[CleanDocument, StrippedDocument]):
    """Removes boilerplate; a page with no article text left is dropped as ``no_article_body``.

    With a ``TemplateStore``, lines the same source repeats across its documents are removed
    too (``templates.py``); without one (``newsflow extract``) each page stands alone. With a
    ``Deduplicator``, a duplicate article (same URL, same body, or nearly the same body) goes on
    marked ``duplicate_of`` its canonical document, so the index can link it instead of listing it.
    """

    name = "strip"
    input_model = CleanDocument
    input_topic = topics.CLEAN
    output_topic = topics.STRIPPED
    max_batch_size = 16  # whole web pages: at 64 a batch peaked at 360 MB (docs/performance.md)

    def __init__(self, templates: TemplateStore | None = None, dedup: Deduplicator | None = None) -> None:
        self.templates = templates
        self.dedup = dedup

    def process(self, doc: CleanDocument) -> StrippedDocument | Dropped:
        result = self._strip(doc).result
        assert not isinstance(result, Exception)  # _strip raises; only _strip_or_fail keeps them
        return result

    def _strip_or_fail(self, doc: CleanDocument) -> _Stripped:
        """``_strip``, with a failure kept as this document's result (its dead letter)."""
        try:
            return self._strip(doc)
        except Exception as exc:  # noqa: BLE001 - one bad page never sinks its batch
            return _Stripped(exc, [])

    def _strip(self, doc: CleanDocument) -> _Stripped:
        if doc.format == "html":
            html = strip_html(doc.content, doc.url)
            body, page = html.body, html.page
            page_lines = body.split("\n\n")
        else:
            lines = doc.content.count("\n") + 1
            if lines > MAX_TEXT_LINES:
                raise Rejected("too_many_lines", f"{lines} lines > {MAX_TEXT_LINES}: not a page")
            text = strip_text(doc.content)  # the model was trained on its own language detection
            body = text.body
            page = PageMetadata(header_lines=text.header_lines, footer_lines=text.footer_lines)
            page_lines = [line.strip() for line in doc.content.split("\n") if line.strip()]
        if not body.strip():
            return _Stripped(Dropped(NO_BODY, "nothing article-like left after boilerplate removal"), page_lines)
        fields = doc.stamped(self.name, body=body, page=page, fingerprint=body_fingerprint(body))
        fields.pop("content")
        return _Stripped(StrippedDocument(**fields), page_lines)

    async def process_batch(self, docs: Sequence[CleanDocument]) -> list[StageResult]:
        stripped = await asyncio.to_thread(lambda: [self._strip_or_fail(doc) for doc in docs])
        results: list[StageResult] = [s.result for s in stripped]
        if self.templates is not None:
            await self._remove_templates(docs, [s.page_lines for s in stripped], results)
        if self.dedup is not None:
            await self._mark_duplicates(results)
        return results

    async def _remove_templates(
        self, docs: Sequence[CleanDocument], page_lines: list[list[str]], results: list[StageResult]
    ) -> None:
        assert self.templates is not None
        learning = [
            (i, obs)
            for i, (doc, lines) in enumerate(zip(docs, page_lines, strict=True))
            if (obs := observation(template_source(doc), doc.doc_id, lines)) is not None
        ]
        verdicts = await self.templates.observe_many([obs for _, obs in learning])
        for (i, _), template in zip(learning, verdicts, strict=True):
            result = results[i]
            if template and isinstance(result, StrippedDocument):
                results[i] = _without_template(result, template)

    async def _mark_duplicates(self, results: list[StageResult]) -> None:
        assert self.dedup is not None
        articles = [(i, r) for i, r in enumerate(results) if isinstance(r, StrippedDocument)]
        verdicts = await self.dedup.find([doc for _, doc in articles])
        for (i, doc), duplicate in zip(articles, verdicts, strict=True):
            if duplicate is not None:
                results[i] = doc.model_copy(
                    update={"duplicate_of": duplicate.canonical_id, "duplicate_reason": duplicate.reason}
                )


def _without_template(doc: StrippedDocument, template: frozenset[str]) -> StrippedDocument | Dropped:
    kept = [p for p in doc.body.split("\n\n") if line_key(p) not in template]
    if not kept:
        return Dropped(NO_BODY, "only the source's template lines were left")
    body = "\n\n".join(kept)
    return doc.model_copy(update={"body": body, "fingerprint": body_fingerprint(body)})
