"""The ingest stage: one ingest request (a path or a URL) fans out into raw documents."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from newsflow_ingest.errors import SourceError
from newsflow_ingest.files import list_files, read_documents
from newsflow_ingest.warc import is_warc, read_warc
from newsflow_ingest.web import WebSource
from newsflow_shared import topics
from newsflow_shared.models import IngestRequest, RawDocument, stable_doc_id, utc_now
from newsflow_shared.settings import IngestSettings
from newsflow_shared.stage import Dropped, Rejected, Stage, StageResult, TransientError
from newsflow_shared.urls import is_web_url, url_doc_id

URL_LIST_SUFFIX = ".urls"
"""A file of URLs, one per line (``#`` starts a comment): each is fetched as a page, feed or sitemap."""


class IngestStage(Stage[IngestRequest, RawDocument]):
    """Reads the files, WARC archives, URLs, feeds or sitemaps a request names and emits one raw
    document per page, file or JSON record; what cannot be read is dead-lettered with a reason."""

    name = "ingest"
    input_model = IngestRequest
    input_topic = topics.INGEST_REQUESTS
    output_topic = topics.RAW

    def __init__(self, settings: IngestSettings, web: WebSource | None = None) -> None:
        self.settings = settings
        self.web = web

    def process(self, doc: IngestRequest) -> list[RawDocument | Rejected] | Dropped:
        """A local source: a file, a directory of files, or a WARC archive."""
        source = Path(doc.source)
        if not source.exists():
            raise Rejected("source_not_found", f"no such file or directory: {doc.source}")
        try:
            files = list_files(source, self.settings.max_files_per_request)
            outputs: list[RawDocument | Rejected] = []
            for path in files:
                outputs += self._read_file(path, doc.source if path == source else str(path), doc.request_id)
        except PermissionError as exc:
            raise Rejected("source_unreadable", str(exc)) from exc
        return self._stamped(outputs, doc)

    def _read_file(self, path: Path, display: str, request_id: str) -> list[RawDocument | Rejected]:
        """One file's documents; a file that cannot be read is its own dead letter, not the request's."""
        limits = self.settings
        try:
            if is_warc(path):
                return list(read_warc(path, request_id, limits.max_document_bytes, limits.max_items_per_source))
            if path.suffix.lower() == URL_LIST_SUFFIX:
                return []
            return list(
                read_documents(path, display, request_id, limits.max_document_bytes, limits.max_items_per_source)
            )
        except (OSError, MemoryError, RecursionError, ValueError) as exc:
            reason = "source_unreadable" if isinstance(exc, OSError) else "unreadable_file"
            message = f"{display}: {type(exc).__name__}: {exc}"[:500]
            return [Rejected(reason, message, doc_id=stable_doc_id(f"file:{path.resolve()}"))]

    async def process_batch(self, docs: Sequence[IngestRequest]) -> list[StageResult]:
        results: list[StageResult] = []
        for doc in docs:
            if is_web_url(doc.source) or doc.source.lower().endswith(URL_LIST_SUFFIX):
                try:
                    results.append(await self._from_web(doc))
                except TransientError:
                    raise
                except Exception as exc:  # noqa: BLE001 - the request's dead letter, never a crash
                    results.append(exc)
            else:
                results += await super().process_batch([doc])
        return results

    async def _from_web(self, doc: IngestRequest) -> list[RawDocument | Rejected] | Dropped:
        if self.web is None:
            raise Rejected("web_sources_unavailable", "this ingest runs without a fetcher (files only)")
        if is_web_url(doc.source):
            try:
                outputs = await self.web.expand(doc.source, doc.request_id)
            except SourceError as exc:
                raise Rejected(exc.reason, str(exc)) from exc
            return self._stamped(outputs, doc, empty=Dropped("not_modified", f"{doc.source}: nothing new"))
        outputs = []
        for url in _url_list(Path(doc.source)):
            try:
                outputs += await self.web.expand(url, doc.request_id)
            except SourceError as exc:
                outputs.append(Rejected(exc.reason, str(exc), doc_id=url_doc_id(url), payload=url.encode()))
        return self._stamped(outputs, doc)

    def _stamped(
        self, outputs: list[RawDocument | Rejected], doc: IngestRequest, empty: Dropped | None = None
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


def _url_list(path: Path) -> list[str]:
    try:
        lines = path.read_text("utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise Rejected("source_unreadable", str(exc)) from exc
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]
