"""URLs in: a page, a feed (RSS, Atom or JSON Feed: its items' pages) or a sitemap (its pages),
told apart by content.

A Google News sitemap's ``news:news`` (title, publication date, keywords, the publication's
name) goes along as hints too. A feed is fetched conditionally (its ETag and Last-Modified are kept in Redis, so a 304 costs
nothing) and each item's page is fetched once: items are remembered by GUID and by canonical
URL until ``seen_ttl_s``. Pages become raw documents with the raw HTML, the final URL after
redirects, and the feed's title, date, authors and categories as hints.

A feed item that carries its own full text (``content:encoded``, say) is not lost when its page
is: if the page cannot be fetched (unreachable, refused, paywalled behind an error), the item's
text becomes the document (``body_source="feed"``); if the page is fetched, the text goes along
as a hint and strip keeps whichever body is fuller. A page that cannot be fetched and has no
such text becomes its own dead letter with the fetch's reason, while the rest of the feed goes on.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from redis.asyncio import Redis

from newsflow_ingest.errors import SourceError
from newsflow_ingest.feeds import FeedItem, parse_feed, parse_sitemap, source_kind
from newsflow_ingest.fetch import Fetched, Fetcher, media_type
from newsflow_shared.models import RawDocument, SourceHints, utc_now
from newsflow_shared.redis_errors import redis_state, text_of
from newsflow_shared.settings import IngestSettings
from newsflow_shared.stage import Rejected
from newsflow_shared.urls import canonical_url, unwrap_redirect, url_doc_id

PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain"})
XML_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml", "text/xml"}
)
JSON_FEED_TYPES = frozenset({"application/feed+json", "application/json"})
SOURCE_TYPES = (
    PAGE_TYPES
    | XML_TYPES
    | JSON_FEED_TYPES
    | frozenset({"application/x-gzip", "application/gzip", "application/octet-stream"})
)
MAX_SITEMAP_DEPTH = 2
FEED_TEXT_STANDS_IN_CHARS = 500
"""A feed item's own text stands in for its page (or goes along as a hint) from this many
characters of markup: below that it is a teaser, not the article."""


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
        with redis_state("crawl state"):
            async with self._redis.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.exists(f"newsflow:ingest:seen:{_key(key)}")
                return [not found for found in await pipe.execute()]

    async def mark_seen(self, keys: Sequence[str]) -> None:
        if not keys:
            return
        with redis_state("crawl state"):
            async with self._redis.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.set(f"newsflow:ingest:seen:{_key(key)}", 1, ex=self._ttl_s)
                await pipe.execute()

    async def validators(self, feed_url: str) -> dict[str, str]:
        with redis_state("crawl state"):
            stored = await self._redis.hgetall(f"newsflow:ingest:feed:{_key(feed_url)}")
        return {text_of(k): text_of(v) for k, v in stored.items()}

    async def set_validators(self, feed_url: str, validators: dict[str, str]) -> None:
        key = f"newsflow:ingest:feed:{_key(feed_url)}"
        with redis_state("crawl state"):
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(key)
                if validators:
                    pipe.hset(key, mapping=dict(validators.items()))
                    pipe.expire(key, self._ttl_s)
                await pipe.execute()


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
    feed_text: str | None = None
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    outlet: str | None = None

    def hints(self, **changes: object) -> SourceHints:
        return SourceHints.model_validate(
            {
                "title": self.title,
                "published": self.published,
                "authors": list(self.authors),
                "categories": list(self.categories),
                "outlet": self.outlet,
                "feed_content": self.feed_text,
                **changes,
            }
        )


class WebSource:
    """Expands one URL into raw documents (see the module docstring)."""

    def __init__(self, settings: IngestSettings, fetcher: Fetcher, state: CrawlState) -> None:
        self.settings = settings
        self.fetcher = fetcher
        self.state = state

    async def expand(self, url: str, request_id: str) -> list[RawDocument | Rejected]:
        """Raw documents (and per-page dead letters) for ``url``; SourceError if ``url`` itself fails."""
        url = unwrap_redirect(url)
        conditional = await self.state.validators(url)
        headers = {
            name: conditional[key]
            for name, key in (("If-None-Match", "etag"), ("If-Modified-Since", "last_modified"))
            if key in conditional
        }
        fetched = await self.fetcher.fetch(url, headers, accept=SOURCE_TYPES)
        if fetched.not_modified:
            return []
        # What a response is comes from its content, not its declared type: feeds are served
        # as text/html or text/plain often enough, and source_kind tells an HTML page apart.
        kind = source_kind(fetched.content)
        if kind == "feed":
            pages = self._item_pages(parse_feed(fetched.content, fetched.url, self.settings.max_items_per_source))
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
            pages = self._item_pages(await self._sitemap_pages(fetched))
            return await self._fetch_new(pages, request_id)
        if media_type(fetched.content_type) not in PAGE_TYPES:
            raise SourceError(
                "unsupported_content_type",
                f"{media_type(fetched.content_type)} at {url[:200]} is not a page, feed or sitemap",
            )
        return [self._document(fetched, _Page(url), request_id)]

    @staticmethod
    def _item_pages(items: list[FeedItem]) -> list[_Page]:
        pages = []
        for item in items:
            url = unwrap_redirect(item.url)  # a Google Alerts link: fetch the article, not the redirect
            keys = (f"guid:{item.guid}" if item.guid else None, f"url:{canonical_url(url) or url}")
            full_text = item.content if item.content and len(item.content) >= FEED_TEXT_STANDS_IN_CHARS else None
            pages.append(
                _Page(
                    url,
                    item.title,
                    item.published,
                    tuple(k for k in keys if k),
                    full_text,
                    item.authors,
                    item.categories,
                    item.outlet,
                )
            )
        return pages

    async def _sitemap_pages(self, fetched: Fetched, depth: int = 0) -> list[FeedItem]:
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
                    if page.feed_text is not None:
                        return self._from_feed_text(page, request_id)
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
            hints=page.hints(),
        )

    @staticmethod
    def _from_feed_text(page: _Page, request_id: str) -> RawDocument:
        """The document made of a feed item's own text, when its page could not be fetched."""
        assert page.feed_text is not None
        return RawDocument(
            doc_id=url_doc_id(page.url),
            request_id=request_id,
            source=page.url,
            url=page.url,
            content=page.feed_text.encode("utf-8"),
            content_type="text/html",
            charset="utf-8",
            body_source="feed",
            fetched_at=utc_now(),
            hints=page.hints(feed_content=None),
        )
