"""Feeds (RSS 0.9x/1.0/2.0, Atom) and sitemaps (index and urlset, gzip), parsed safely.

Every XML document is first read by defusedxml, which refuses entity declarations (the
"billion laughs" expansion) and external entities instead of expanding or fetching them; only
then does feedparser read a feed. Nothing here does I/O.
"""

from __future__ import annotations

import gzip
import io
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree.ElementTree import Element, ParseError

import feedparser
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from newsflow_ingest.errors import SourceError

FEED_ROOTS = frozenset({"rss", "feed", "rdf", "channel"})
SITEMAP_ROOTS = frozenset({"urlset", "sitemapindex"})
MAX_GUNZIPPED_BYTES = 64 << 20


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed: where its page is, and what the feed says about it."""

    url: str
    guid: str | None
    title: str | None
    published: datetime | None


@dataclass(frozen=True)
class Sitemap:
    """A urlset's page URLs, or a sitemap index's child sitemaps."""

    pages: list[str]
    sitemaps: list[str]


def gunzipped(data: bytes) -> bytes:
    """``data`` itself, or inflated if it is gzip (checked by magic number), capped."""
    if not data.startswith(b"\x1f\x8b"):
        return data
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as archive:
            inflated = archive.read(MAX_GUNZIPPED_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise SourceError("malformed_gzip", f"not valid gzip: {exc}") from exc
    if len(inflated) > MAX_GUNZIPPED_BYTES:
        raise SourceError("decompression_bomb", f"gzip inflates past {MAX_GUNZIPPED_BYTES} bytes")
    return inflated


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def xml_root(data: bytes) -> Element:
    """The parsed root of an XML document, refusing entity tricks; SourceError when not XML."""
    try:
        return fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise SourceError("hostile_xml", f"refused XML with {type(exc).__name__}: {exc}") from exc
    except (ParseError, ValueError) as exc:
        raise SourceError("malformed_xml", f"not well-formed XML: {exc}") from exc


def xml_kind(data: bytes) -> str | None:
    """``feed``, ``sitemap`` or None (not a feed or sitemap: an HTML page, say), from the root."""
    head = data.lstrip()[:1]
    if head != b"<" or data.lstrip()[:200].lower().startswith((b"<!doctype html", b"<html")):
        return None
    try:
        root = _local(xml_root(data).tag)
    except SourceError as exc:
        if exc.reason == "hostile_xml":
            raise
        return None
    return "feed" if root in FEED_ROOTS else "sitemap" if root in SITEMAP_ROOTS else None


def parse_feed(data: bytes, base_url: str, limit: int) -> list[FeedItem]:
    """The feed's items with a link (at most ``limit``); SourceError if it is not a usable feed."""
    xml_root(data)  # refuses entity expansion and external entities before feedparser sees it
    parsed = feedparser.parse(data, response_headers={"content-location": base_url})
    if parsed.bozo and not parsed.entries:
        raise SourceError("malformed_feed", f"not a feed: {parsed.get('bozo_exception')}")
    items = []
    for entry in parsed.entries[:limit]:
        link = entry.get("link") or (entry.get("id") if str(entry.get("id", "")).startswith("http") else None)
        if not link:
            continue
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        items.append(
            FeedItem(
                url=link,
                guid=entry.get("id"),
                title=entry.get("title"),
                published=datetime(*stamp[:6], tzinfo=UTC) if stamp else None,
            )
        )
    return items


def parse_sitemap(data: bytes, limit: int) -> Sitemap:
    """Page URLs of a urlset or child sitemaps of an index (at most ``limit`` of each)."""
    root = xml_root(gunzipped(data))
    kind = _local(root.tag)
    if kind not in SITEMAP_ROOTS:
        raise SourceError("malformed_sitemap", f"root element <{kind}> is not urlset or sitemapindex")
    locations = [
        (loc.text or "").strip()
        for entry in root
        for loc in entry
        if _local(loc.tag) == "loc" and (loc.text or "").strip()
    ][:limit]
    return Sitemap(pages=locations, sitemaps=[]) if kind == "urlset" else Sitemap(pages=[], sitemaps=locations)
