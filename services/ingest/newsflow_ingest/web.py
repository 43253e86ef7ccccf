"""URLs in: a page, a feed (its items' pages) or a sitemap (its pages), told apart by content.

A feed is fetched conditionally (its ETag and Last-Modified are kept in Redis, so a 304 costs
nothing) and each item's page is fetched once: items are remembered by GUID and by canonical
URL until ``seen_ttl_s``. Pages become raw documents with the raw HTML, the final URL after
redirects, and the feed's title and date as hints; a page that cannot be fetched becomes its
own dead letter with the fetch's reason, while the rest of the feed goes on.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from newsflow_ingest.errors import SourceError
from newsflow_ingest.feeds import FeedItem, parse_feed, parse_sitemap, xml_kind
from newsflow_ingest.fetch import Fetched, Fetcher, media_type
from newsflow_shared.models import RawDocument, SourceHints, stable_doc_id, utc_now
from newsflow_shared.settings import IngestSettings
from newsflow_shared.stage import Rejected, TransientError
from newsflow_shared.urls import canonical_url

PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain"})
XML_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml", "text/xml"}
)
SOURCE_TYPES = (
    PAGE_TYPES | XML_TYPES | frozenset({"application/x-gzip", "application/gzip", "application/octet-stream"})
)
MAX_SITEMAP_DEPTH = 2


def url_doc_id(url: str) -> str:
    """The document id of a web page: stable for its canonical URL."""
    return stable_doc_id(f"url:{canonical_url(url) or url}")


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class CrawlState(Protocol):
    """What ingest remembers between polls: items already fetched, and feeds' validators."""

    async def unseen(self, keys: Sequence[str]) -> list[bool]: ...

    async def mark_seen(self, keys: Sequence[str]) -> None: ...

    async def validators(self, feed_url: str) -> dict[str, str]: ...

    async def set_validators(self, feed_url: str, validators: dict[str, str]) -> None: ...


class RedisCrawlState:
    """Crawl state in Redis under ``newsflow:ingest:`` (state, never evicted)."""

    def __init__(self, redis: Redis, ttl_s: int) -> None:
        self._redis = redis
        self._ttl_s = ttl_s

    async def unseen(self, keys: Sequence[str]) -> list[bool]:
        if not keys:
            return []
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.exists(f"newsflow:ingest:seen:{_key(key)}")
                return [not found for found in await pipe.execute()]
        except (RedisError, OSError) as exc:
            raise TransientError(f"redis unavailable for crawl state: {exc}") from exc

    async def mark_seen(self, keys: Sequence[str]) -> None:
        if not keys:
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.set(f"newsflow:ingest:seen:{_key(key)}", 1, ex=self._ttl_s)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise TransientError(f"redis unavailable for crawl state: {exc}") from exc

    async def validators(self, feed_url: str) -> dict[str, str]:
        try:
            stored = await self._redis.hgetall(f"newsflow:ingest:feed:{_key(feed_url)}")
        except (RedisError, OSError) as exc:
            raise TransientError(f"redis unavailable for crawl state: {exc}") from exc
        return {k.decode(): v.decode() for k, v in stored.items()}

    async def set_validators(self, feed_url: str, validators: dict[str, str]) -> None:
        key = f"newsflow:ingest:feed:{_key(feed_url)}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(key)
                if validators:
                    pipe.hset(key, mapping=validators)
                    pipe.expire(key, self._ttl_s)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise TransientError(f"redis unavailable for crawl state: {exc}") from exc


class InMemoryCrawlState:
    """Crawl state in this process (``newsflow extract``, tests)."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._validators: dict[str, dict[str, str]] = {}

    async def unseen(self, keys: Sequence[str]) -> list[bool]:
        return [key not in self._seen for key in keys]

    async def mark_seen(self, keys: Sequence[str]) -> None:
        self._seen.update(keys)

    async def validators(self, feed_url: str) -> dict[str, str]:
        return dict(self._validators.get(feed_url, {}))

    async def set_validators(self, feed_url: str, validators: dict[str, str]) -> None:
        self._validators[feed_url] = dict(validators)


@dataclass(frozen=True)
class _Page:
    url: str
    title: str | None = None
    published: datetime | None = None
    seen_keys: tuple[str, ...] = ()


class WebSource:
    """Expands one URL into raw documents (see the module docstring)."""

    def __init__(self, settings: IngestSettings, fetcher: Fetcher, state: CrawlState) -> None:
        self.settings = settings
        self.fetcher = fetcher
        self.state = state

    async def expand(self, url: str, request_id: str) -> list[RawDocument | Rejected]:
        """Raw documents (and per-page dead letters) for ``url``; SourceError if ``url`` itself fails."""
        conditional = await self.state.validators(url)
        headers = {
            name: conditional[key]
            for name, key in (("If-None-Match", "etag"), ("If-Modified-Since", "last_modified"))
            if key in conditional
        }
        fetched = await self.fetcher.fetch(url, headers, accept=SOURCE_TYPES)
        if fetched.not_modified:
            return []
        kind = (
            xml_kind(fetched.content) if media_type(fetched.content_type) not in PAGE_TYPES - {"text/plain"} else None
        )
        if kind == "feed":
            pages = self._feed_pages(parse_feed(fetched.content, fetched.url, self.settings.max_items_per_source))
            documents = await self._fetch_new(pages, request_id)
            await self.state.set_validators(
                url,
                {
                    k: v
                    for k, v in (
                        ("etag", fetched.headers.get("etag")),
                        ("last_modified", fetched.headers.get("last-modified")),
                    )
                    if v
                },
            )
            return documents
        if kind == "sitemap" or fetched.content.startswith(b"\x1f\x8b"):
            pages = [_Page(u, seen_keys=(f"url:{canonical_url(u) or u}",)) for u in await self._sitemap_pages(fetched)]
            return await self._fetch_new(pages, request_id)
        if media_type(fetched.content_type) not in PAGE_TYPES:
            raise SourceError(
                "unsupported_content_type",
                f"{media_type(fetched.content_type)} at {url[:200]} is not a page, feed or sitemap",
            )
        return [self._document(fetched, _Page(url), request_id)]

    @staticmethod
    def _feed_pages(items: list[FeedItem]) -> list[_Page]:
        return [
            _Page(
                item.url,
                item.title,
                item.published,
                tuple(
                    k
                    for k in (f"guid:{item.guid}" if item.guid else None, f"url:{canonical_url(item.url) or item.url}")
                    if k
                ),
            )
            for item in items
        ]

    async def _sitemap_pages(self, fetched: Fetched, depth: int = 0) -> list[str]:
        sitemap = parse_sitemap(fetched.content, self.settings.max_items_per_source)
        pages = list(sitemap.pages)
        if depth < MAX_SITEMAP_DEPTH:
            for child in sitemap.sitemaps:
                if len(pages) >= self.settings.max_items_per_source:
                    break
                try:
                    pages += await self._sitemap_pages(await self.fetcher.fetch(child, accept=SOURCE_TYPES), depth + 1)
                except SourceError:
                    continue  # one broken child sitemap does not sink the index
        return pages[: self.settings.max_items_per_source]

    async def _fetch_new(self, pages: list[_Page], request_id: str) -> list[RawDocument | Rejected]:
        fresh = await self.state.unseen([p.seen_keys[0] for p in pages])
        wanted = [p for p, new in zip(pages, fresh, strict=True) if new]
        gate = asyncio.Semaphore(self.settings.fetch_concurrency)

        async def one(page: _Page) -> RawDocument | Rejected:
            async with gate:
                try:
                    fetched = await self.fetcher.fetch(page.url, accept=PAGE_TYPES)
                except SourceError as exc:
                    return Rejected(exc.reason, str(exc), doc_id=url_doc_id(page.url), payload=page.url.encode())
            return self._document(fetched, page, request_id)

        results = await asyncio.gather(*(one(p) for p in wanted))
        # A page that was fetched, or failed for good, is not fetched again; a transient failure
        # (TransientError) never gets here, so it is retried with the whole request.
        await self.state.mark_seen([k for p in wanted for k in p.seen_keys])
        return list(results)

    @staticmethod
    def _document(fetched: Fetched, page: _Page, request_id: str) -> RawDocument:
        return RawDocument(
            doc_id=url_doc_id(page.url),
            request_id=request_id,
            source=page.url,
            url=fetched.url,
            content=fetched.content,
            content_type=fetched.content_type,
            charset=fetched.charset,
            fetched_at=utc_now(),
            hints=SourceHints(title=page.title, published=page.published),
        )
