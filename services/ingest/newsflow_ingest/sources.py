"""What ingest can read, behind one protocol, and the one rule that picks a source for a location.

A location is what an ingest request names: a URL, a directory, a file, or one record of a JSON
file (``path#N``). ``Sources.source_for`` asks each registered source in turn whether it accepts
the location (by its scheme, else by what the path is) and the first that does reads it. What a
*fetched* URL is (page, feed or sitemap) can only be told from its content; that is the web
source's own business. Pushed documents enter through the push API, which maps each with the
same JSON-record mapping (``files.record_document``).

Adding a source: a class with ``name``, ``accepts`` and ``read``, registered in ``Sources``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from newsflow_ingest.errors import SourceError
from newsflow_ingest.files import CONTENT_TYPES, JSON_SUFFIXES, RECORD_ADDRESS, file_id, read_json_file, read_text_file
from newsflow_ingest.warc import WARC_SUFFIXES, read_warc
from newsflow_ingest.web import WebSource
from newsflow_shared.models import RawDocument
from newsflow_shared.settings import IngestSettings
from newsflow_shared.stage import Rejected
from newsflow_shared.urls import is_web_url, url_doc_id

Item = RawDocument | Rejected
URL_LIST_SUFFIX = ".urls"
"""A file of URLs, one per line (``#`` starts a comment): each is fetched as a page, feed or sitemap."""


class Source(Protocol):
    """One kind of input: says whether it reads a location, and reads it into raw documents
    (an unreadable item is a ``Rejected`` in the list; an unreadable location raises one)."""

    name: str

    def accepts(self, location: str) -> bool: ...

    async def read(self, location: str, request_id: str) -> list[Item]: ...


class _LocalFile:
    """A file read in a worker thread (local I/O must not stall the event loop)."""

    name = "file"
    suffixes: tuple[str, ...] = ()

    def __init__(self, settings: IngestSettings) -> None:
        self.settings = settings

    def accepts(self, location: str) -> bool:
        return location.lower().endswith(self.suffixes) and Path(location).is_file()

    async def read(self, location: str, request_id: str) -> list[Item]:
        return await asyncio.to_thread(self.read_now, location, request_id)

    def read_now(self, location: str, request_id: str) -> list[Item]:
        path = Path(location)
        try:
            return self._read(path, location, request_id)
        except (OSError, MemoryError, RecursionError, ValueError) as exc:
            reason = "source_unreadable" if isinstance(exc, OSError) else "unreadable_file"
            message = f"{location}: {type(exc).__name__}: {exc}"[:500]
            return [Rejected(reason, message, doc_id=file_id(path), source=location)]

    def _read(self, path: Path, display: str, request_id: str) -> list[Item]:
        raise NotImplementedError


class TextFiles(_LocalFile):
    name = "text"
    suffixes = tuple(CONTENT_TYPES)

    def _read(self, path: Path, display: str, request_id: str) -> list[Item]:
        return list(read_text_file(path, display, request_id, self.settings.max_document_bytes))


class JsonRecords(_LocalFile):
    """A JSON object or array, a JSON Lines file, or one record of either (``path#N``)."""

    name = "json"
    suffixes = JSON_SUFFIXES

    def accepts(self, location: str) -> bool:
        address = RECORD_ADDRESS.match(location)
        return Path(address.group("path")).is_file() if address else super().accepts(location)

    def _read(self, path: Path, display: str, request_id: str) -> list[Item]:
        address = RECORD_ADDRESS.match(display)
        only = int(address.group("number")) if address else None
        path = Path(address.group("path")) if address else path
        display = address.group("path") if address else display
        limits = self.settings
        return list(
            read_json_file(path, display, request_id, limits.max_document_bytes, limits.max_items_per_source, only)
        )


class WarcArchives(_LocalFile):
    name = "warc"
    suffixes = WARC_SUFFIXES

    def _read(self, path: Path, display: str, request_id: str) -> list[Item]:
        limits = self.settings
        return list(read_warc(path, request_id, limits.max_document_bytes, limits.max_items_per_source))


class Web:
    """A page, feed or sitemap URL (what it is, the response's content says)."""

    name = "web"

    def __init__(self, web: WebSource | None) -> None:
        self.web = web

    def accepts(self, location: str) -> bool:
        return is_web_url(location)

    async def read(self, location: str, request_id: str) -> list[Item]:
        if self.web is None:
            raise Rejected("web_sources_unavailable", "this ingest runs without a fetcher (files only)")
        try:
            return await self.web.expand(location, request_id)
        except SourceError as exc:
            raise Rejected(exc.reason, str(exc)) from exc


class UrlLists:
    """A ``.urls`` file: each URL read by the web source; one that fails is its own dead letter."""

    name = "url-list"

    def __init__(self, web: Web) -> None:
        self.web = web

    def accepts(self, location: str) -> bool:
        return location.lower().endswith(URL_LIST_SUFFIX) and Path(location).is_file()

    async def read(self, location: str, request_id: str) -> list[Item]:
        try:
            lines = Path(location).read_text("utf-8", errors="replace").splitlines()
        except OSError as exc:
            raise Rejected("source_unreadable", str(exc)) from exc
        items: list[Item] = []
        for url in (line.split("#", 1)[0].strip() for line in lines):
            if not url:
                continue
            try:
                items += await self.web.read(url, request_id)
            except Rejected as exc:
                items.append(Rejected(exc.reason, str(exc), doc_id=url_doc_id(url), payload=url.encode(), source=url))
        return items


class Directories:
    """A directory: every file under it that a registered source reads, each by that source."""

    name = "directory"

    def __init__(self, sources: Sources, settings: IngestSettings) -> None:
        self.sources = sources
        self.settings = settings

    def accepts(self, location: str) -> bool:
        return Path(location).is_dir()

    def files(self, location: str) -> list[str]:
        found = sorted(
            str(p)
            for p in Path(location).rglob("*")
            if p.is_file() and (source := self.sources.source_for(str(p))) is not None and source is not self
        )
        if len(found) > self.settings.max_files_per_request:
            raise Rejected(
                "too_many_files",
                f"{location} holds {len(found)} files; the limit is {self.settings.max_files_per_request}",
            )
        return found

    async def read(self, location: str, request_id: str) -> list[Item]:
        items: list[Item] = []
        try:
            paths = self.files(location)
        except PermissionError as exc:
            raise Rejected("source_unreadable", str(exc)) from exc
        for path in paths:
            source = self.sources.source_for(path)
            assert source is not None
            try:
                items += await source.read(path, request_id)
            except Rejected as exc:
                items.append(Rejected(exc.reason, str(exc), doc_id=file_id(Path(path)), source=path))
        return items


class Sources:
    """The registry: every source ingest knows, asked in order."""

    def __init__(self, settings: IngestSettings, web: WebSource | None = None) -> None:
        self.web = Web(web)
        self.registered: Sequence[Source] = (
            self.web,
            Directories(self, settings),
            UrlLists(self.web),
            WarcArchives(settings),
            JsonRecords(settings),
            TextFiles(settings),
        )

    def source_for(self, location: str) -> Source | None:
        """The first registered source that accepts ``location`` (None: nothing reads it)."""
        return next((source for source in self.registered if source.accepts(location)), None)
