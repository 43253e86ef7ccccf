"""A local news site on 127.0.0.1 for ingest tests: pages from the seeds (and the dev set's HTML
where present), RSS, Atom and JSON feeds, a sitemap index, and every misbehaviour ingest must survive."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from aiohttp import web

from newsflow_lab.corpus import dev_set_dir, load_dev_pages
from newsflow_shared.http_server import start_app
from tests.conftest import SEEDS

T = TypeVar("T")

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss version="2.0"><channel><title>&lol3;</title><item><link>http://x/</link></item></channel></rss>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>&secret;</title><item><link>http://x/</link></item></channel></rss>"""


@dataclass
class Site:
    """The running site: its base URL, what it serves, and how often each path was requested."""

    base: str
    pages: dict[str, bytes]
    hits: Counter[str] = field(default_factory=Counter)
    conditional_hits: Counter[str] = field(default_factory=Counter)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


def rss(site_base: str, paths: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Item {n}</title><link>{site_base}{p}</link><guid>{site_base}{p}</guid>"
        f"<pubDate>Tue, 13 Apr 2021 11:34:00 GMT</pubDate></item>"
        for n, p in enumerate(paths)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Local news</title>{items}</channel></rss>'.encode()


def atom(site_base: str, paths: list[str]) -> bytes:
    entries = "".join(
        f'<entry><title>Entry {n}</title><link href="{site_base}{p}"/><id>tag:local,2021:{p}</id>'
        f"<updated>2021-04-13T11:34:00Z</updated></entry>"
        for n, p in enumerate(paths)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Local</title>'
        f"<id>tag:local,2021:feed</id><updated>2021-04-13T11:34:00Z</updated>{entries}</feed>"
    ).encode()


def json_feed(site_base: str, paths: list[str]) -> bytes:
    """A JSON Feed 1.1 of ``paths`` under ``site_base``, with the fields ingest reads."""
    items = [
        {
            "id": f"{site_base}{p}",
            "url": f"{site_base}{p}",
            "title": f"Item {i}",
            "content_text": "A teaser.",
            "date_published": "2021-04-13T11:34:00Z",
            "authors": [{"name": "Ana Lima"}],
            "tags": ["Ukraine"],
        }
        for i, p in enumerate(paths)
    ]
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "Local", "items": items}).encode()


def _gzip(data: bytes) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb") as archive:
        archive.write(data)
    return out.getvalue()


def local_pages() -> dict[str, bytes]:
    """/seeds/<name> (text) and, where the dev set is present, /dev/<id> (HTML)."""
    pages = {f"/seeds/{p.name}": p.read_bytes() for p in sorted(SEEDS.glob("*.txt"))}
    root = dev_set_dir()
    if root is not None:
        pages |= {f"/dev/{p.page_id[:16]}.html": p.html.encode() for p in load_dev_pages(root)[:5]}
    return pages


async def serve_site(oversize_bytes: int) -> AsyncIterator[Site]:
    """Start the site on a free 127.0.0.1 port; yields it, stops it afterwards."""
    pages = local_pages()
    site = Site(base="", pages=pages)
    page_paths = sorted(pages)
    ok_paths = [*page_paths, "/redirected-page"]

    async def handler(request: web.Request) -> web.StreamResponse:
        path = request.path
        site.hits[path] += 1
        if path in pages:
            kind = "text/html; charset=utf-8" if path.endswith(".html") else "text/plain; charset=utf-8"
            return web.Response(body=pages[path], content_type=kind.split(";", maxsplit=1)[0], charset="utf-8")
        if path == "/robots.txt":
            return web.Response(text="User-agent: *\nDisallow: /private/\n")
        if path in ("/feed.xml", "/feed-mixed.xml"):
            etag = f'"{path}-v1"'
            if request.headers.get("If-None-Match") == etag:
                site.conditional_hits[path] += 1
                return web.Response(status=304, headers={"ETag": etag})
            items = (
                ok_paths
                if path == "/feed.xml"
                else [
                    page_paths[0],
                    "/huge",
                    "/bomb",
                    "/loop-a",
                    "/private/secret",
                    "/missing",
                    "/to-loopback",
                    "/flaky",
                    "/slow",
                ]
            )
            return web.Response(body=rss(site.base, items), content_type="application/rss+xml", headers={"ETag": etag})
        if path == "/feed.json":
            return web.Response(body=json_feed(site.base, page_paths[:2]), content_type="application/feed+json")
        if path == "/atom.xml":
            return web.Response(body=atom(site.base, page_paths[:2]), content_type="application/atom+xml")
        if path == "/sitemap_index.xml":
            body = (
                '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<sitemap><loc>{site.base}/sitemap-pages.xml.gz</loc></sitemap></sitemapindex>"
            ).encode()
            return web.Response(body=body, content_type="application/xml")
        if path == "/sitemap-pages.xml.gz":
            news = (  # a Google News sitemap's entry for the third page
                "<news:news><news:publication><news:name>Local News</news:name></news:publication>"
                "<news:publication_date>2021-04-13T11:34:00Z</news:publication_date>"
                "<news:title>The third page</news:title></news:news>"
            )
            urls = "".join(
                f"<url><loc>{site.base}{p}</loc>{news if i == 2 else ''}</url>" for i, p in enumerate(page_paths[:3])
            )
            body = (
                '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
                f' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>'
            )
            return web.Response(body=_gzip(body.encode()), content_type="application/x-gzip")
        if path == "/billion-laughs.xml":
            return web.Response(body=BILLION_LAUGHS, content_type="application/rss+xml")
        if path == "/external-entity.xml":
            return web.Response(body=EXTERNAL_ENTITY, content_type="application/rss+xml")
        if path == "/malformed.xml":
            return web.Response(body=b"<rss><channel><item><link>oops", content_type="application/rss+xml")
        if path == "/huge":
            return web.Response(body=b"<p>" + b"x" * oversize_bytes + b"</p>", content_type="text/html")
        if path == "/bomb":
            bomb = _gzip(b" " * (oversize_bytes * 4))
            return web.Response(body=bomb, content_type="text/html", headers={"Content-Encoding": "gzip"})
        if path == "/loop-a":
            raise web.HTTPFound("/loop-b")
        if path == "/loop-b":
            raise web.HTTPFound("/loop-a")
        if path == "/redirect":
            raise web.HTTPMovedPermanently("/redirected-page")
        if path == "/redirected-page":
            return web.Response(body=pages[page_paths[1]], content_type="text/plain", charset="utf-8")
        if path == "/to-loopback":
            raise web.HTTPFound("http://127.0.0.1:9/")  # another port on loopback: not the allowed endpoint
        if path == "/flaky":
            if site.hits[path] == 1:
                return web.Response(status=429, headers={"Retry-After": "1"})
            return web.Response(body=pages[page_paths[2]], content_type="text/plain", charset="utf-8")
        if path == "/slow":
            await asyncio.sleep(5)
            return web.Response(text="too late")
        if path == "/image.png":
            return web.Response(body=b"\x89PNG\r\n\x1a\n", content_type="image/png")
        return web.Response(status=404, text="not found")

    async with serving(handler) as site.base:
        yield site


@asynccontextmanager
async def serving(handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> AsyncIterator[str]:
    """``handler`` answering every GET on a free 127.0.0.1 port; yields the base URL."""
    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", handler)
    runner, base = await start_app(app, "127.0.0.1", 0)
    try:
        yield base
    finally:
        await runner.cleanup()


def seed_paths_served(site: Site) -> list[str]:
    return [p for p in site.pages if p.startswith("/seeds/")]


def served_path(path: Path) -> str:
    return f"/seeds/{path.name}"


class ServedInThread(Generic[T]):
    """A server (an async generator that yields it while serving) on its own event loop in a
    thread, for tests that run ``newsflow`` as a process."""

    def __init__(self, serve: Callable[[], AsyncIterator[T]]) -> None:
        import threading

        self._serve = serve
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self.site: T | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        async def main() -> None:
            self._stop = asyncio.Event()
            async for site in self._serve():
                self.site = site
                self._ready.set()
                await self._stop.wait()

        self._loop.run_until_complete(main())

    def __enter__(self) -> T:
        self._thread.start()
        assert self._ready.wait(30), "the local site did not start"
        assert self.site is not None
        return self.site

    def __exit__(self, *exc: object) -> None:
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


def SiteThread(oversize_bytes: int) -> ServedInThread[Site]:
    """The local news site in a thread."""
    return ServedInThread(lambda: serve_site(oversize_bytes))
