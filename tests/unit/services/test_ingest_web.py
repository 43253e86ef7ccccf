"""Ingest's web parts without I/O: the address policy, feed and sitemap parsing, header parsing."""

from __future__ import annotations

import gzip

import pytest

from newsflow_ingest.errors import SourceError
from newsflow_ingest.feeds import gunzipped, parse_feed, parse_sitemap, xml_kind
from newsflow_ingest.fetch import declared_charset, retry_after_s
from newsflow_shared.guard import AddressPolicy
from tests.web_fixture import BILLION_LAUGHS, EXTERNAL_ENTITY, atom, rss


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
        xml_kind(document)


def test_kinds_and_malformed_feeds():
    assert xml_kind(rss("https://x", ["/a"])) == "feed"
    assert xml_kind(b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>') == "sitemap"
    assert xml_kind(b"<!DOCTYPE html><html><body>page</body></html>") is None
    assert xml_kind(b"plain text") is None
    with pytest.raises(SourceError):
        parse_feed(b"<rss><channel><item>", "https://x/", 10)


def test_sitemaps_gzip_and_bombs():
    urlset = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc> https://x/a </loc></url></urlset>'
    assert parse_sitemap(gzip.compress(urlset), 10).pages == ["https://x/a"]
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
