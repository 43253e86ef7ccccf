"""Inputs shaped like the real ones that broke newsflow, written here (no other project's files):

- a TechCrunch-like RSS feed: a blank line before ``<?xml``, ``dc:creator``, categories, and
  4–14 KB of ``content:encoded`` per item, whose pages are on a host that refuses connections;
- a UOL-like feed: ISO-8859-1 bytes with no encoding declared and HTML entities (``&nbsp;``);
- a Google Alerts Atom feed: every link is ``https://www.google.com/url?…&url=<article>``;
- article URLs whose query string is the article (``story.aspx?storyid=N``, ``view?articleId=N``);
- a crawl WARC of news articles mixed with a shop, a job board, lottery results and spam.

Article text comes from the seeds' gold bodies, so pages read like news.
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from aiohttp import web
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.conftest import SEEDS
from tests.web_fixture import ServedInThread, serving

ITEMS = 20


def seed_paragraphs() -> list[str]:
    """The article paragraphs of the seeds (their gold body lines), in order."""
    gold = json.loads((SEEDS / "gold.json").read_text())
    paragraphs: list[str] = []
    for path in sorted(SEEDS.glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        body_lines = gold["documents"][path.name]["body"]
        paragraphs += [lines[n - 1].strip() for n in body_lines if len(lines[n - 1].split()) >= 12]
    return paragraphs


def article_text(n: int, words: int) -> list[str]:
    """Paragraphs of about ``words`` words, a different selection for each ``n``."""
    paragraphs = seed_paragraphs()
    rng = random.Random(n)
    out: list[str] = [f"Report number {n}: {rng.choice(paragraphs)}"]
    while sum(len(p.split()) for p in out) < words:
        out.append(rng.choice(paragraphs))
    return out


def article_page(n: int, title: str, markup: bool = True) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in article_text(n, 400))
    head = (
        (
            '<meta property="og:type" content="article">'
            f'<meta property="article:published_time" content="2024-03-0{n % 9 + 1}T08:00:00Z">'
            f'<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "{title}"}}</script>'
        )
        if markup
        else ""
    )
    nav = "".join(f'<li><a href="/section/{s}">{s.title()}</a></li>' for s in ("world", "politics", "business"))
    return (
        f"<!DOCTYPE html><html><head><title>{title} | Daily Example</title>{head}</head><body>"
        f"<header><nav><ul>{nav}</ul></nav></header><article><h1>{title}</h1>{paragraphs}</article>"
        f"<footer><a href='/about'>About</a> <a href='/privacy'>Privacy</a></footer></body></html>"
    )


def techcrunch_feed(page_base: str) -> bytes:
    items = []
    for n in range(ITEMS):
        content = "".join(f"<p>{p}</p>" for p in article_text(100 + n, 700 + 150 * (n % 8)))
        items.append(
            f"<item><title>Startup {n} raises a round</title><link>{page_base}/2024/03/0{n % 9 + 1}/startup-{n}/</link>"
            f"<dc:creator><![CDATA[Writer {n}]]></dc:creator><pubDate>Tue, 05 Mar 2024 1{n % 10}:00:00 +0000</pubDate>"
            f"<category><![CDATA[Startups]]></category><category><![CDATA[Fundraising]]></category>"
            f'<guid isPermaLink="false">{page_base}/?p={2600000 + n}</guid>'
            f"<description><![CDATA[A teaser for story {n}.]]></description>"
            f"<content:encoded><![CDATA[{content}]]></content:encoded></item>"
        )
    return (
        '\n<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel><title>TechExample</title><link>{page_base}/</link>{''.join(items)}</channel></rss>"
    ).encode()


def uol_feed(site_base: str, count: int = 15) -> bytes:
    items = "".join(
        f"<item><title>Pol\xedtica&nbsp;hoje {n}: S\xe3o Paulo decide</title><link>{site_base}/uol/{n}.htm</link>"
        f"<description>Elei\xe7\xe3o em S\xe3o Paulo &ndash; not\xedcia {n}</description>"
        f"<pubDate>Wed, 06 Mar 2024 0{n % 10}:00:00 -0300</pubDate></item>"
        for n in range(count)
    )
    return f'<rss version="2.0"><channel><title>UOL Not\xedcias</title>{items}</channel></rss>'.encode("latin-1")


def google_alerts_feed(site_base: str) -> bytes:
    entries = "".join(
        f'<entry><id>tag:google.com,2013:googlealerts/feed:{9000 + n}</id><title type="html">Alert {n}</title>'
        f'<link href="https://www.google.com/url?rct=j&amp;sa=t&amp;url={quote(f"{site_base}/alert/{n}?utm_source=alerts", safe="")}'
        f'&amp;ct=ga&amp;cd=CAIyGjE&amp;usg=AOvVaw{n}"/><published>2024-03-07T10:0{n % 10}:00Z</published>'
        f"<updated>2024-03-07T10:0{n % 10}:00Z</updated></entry>"
        for n in range(ITEMS)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<id>tag:google.com,2005:reader/user/1/state/com.google/alerts/1</id><title>Google Alert</title>{entries}</feed>"
    ).encode()


def junk_pages() -> dict[str, str]:
    """Non-articles of the kinds a crawl sample is full of (hand-written, not the trainer's)."""
    shop_items = "".join(
        f"<li class='product'><a href='/p/{n}'>Wireless earbuds model {n}</a> <span>$ {19 + n}.99</span>"
        f"<button>Add to basket</button></li>"
        for n in range(30)
    )
    jobs = "".join(
        f"<div><h3><a href='/jobs/{n}'>Senior forklift operator {n}</a></h3><p>Acme Logistics · Springfield · "
        f"$ {40 + n},000</p><a href='/apply/{n}'>Apply</a></div>"
        for n in range(20)
    )
    draws = "".join(
        f"<tr><td>2024-02-{n + 1:02d}</td>"
        + "".join(f"<td>{(n * 7 + k * 11) % 49 + 1}</td>" for k in range(6))
        + "</tr>"
        for n in range(25)
    )
    spam = "".join(f"<a href='/go/{n}'>best online casino bonus {n} free spins</a> " for n in range(120))
    return {
        "https://shop.example/earbuds": f"<html><head><title>Earbuds | Shop</title></head><body><h1>Earbuds</h1>"
        f"<ul>{shop_items}</ul><p>Free shipping over $50.</p></body></html>",
        "https://jobs.example/search?q=forklift": f"<html><head><title>Jobs</title></head><body><h1>20 jobs</h1>{jobs}"
        "</body></html>",
        "https://lotto.example/results": f"<html><head><title>Results</title></head><body><h1>Lotto results</h1>"
        f"<table>{draws}</table><p>Check your numbers.</p></body></html>",
        "https://casino.example/": f"<html><head><title>Casino</title></head><body><h1>Casino bonus</h1><div>{spam}</div>"
        "</body></html>",
    }


def write_crawl_warc(path: Path, articles: int = 3) -> tuple[list[str], list[str]]:
    """A WARC of ``articles`` news pages and the junk pages; returns (article URLs, junk URLs)."""
    article_urls = [f"https://daily.example/2024/03/0{n + 1}/story-{n}" for n in range(articles)]
    pages = {
        url: article_page(n, f"Ministers meet over crisis, day {n}", markup=n % 2 == 0)
        for n, url in enumerate(article_urls)
    }
    pages |= junk_pages()
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for url, html in pages.items():
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(url, "response", payload=io.BytesIO(html.encode()), http_headers=headers)
            )
    return article_urls, list(junk_pages())


@dataclass
class RealWorldSite:
    base: str
    hits: dict[str, int] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


async def serve_real_world(unreachable_base: str) -> AsyncIterator[RealWorldSite]:
    """The feeds and pages above on a free 127.0.0.1 port; TechCrunch's pages on ``unreachable_base``."""
    site = RealWorldSite(base="")

    async def handler(request: web.Request) -> web.StreamResponse:
        path = request.path_qs
        site.hits[path] = site.hits.get(path, 0) + 1
        if request.path == "/robots.txt":
            return web.Response(text="User-agent: *\nAllow: /\n")
        if request.path == "/techcrunch.xml":
            return web.Response(body=techcrunch_feed(unreachable_base), content_type="application/xml")
        if request.path == "/uol.xml":
            return web.Response(body=uol_feed(site.base), content_type="application/xml")
        if request.path == "/feed-as-html":
            return web.Response(body=uol_feed(site.base, 3), content_type="text/html")
        if request.path == "/alerts.xml":
            return web.Response(body=google_alerts_feed(site.base), content_type="application/atom+xml")
        if request.path.startswith(("/uol/", "/alert/")):
            n = int(request.path.rsplit("/", 1)[-1].split(".")[0])
            return web.Response(text=article_page(n + 500, f"Story {request.path}"), content_type="text/html")
        if request.path == "/broken.xml":  # items with no text of their own, pages that are gone
            items = "".join(f"<item><title>Gone {n}</title><link>{site.base}/gone/{n}</link></item>" for n in range(4))
            return web.Response(
                body=f"<rss version='2.0'><channel>{items}</channel></rss>".encode(), content_type="application/rss+xml"
            )
        if request.path in ("/story.aspx", "/view"):
            n = int(request.query.get("storyid") or request.query.get("articleId") or 0)
            return web.Response(text=article_page(n + 700, f"Story {n}"), content_type="text/html")
        return web.Response(status=404, text="not found")

    async with serving(handler) as site.base:
        yield site


def RealWorldSiteThread(unreachable_base: str) -> ServedInThread[RealWorldSite]:
    """The real-world site in a thread, for tests that run ``newsflow`` as a process."""
    return ServedInThread(lambda: serve_real_world(unreachable_base))
