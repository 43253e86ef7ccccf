"""The extract stage (the same code ``newsflow extract`` runs in-process)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from threadpoolctl import threadpool_limits

from newsflow_extract.entities import EntityRecognizer, Mention, load_model, profiled_build
from newsflow_extract.metadata import clean_title, find_authors, find_dates, find_outlet, title_from_header
from newsflow_extract.quotes import find_quotes
from newsflow_shared import topics
from newsflow_shared.models import Entity, ExtractedDocument, StrippedDocument
from newsflow_shared.settings import ExtractSettings
from newsflow_shared.stage import Stage, StageResult

ENGLISH_LANGUAGES = frozenset({"en", "pcm"})
"""Languages the English model tags: English, and Nigerian Pidgin (English words; also what the
language identifier calls some English results tables). Languages with neither this model nor one
in ``ExtractSettings.wikiner_models`` get no entities rather than wrong ones."""
WIKINER_LABELS = {"PER": "PERSON", "LOC": "LOC", "ORG": "ORG", "MISC": "MISC"}
log = logging.getLogger(__name__)


class ExtractStage(Stage[StrippedDocument, ExtractedDocument]):
    """Adds title, dates, outlet, entities and quotes to a stripped document."""

    name = "extract"
    input_model = StrippedDocument
    input_topic = topics.STRIPPED
    output_topic = topics.EXTRACTED

    def __init__(self, settings: ExtractSettings, recognizer: EntityRecognizer | None = None) -> None:
        self.settings = settings
        self.recognizer = recognizer
        self.others: dict[str, EntityRecognizer | None] = {}
        """Recognizers for ``settings.wikiner_models``' languages, loaded on first use (None: not installed)."""

    async def start(self) -> None:
        if self.recognizer is None:
            nlp = await asyncio.to_thread(load_model, self.settings.spacy_model)
            # One BLAS thread: OpenBLAS would otherwise start one per core, on cores the other
            # stages need (two threads cut a long article's wall time by a third for twice the
            # CPU). After loading: threadpoolctl only limits loaded libraries, and numpy comes
            # in with spaCy.
            threadpool_limits(1, user_api="blas")
            if await asyncio.to_thread(profiled_build, nlp):
                log.warning(
                    "spaCy was compiled with Cython's profiling hooks (the PyPI wheels for Python 3.11 are): "
                    "NER takes about 2.5x the CPU it needs; `make install` compiles it without them "
                    "(requirements/spacy.txt)"
                )
            self.recognizer = EntityRecognizer(nlp, self.settings.ner_batch_size)
        # Before the stage counts as ready (readiness follows start()): see EntityRecognizer.warm_up.
        await asyncio.to_thread(self.recognizer.warm_up)

    def process(self, doc: StrippedDocument) -> ExtractedDocument:
        result = self.process_each([doc])[0]
        if isinstance(result, BaseException):
            raise result
        return result  # type: ignore[return-value]

    def release_groups(self, docs: Sequence[StrippedDocument]) -> list[Sequence[int]]:
        # NER time grows with the text: tagging shortest first and releasing each document as it
        # is done keeps a batch's short articles from waiting behind its long one. Batching several
        # documents into one ``nlp.pipe`` call gained nothing measurable (docs/performance.md).
        order = sorted(range(len(docs)), key=lambda i: len(self._taggable_text(docs[i])))
        return [[i] for i in order]

    def _model_language(self, doc: StrippedDocument) -> str | None:
        """Which recognizer tags ``doc``: "en", a ``wikiner_models`` language, or None."""
        if doc.duplicate_of is not None:  # stored as a link to its canonical document: never read
            return None
        if doc.language is None or doc.language in ENGLISH_LANGUAGES:
            return "en"
        return doc.language if doc.language in self.settings.wikiner_models else None

    def _taggable_text(self, doc: StrippedDocument) -> str:
        return doc.body if self._model_language(doc) is not None else ""

    def _recognizer(self, language: str) -> EntityRecognizer | None:
        if language == "en":
            return self.recognizer
        if language not in self.others:
            package = self.settings.wikiner_models[language]
            try:
                nlp = load_model(package, fallback=None)
            except RuntimeError:
                log.warning("no spaCy model %r installed: %s documents get no entities", package, language)
                self.others[language] = None
            else:
                recognizer = EntityRecognizer(nlp, self.settings.ner_batch_size, WIKINER_LABELS)
                recognizer.warm_up()
                self.others[language] = recognizer
        return self.others[language]

    def process_each(self, docs: Sequence[StrippedDocument]) -> list[StageResult]:
        if self.recognizer is None:
            raise RuntimeError("ExtractStage.start() must run before processing")
        all_mentions: list[list[Mention]] = [[] for _ in docs]
        languages = [self._model_language(d) for d in docs]
        for language in sorted({x for x in languages if x is not None}):
            recognizer = self._recognizer(language)
            if recognizer is None:
                continue
            members = [i for i, x in enumerate(languages) if x == language]
            for i, mentions in zip(members, recognizer.mentions_many(docs[i].body for i in members), strict=True):
                all_mentions[i] = mentions
        results: list[StageResult] = []
        for doc, mentions in zip(docs, all_mentions, strict=True):
            try:
                results.append(self._annotate(doc, mentions))
            except Exception as exc:  # noqa: BLE001 - becomes this document's dead letter
                results.append(exc)
        return results

    def _annotate(self, doc: StrippedDocument, mentions: list[Mention]) -> ExtractedDocument:
        page, hints = doc.page, doc.hints
        paragraphs = doc.body.split("\n\n")
        if doc.format == "html":
            title = clean_title(hints.title or page.title)
        else:  # strip's headline model, else the first headline-like header line
            title = clean_title(hints.title or page.title) or title_from_header(page.header_lines)
        published, updated = page.published, page.updated
        if published is None:
            published, updated = find_dates(page.header_lines, doc.fetched_at)
        cue_lines = [*page.header_lines, paragraphs[0], paragraphs[-1], *page.footer_lines]
        entities = [
            Entity(text=text, label=label, aliases=tuple(sorted(aliases)))
            for (text, label), aliases in _forms(mentions).items()
        ]
        fields = doc.stamped(
            self.name,
            title=title,
            published=hints.published or published,
            updated=updated,
            authors=page.authors or hints.authors or find_authors(page.header_lines),
            categories=hints.categories,
            outlet=hints.outlet or find_outlet(cue_lines, doc.url, page.outlet),
            entities=entities,
            quotes=find_quotes(doc.body, mentions),
        )
        return ExtractedDocument(**fields)


def _forms(mentions: Sequence[Mention]) -> dict[tuple[str, str], set[str]]:
    """Each distinct (canonical name, label), first mention first, with the other written forms."""
    forms: dict[tuple[str, str], set[str]] = {}
    for m in mentions:
        written = forms.setdefault((m.text, m.label), set())
        if m.surface and m.surface != m.text:
            written.add(m.surface)
    return forms
