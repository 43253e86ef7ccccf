"""Feeds (RSS 0.9x/1.0/2.0, Atom, JSON Feed 1.0/1.1) and sitemaps (index and urlset, gzip),
parsed safely and leniently.

Feeds in the wild are often not well-formed XML: a blank line or a BOM before ``<?xml``,
ISO-8859-1 bytes with no declaration (or the wrong one), HTML entities such as ``&nbsp;``, a
feed served as ``text/html``. Like the best feed readers, this module reads them anyway: what a
document *is* comes from its first element, found by a tolerant scan, and feedparser (which
falls back to a lenient parser and to other charsets) reads the items. One thing is never
tolerated: entity declarations in the document type (the "billion laughs" expansion, external
entities that read files or URLs) are refused as ``hostile_xml`` before any parser sees them.
Sitemaps are read by defusedxml, which refuses the same. A JSON Feed (jsonfeed.org, what many
blogs and newsletters publish beside or instead of RSS) is told by its ``version`` URL and read
into the same items. Nothing here does I/O.
"""

from __future__ import annotations

import codecs
import gzip
import html
import io
import json
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin
from xml.etree.ElementTree import Element, ParseError

import feedparser
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from newsflow_ingest.errors import SourceError
from newsflow_shared.dates import parse_iso

FEED_ROOTS = frozenset({"rss", "feed", "rdf", "channel"})
SITEMAP_ROOTS = frozenset({"urlset", "sitemapindex"})
MAX_GUNZIPPED_BYTES = 64 << 20
SNIFF_BYTES = 64 << 10
"""How far into a document its first element is looked for (past comments and a doctype)."""

_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_PROLOG_ITEM = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->|<!doctype(?:[^\[>]|\[.*?\])*>)", re.IGNORECASE | re.DOTALL)
_FIRST_ELEMENT = re.compile(rb"\s*<([A-Za-z_][\w:.-]*)")
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_JSON_FEED_VERSION = re.compile(rb'^\{.*?"version"\s*:\s*"https?://jsonfeed\.org/version/', re.DOTALL)
"""A JSON object whose ``version`` is a jsonfeed.org URL, within the sniffed head (the spec puts
``version`` first, and writers do)."""
_XML_ENCODING = re.compile(rb"^(<\?xml[^>]*?)\s+encoding\s*=\s*[\"'][^\"']*[\"']", re.IGNORECASE)


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed: where its page is, and what the feed says about it."""

    url: str
    guid: str | None
    title: str | None
    published: datetime | None
    content: str | None = None
    """The entry's own text as HTML (``content:encoded``, Atom ``content``, or a long summary)."""
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    outlet: str | None = None
    """The publication's name where the source gives it (a news sitemap's ``news:publication``)."""


def _utf8_head(data: bytes) -> bytes:
    """The start of ``data`` without BOMs and leading whitespace, as UTF-8 if it was UTF-16."""
    head = data[:SNIFF_BYTES]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        head = head.decode("utf-16", errors="replace").encode("utf-8")
    while head.startswith(_BOMS) or head[:1].isspace():
        head = head.removeprefix(codecs.BOM_UTF8).lstrip()
    return head


def _prolog_and_root(data: bytes) -> tuple[bytes, str | None]:
    """The prolog (declaration, comments, doctype) and the first element's local name, lower-case."""
    head, position = _utf8_head(data), 0
    while match := _PROLOG_ITEM.match(head, position):
        if match.end() == position:
            break
        position = match.end()
    element = _FIRST_ELEMENT.match(head, position)
    if element is None:  # no element where one should start: the whole head is suspect
        return head, None
    return head[:position], element.group(1).decode("ascii", "replace").rsplit(":", 1)[-1].lower()


def refuse_entity_tricks(data: bytes) -> None:
    """SourceError ``hostile_xml`` if the document declares entities (expansion, external ones)."""
    prolog, _ = _prolog_and_root(data)
    if _ENTITY_DECLARATION.search(prolog):
        raise SourceError("hostile_xml", "refused XML that declares entities (expansion or external entities)")


def is_json_feed(data: bytes) -> bool:
    return bool(_JSON_FEED_VERSION.match(_utf8_head(data)))


def source_kind(data: bytes) -> str | None:
    """``feed`` (RSS, Atom, RDF or a JSON Feed), ``sitemap`` or None (neither: an HTML page,
    say), from the first element or the JSON Feed's version."""
    if is_json_feed(data):
        return "feed"
    _, root = _prolog_and_root(data)
    if root is None or root == "html":
        return None
    kind = "feed" if root in FEED_ROOTS else "sitemap" if root in SITEMAP_ROOTS else None
    if kind is not None:
        refuse_entity_tricks(data)
    return kind


@dataclass(frozen=True)
class Sitemap:
    """A urlset's pages, or a sitemap index's child sitemaps."""

    pages: list[FeedItem]
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


def _without_leading_junk(data: bytes) -> bytes:
    """``data`` without leading whitespace and UTF-8 BOMs (a UTF-16 BOM stays: it says how to read)."""
    start = 0
    while data[start : start + 3] == codecs.BOM_UTF8 or data[start : start + 1].isspace():
        start += 3 if data[start : start + 3] == codecs.BOM_UTF8 else 1
    return data[start:]


def _as_utf8_xml(data: bytes) -> bytes:
    """``data`` without leading junk, transcoded to UTF-8 when its bytes are not UTF-8 (an
    undeclared or wrongly declared Latin-1/Windows-1252 document), its declaration to match."""
    data = _without_leading_junk(data)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return _XML_ENCODING.sub(rb"\1", data.decode("cp1252", errors="replace").encode("utf-8"), count=1)
    return data


def xml_root(data: bytes) -> Element:
    """The parsed root of an XML document, refusing entity tricks; SourceError when not XML."""
    try:
        root: Element = fromstring(_as_utf8_xml(data), forbid_dtd=False, forbid_entities=True, forbid_external=True)
        return root
    except DefusedXmlException as exc:
        raise SourceError("hostile_xml", f"refused XML with {type(exc).__name__}: {exc}") from exc
    except (ParseError, ValueError) as exc:
        raise SourceError("malformed_xml", f"not well-formed XML: {exc}") from exc


def _distinct(values: Iterable[Any]) -> tuple[str, ...]:
    """The strings among ``values``, whitespace collapsed, empty ones and repeats dropped, in order:
    a source's names, tags or keywords as hints."""
    return tuple(dict.fromkeys(text for v in values if isinstance(v, str) and (text := " ".join(v.split()))))


def _names(entry: dict[str, Any]) -> tuple[str, ...]:
    names = [a.get("name") for a in entry.get("authors") or [] if isinstance(a, dict)]
    if not any(names) and isinstance(entry.get("author"), str):
        names = [entry["author"]]
    return _distinct(names)


def _content(entry: dict[str, Any]) -> str | None:
    """The longest text the entry carries: full content beats a summary that is only a teaser."""
    candidates = [c.get("value") for c in entry.get("content") or [] if isinstance(c, dict)]
    candidates.append(entry.get("summary"))
    texts = [t for t in candidates if isinstance(t, str) and t.strip()]
    return max(texts, key=len) if texts else None


def _json_text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _json_authors(holder: dict[str, Any]) -> tuple[str, ...]:
    """Names of a JSON Feed item's (or the feed's) ``authors`` (1.1), else its ``author`` (1.0)."""
    listed = holder.get("authors")
    people: list[Any] = listed if isinstance(listed, list) else [holder.get("author")]
    return _distinct(p.get("name") for p in people if isinstance(p, dict))


def _paragraphs_html(text: str) -> str:
    """Plain text as markup, one ``<p>`` per blank-line-separated paragraph, escaped."""
    return "".join(f"<p>{html.escape(p.strip())}</p>" for p in re.split(r"\n\s*\n", text) if p.strip())


def parse_json_feed(data: bytes, base_url: str, limit: int) -> list[FeedItem]:
    """A JSON Feed's items with a link (at most ``limit``), as ``parse_feed``'s: ``url`` (else
    ``external_url``, else an ``id`` that is a URL) resolved against the feed's URL,
    ``content_html`` (else ``content_text`` as paragraphs, else ``summary``), ``date_published``
    (else ``date_modified``), the item's authors (else the feed's, as the spec says) and ``tags``."""
    try:
        feed = json.loads(_without_leading_junk(data))
    except (ValueError, RecursionError) as exc:  # a JSONDecodeError or undecodable bytes are ValueErrors
        raise SourceError("malformed_feed", f"not a JSON Feed: {str(exc)[:200]}") from exc
    if not isinstance(feed, dict) or not isinstance(feed.get("items"), list):
        raise SourceError("malformed_feed", "a JSON Feed needs an items list")
    feed_authors = _json_authors(feed)
    items = []
    for entry in feed["items"][:limit]:
        if not isinstance(entry, dict):
            continue
        guid = str(entry["id"]).strip() if isinstance(entry.get("id"), str | int) else None
        link = _json_text(entry.get("url")) or _json_text(entry.get("external_url"))
        link = link or (guid if guid and guid.startswith(("http://", "https://")) else None)
        if not link:
            continue
        text = _json_text(entry.get("content_text"))
        listed = entry.get("tags")
        tags: list[Any] = listed if isinstance(listed, list) else []
        items.append(
            FeedItem(
                url=urljoin(base_url, link),
                guid=guid or None,
                title=_json_text(entry.get("title")),
                published=parse_iso(_json_text(entry.get("date_published")))
                or parse_iso(_json_text(entry.get("date_modified"))),
                content=_json_text(entry.get("content_html"))
                or (_paragraphs_html(text) if text else None)
                or _json_text(entry.get("summary")),
                authors=_json_authors(entry) or feed_authors,
                categories=_distinct(tags),
            )
        )
    return items


def parse_feed(data: bytes, base_url: str, limit: int) -> list[FeedItem]:
    """The feed's items with a link (at most ``limit``); SourceError if it is not a usable feed."""
    if is_json_feed(data):
        return parse_json_feed(data, base_url, limit)
    refuse_entity_tricks(data)
    parsed = feedparser.parse(_without_leading_junk(data), response_headers={"content-location": base_url})
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
                published=datetime(*stamp[:6]).replace(tzinfo=UTC) if stamp else None,
                content=_content(entry),
                authors=_names(entry),
                categories=_distinct(t.get("term") for t in entry.get("tags") or []),
            )
        )
    if not items and (parsed.bozo or not parsed.get("version")):
        raise SourceError("malformed_feed", f"not a feed: {parsed.get('bozo_exception') or 'no items'}")
    return items


def _children(element: Element) -> dict[str, Element]:
    """An element's children by local name, the first of each."""
    found: dict[str, Element] = {}
    for child in element:
        found.setdefault(_local(child.tag), child)
    return found


def _element_text(element: Element | None) -> str | None:
    text = " ".join((element.text or "").split()) if element is not None else ""
    return text or None


def _sitemap_page(url: str, entry: dict[str, Element]) -> FeedItem:
    """A urlset page, with what a Google News sitemap's ``news:news`` says of its article: title,
    publication date, the publication's name and keywords (``lastmod`` is when the page last
    changed, not when the article was published, so it is not read)."""
    news = _children(entry["news"]) if "news" in entry else {}
    publication = _children(news["publication"]) if "publication" in news else {}
    keywords = _element_text(news.get("keywords")) or ""
    return FeedItem(
        url=url,
        guid=None,
        title=_element_text(news.get("title")),
        published=parse_iso(_element_text(news.get("publication_date"))),
        categories=_distinct(keywords.split(",")),
        outlet=_element_text(publication.get("name")),
    )


def parse_sitemap(data: bytes, limit: int) -> Sitemap:
    """The pages of a urlset (``_sitemap_page``) or the child sitemaps of an index (at most
    ``limit`` of each)."""
    root = xml_root(gunzipped(data))
    kind = _local(root.tag)
    if kind not in SITEMAP_ROOTS:
        raise SourceError("malformed_sitemap", f"root element <{kind}> is not urlset or sitemapindex")
    entries = [(url, fields) for fields in map(_children, root) if (url := _element_text(fields.get("loc")))][:limit]
    if kind == "urlset":
        return Sitemap(pages=[_sitemap_page(url, fields) for url, fields in entries], sitemaps=[])
    return Sitemap(pages=[], sitemaps=[url for url, _ in entries])
