"""Boilerplate removal for HTML with trafilatura (precision settings), plus the page's metadata.

The page is parsed with trafilatura's lxml loader (a second time only when the fast pass finds
little, see ``FULL_PASS_BELOW_CHARS``). Metadata comes from the markup that publishers fill in for
search engines and social cards (Open Graph, ``article:*``, JSON-LD, ``<time>``), read with a few
XPath lookups; trafilatura's own metadata pass (htmldate's date search) cost about a third of the
stage's time and is skipped. The parsed tree is then handed to trafilatura for the body.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import lxml.etree
import lxml.html
import trafilatura
from trafilatura.utils import load_html

from newsflow_shared.dates import parse_iso
from newsflow_shared.models import PageMetadata
from newsflow_shared.textcues import BYLINE_START
from newsflow_shared.urls import page_canonical_url
from newsflow_strip.article import PageSignals, page_signals


@dataclass(frozen=True)
class HtmlStrip:
    """Article body, what the page's markup says about it, and whether it looks like an article."""

    body: str
    page: PageMetadata
    signals: PageSignals | None = None


_TITLE_META = ("og:title", "twitter:title")
_PUBLISHED_META = ("article:published_time", "og:published_time", "datePublished", "pubdate", "date", "dc.date")
_UPDATED_META = ("article:modified_time", "og:updated_time", "dateModified")
_AUTHOR_META = ("author", "article:author", "dc.creator", "byl")
_SITE_META = ("og:site_name", "application-name")
_BYLINE_PREFIX = re.compile(BYLINE_START, re.I)


def parse_date(value: str | None) -> datetime | None:
    """A publication time from markup: ISO 8601, UTC when zoneless. Placeholder dates that CMSs
    emit for "unset" (0001-01-01, 1970-01-01) are not publication times."""
    return parse_iso(value, earliest_year=1990)


def _meta(tree: Any) -> dict[str, str]:
    """Every ``<meta>`` keyed by its property/name/itemprop, lower-cased; the first wins."""
    found: dict[str, str] = {}
    for node in tree.iter("meta"):
        key = node.get("property") or node.get("name") or node.get("itemprop")
        value = node.get("content")
        if key and value and value.strip():
            found.setdefault(key.strip().lower(), value.strip())
    return found


def _json_ld(tree: Any) -> dict[str, Any]:
    """The first JSON-LD object that looks like an article (headline or datePublished)."""
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        items = data if isinstance(data, list) else [data]
        items += [x for item in items if isinstance(item, dict) for x in item.get("@graph", [])]
        for item in items:
            if isinstance(item, dict) and ("datePublished" in item or "headline" in item):
                return item
    return {}


def _first(meta: dict[str, str], keys: tuple[str, ...]) -> str | None:
    return next((meta[k.lower()] for k in keys if k.lower() in meta), None)


def _authors(meta: dict[str, str], ld: dict[str, Any]) -> list[str]:
    raw = ld.get("author")
    names: list[str] = []
    for item in raw if isinstance(raw, list) else [raw]:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            names.append(item["name"])
        elif isinstance(item, str):
            names.append(item)
    if not names and (value := _first(meta, _AUTHOR_META)) and not value.startswith("http"):
        names = re.split(r"\s*(?:;|,|\band\b)\s*", value)
    return list(dict.fromkeys(_BYLINE_PREFIX.sub("", n).strip() for n in names if n and n.strip()))


def _declared_canonical(tree: Any, meta: dict[str, str]) -> str | None:
    links = tree.xpath('//link[translate(@rel, "CANOICL", "canoicl")="canonical"]/@href')
    return str(links[0]) if links else meta.get("og:url")


def page_metadata(tree: Any, url: str | None = None, meta: dict[str, str] | None = None) -> PageMetadata:
    meta = _meta(tree) if meta is None else meta
    ld = _json_ld(tree)
    title = _first(meta, _TITLE_META) or ld.get("headline") or tree.findtext(".//title")
    publisher = ld.get("publisher")
    outlet = _first(meta, _SITE_META) or (publisher.get("name") if isinstance(publisher, dict) else None)
    time_node = tree.xpath("(//time[@datetime])[1]/@datetime")
    published = parse_date(str(ld.get("datePublished") or "") or _first(meta, _PUBLISHED_META))
    return PageMetadata(
        title=" ".join(str(title).split()) or None if title else None,
        authors=_authors(meta, ld),
        published=published or parse_date(str(time_node[0]) if time_node else None),
        updated=parse_date(str(ld.get("dateModified") or "") or _first(meta, _UPDATED_META)),
        outlet=outlet if isinstance(outlet, str) else None,
        canonical_url=page_canonical_url(_declared_canonical(tree, meta), url),
    )


# trafilatura's fallback extractors (its readability port and jusText, compared against its own
# result) double its cost and changed one dev-set page in 91, a page where the fast pass had found
# only 213 characters. So the fast pass runs first and the full one only when it finds little.
FULL_PASS_BELOW_CHARS = 1000


def _trafilatura_body(html: str, tree: Any, url: str | None) -> str:
    doc = trafilatura.bare_extraction(
        tree, url=url, favor_precision=True, include_comments=False, include_tables=True, with_metadata=False, fast=True
    )
    text = str(getattr(doc, "text", None) or "")  # a Document (with_metadata=False never gives a dict)
    if len(text) < FULL_PASS_BELOW_CHARS and (fresh := load_html(html)) is not None:
        # The fast pass pruned ``tree``; the full pass needs a fresh parse.
        full = trafilatura.bare_extraction(
            fresh, url=url, favor_precision=True, include_comments=False, include_tables=True, with_metadata=False
        )
        text = str(getattr(full, "text", None) or "") if full is not None else text
    return "\n\n".join(line.strip() for line in text.split("\n") if line.strip())


def strip_html(html: str, url: str | None = None) -> HtmlStrip:
    """Extract the main text (paragraphs separated by blank lines) and the page metadata."""
    # trafilatura's own loader (lxml with its parser settings): parsing with lxml.html's
    # defaults instead lowered body F1 on the dev set from 0.975 to 0.972.
    tree = load_html(html)
    if tree is None:
        return HtmlStrip(body="", page=PageMetadata())
    meta = _meta(tree)
    page = page_metadata(tree, url, meta)  # read before trafilatura prunes the tree
    signals = page_signals(tree, meta, dated=page.published is not None)
    return HtmlStrip(body=_trafilatura_body(html, tree, url), page=page, signals=signals)


_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "dd", "td")
_SKIPPED = ("script", "style", "noscript", "iframe", "figcaption", "figure", "form", "button", "svg")


def fragment_text(html: str) -> str:
    """The text of an HTML fragment that is all article (a feed item's ``content:encoded``):
    one paragraph per block element, nothing judged boilerplate, captions and embeds left out."""
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return ""
    for node in root.xpath("|".join(f"//{tag}" for tag in _SKIPPED)):
        node.drop_tree()
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")
    paragraphs = []
    for node in root.iter(*_BLOCKS):
        if node.getparent() is not None and any(a.tag in _BLOCKS for a in node.iterancestors()):
            continue  # a block inside a block is read with its parent
        text = " ".join(node.text_content().split())
        if text:
            paragraphs.append(text)
    if not paragraphs:  # a fragment of bare text and <br>s
        paragraphs = [" ".join(line.split()) for line in root.text_content().split("\n") if line.strip()]
    return "\n\n".join(paragraphs)
