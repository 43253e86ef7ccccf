"""The strip stage (the same code ``newsflow extract`` runs in-process)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from newsflow_shared import topics
from newsflow_shared.models import CleanDocument, PageMetadata, StrippedDocument
from newsflow_shared.stage import Dropped, Rejected, Stage, StageResult
from newsflow_strip.article import ArticleModel, features, load_article_model
from newsflow_strip.dedup import Deduplicator, body_fingerprint
from newsflow_strip.html import fragment_text, strip_html
from newsflow_strip.templates import TemplateStore, line_key, observation
from newsflow_strip.text_lines import strip_text

NO_BODY = "no_article_body"
NOT_AN_ARTICLE = "not_an_article"
MAX_TEXT_LINES = 20_000
"""Flattened news pages have hundreds of lines, rarely a few thousand; past this a text is not a
page (a log, a word list) and classifying every line would take minutes and gigabytes
(1,000,000 lines: 87 s and 1.9 GB), so it is dead-lettered as ``too_many_lines``."""


def fuller_than(candidate: str, body: str) -> bool:
    """True when ``candidate`` (a feed item's text) holds clearly more of the article than
    ``body`` (what was extracted from its page): half again as many words, and 50 more."""
    extra, have = len(candidate.split()), len(body.split())
    return extra >= 1.5 * have and extra - have >= 50


@dataclass(frozen=True)
class ArticlePolicy:
    """Whether pages judged not to be articles are dropped, and the sources always trusted."""

    drop_non_articles: bool = True
    exempt_sources: frozenset[str] = frozenset()


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

    Every HTML page gets an ``article_score`` (``article.py``); with an ``ArticlePolicy`` that
    drops non-articles, a page scoring below the model's threshold is dropped as
    ``not_an_article`` and kept on the excluded-documents topic, unless its source is exempt.
    """

    name = "strip"
    input_model = CleanDocument
    input_topic = topics.CLEAN
    output_topic = topics.STRIPPED
    max_batch_size = 16  # whole web pages: at 64 a batch peaked at 360 MB (docs/performance.md)
    # Extract's time grows with the body it tags (NER at about 200,000 characters a second on one
    # core here, with spaCy compiled as `make install` does), so its workers share bodies by
    # length, not by count (runtime.balance).
    downstream_work_per_s = 200_000.0

    def downstream_work(self, output: StrippedDocument) -> float:
        # A duplicate is stored as a link to its canonical document: extract tags nothing.
        return 0.0 if output.duplicate_of is not None else float(len(output.body))

    def __init__(
        self,
        templates: TemplateStore | None = None,
        dedup: Deduplicator | None = None,
        articles: ArticlePolicy | None = None,
        article_model: ArticleModel | None = None,
    ) -> None:
        self.templates = templates
        self.dedup = dedup
        self.articles = articles
        self.article_model = article_model or load_article_model()

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
        body_source = doc.body_source
        article_score = None
        if doc.format == "html" and body_source == "feed":
            body, page = fragment_text(doc.content), PageMetadata()  # a feed item's text is all article
            page_lines = []
        elif doc.format == "html":
            html = strip_html(doc.content, doc.url, doc.language)
            body, page = html.body, html.page
            page_lines = body.split("\n\n")
            if html.signals is not None:  # an empty body is evidence too: a shop's page has none
                article_score = round(self.article_model.probability(features(html.signals, body)), 4)
        else:
            lines = doc.content.count("\n") + 1
            if lines > MAX_TEXT_LINES:
                raise Rejected("too_many_lines", f"{lines} lines > {MAX_TEXT_LINES}: not a page")
            text = strip_text(doc.content, doc.language, url=doc.url)  # clean's detection, as in training
            body = text.body
            page = PageMetadata(title=text.title, header_lines=text.header_lines, footer_lines=text.footer_lines)
            page_lines = [line.strip() for line in doc.content.split("\n") if line.strip()]
        if doc.hints.feed_content and body_source == "page":
            feed_body = fragment_text(doc.hints.feed_content)
            if fuller_than(feed_body, body):  # a paywall's teaser, or a page the extractor misread
                body, body_source = feed_body, "feed"
        drops = self._drops_page(article_score, body_source, doc)
        if not body.strip() and not drops:
            return _Stripped(Dropped(NO_BODY, "nothing article-like left after boilerplate removal"), page_lines)
        fields = doc.stamped(
            self.name,
            body=body,
            body_source=body_source,
            page=page,
            fingerprint=body_fingerprint(body),
            hints=doc.hints.model_copy(update={"feed_content": None}),  # used: not carried further
            article_score=article_score,
        )
        fields.pop("content")
        stripped = StrippedDocument(**fields)
        if drops:
            detail = f"P(article) {article_score:.2f} < {self.article_model.threshold}"
            return _Stripped(Dropped(NOT_AN_ARTICLE, detail, kept=stripped), [])
        return _Stripped(stripped, page_lines)

    def _drops_page(self, article_score: float | None, body_source: str, doc: CleanDocument) -> bool:
        """Whether the article check drops this page (never a feed's own text, never an exempt source)."""
        policy = self.articles
        if article_score is None or body_source != "page" or policy is None or not policy.drop_non_articles:
            return False
        if article_score >= self.article_model.threshold:
            return False
        return template_source(doc) not in policy.exempt_sources and doc.hints.outlet not in policy.exempt_sources

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
