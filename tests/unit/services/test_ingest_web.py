"""Ingest's web parts without I/O: the address policy, feed and sitemap parsing, header parsing."""

from __future__ import annotations

import gzip

import pytest

from newsflow_ingest.errors import SourceError
from newsflow_ingest.feeds import gunzipped, parse_feed, parse_sitemap, source_kind
from newsflow_ingest.fetch import declared_charset, retry_after_s
from newsflow_shared.guard import AddressPolicy
from tests.web_fixture import BILLION_LAUGHS, EXTERNAL_ENTITY, atom, json_feed, rss


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "224.0.0.1",
        "0.0.0.0",
        "::ffff:127.0.0.1",
        "fc00::1",
    ],
)
def test_inside_addresses_are_refused(address):
    assert AddressPolicy().refuses(address, 80)


def test_public_addresses_pass_and_allowances_are_exact():
    assert not AddressPolicy().refuses("93.184.216.34", 443)
    assert not AddressPolicy().refuses("2606:2800:220:1:248:1893:25c8:1946", 443)
    policy = AddressPolicy.of(False, ["127.0.0.1:8080"])
    assert not policy.refuses("127.0.0.1", 8080) and policy.refuses("127.0.0.1", 8081)
    assert not AddressPolicy(allow_private_network=True).refuses("10.0.0.1", 80)


def test_rss_and_atom_items():
    items = parse_feed(rss("https://news.example", ["/a", "/b"]), "https://news.example/feed", 10)
    assert [i.url for i in items] == ["https://news.example/a", "https://news.example/b"]
    assert items[0].title == "Item 0" and items[0].published is not None and items[0].guid
    entries = parse_feed(atom("https://news.example", ["/c"]), "https://news.example/atom", 10)
    assert entries[0].url == "https://news.example/c" and entries[0].guid == "tag:local,2021:/c"
    assert len(parse_feed(rss("https://n.example", [f"/{i}" for i in range(50)]), "https://n.example/", 7)) == 7


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_entity_tricks_are_refused_not_expanded(document):
    with pytest.raises(SourceError) as refused:
        parse_feed(document, "https://x.example/", 10)
    assert refused.value.reason == "hostile_xml"
    with pytest.raises(SourceError):
        source_kind(document)


def test_kinds_and_malformed_feeds():
    assert source_kind(rss("https://x", ["/a"])) == "feed"
    assert (
        source_kind(b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>') == "sitemap"
    )
    assert source_kind(b"<!DOCTYPE html><html><body>page</body></html>") is None
    assert source_kind(b"plain text") is None
    with pytest.raises(SourceError):
        parse_feed(b"<rss><channel><item>", "https://x/", 10)


def test_json_feed_items_read_like_rss_items():
    items = parse_feed(json_feed("https://news.example", ["/a", "/b"]), "https://news.example/feed.json", 10)
    assert [i.url for i in items] == ["https://news.example/a", "https://news.example/b"]
    first = items[0]
    assert first.guid == "https://news.example/a" and first.title == "Item 0" and first.authors == ("Ana Lima",)
    assert first.published is not None and first.published.isoformat() == "2021-04-13T11:34:00+00:00"
    assert first.content and first.content.startswith("<p>") and first.categories == ("Ukraine",)
    assert len(parse_feed(json_feed("https://n.example", [f"/{i}" for i in range(50)]), "https://n.example/", 7)) == 7


def test_json_feed_version_one_fields_relative_links_and_plain_text():
    feed = (
        b'\xef\xbb\xbf {"version": "https://jsonfeed.org/version/1", "title": "Blog", "author": {"name": "Site Team"},'
        b' "items": [{"id": 7, "url": "/posts/7", "content_text": "One.\\n\\nTwo < three.", "date_modified": "2021-04-13"},'
        b' {"id": "no-link", "content_html": "<p>x</p>"}, "junk",'
        b' {"id": "https://news.example/x", "summary": "Teaser", "tags": ["a", 3, " "]}]}'
    )
    assert source_kind(feed) == "feed"
    items = parse_feed(feed, "https://blog.example/feed.json", 10)
    assert [(i.url, i.guid) for i in items] == [
        ("https://blog.example/posts/7", "7"),
        ("https://news.example/x", "https://news.example/x"),
    ]
    assert items[0].content == "<p>One.</p><p>Two &lt; three.</p>" and items[0].authors == ("Site Team",)
    assert items[0].published is not None and items[1].content == "Teaser" and items[1].categories == ("a",)


def test_json_that_is_not_a_feed_is_not_taken_for_one():
    assert source_kind(b'{"version": 2, "items": []}') is None and source_kind(b"[1, 2]") is None
    with pytest.raises(SourceError) as broken:
        parse_feed(b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "https://x/", 10)
    assert broken.value.reason == "malformed_feed"
    with pytest.raises(SourceError):
        parse_feed(b'{"version": "https://jsonfeed.org/version/1.1", "items": {}}', "https://x/", 10)


def test_a_news_sitemap_gives_each_pages_title_date_keywords_and_publication():
    news = (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        b"<url><loc>https://x/a</loc><lastmod>2024-05-02T08:00:00Z</lastmod><news:news>"
        b"<news:publication><news:name>The Daily Example</news:name><news:language>en</news:language></news:publication>"
        b"<news:publication_date>2024-05-01T10:00:00+02:00</news:publication_date>"
        b"<news:title>Talks resume in Geneva</news:title><news:keywords>talks, Geneva,talks</news:keywords>"
        b"</news:news></url><url><loc>https://x/b</loc><lastmod>2024-05-02</lastmod></url></urlset>"
    )
    first, plain = parse_sitemap(news, 10).pages
    assert (first.url, first.title, first.outlet, first.categories) == (
        "https://x/a",
        "Talks resume in Geneva",
        "The Daily Example",
        ("talks", "Geneva"),
    )
    assert first.published is not None and first.published.isoformat() == "2024-05-01T10:00:00+02:00"
    assert (plain.url, plain.title, plain.published, plain.outlet) == ("https://x/b", None, None, None), (
        "lastmod is no date"
    )


def test_sitemaps_gzip_and_bombs():
    urlset = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc> https://x/a </loc></url></urlset>'
    assert [p.url for p in parse_sitemap(gzip.compress(urlset), 10).pages] == ["https://x/a"]
    index = b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>https://x/s.xml</loc></sitemap></sitemapindex>'
    assert parse_sitemap(index, 10).sitemaps == ["https://x/s.xml"]
    with pytest.raises(SourceError) as bomb:
        gunzipped(gzip.compress(b"\0" * (65 << 20)))
    assert bomb.value.reason == "decompression_bomb"
    with pytest.raises(SourceError) as broken:
        gunzipped(b"\x1f\x8b" + b"not gzip at all")
    assert broken.value.reason == "malformed_gzip"


def test_headers():
    assert retry_after_s("120") == 120.0
    assert retry_after_s("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == pytest.approx(10.0)
    assert retry_after_s("soon") is None and retry_after_s(None) is None
    assert declared_charset('text/html; charset="ISO-8859-1"') == "ISO-8859-1" and declared_charset("text/html") is None
