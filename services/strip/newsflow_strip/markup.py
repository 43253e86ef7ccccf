"""What a page's markup says about its article: title, authors, dates, outlet, canonical URL.

Publishers fill in several places for search engines and social cards, and each is wrong
somewhere, so no one of them is trusted by a fixed order alone:

- **title**: the JSON-LD ``headline``, ``og:title``/``twitter:title``, the first ``<h1>`` and
  ``<title>`` (each without the site's name, entities and invisible characters) are candidates;
  the one most others agree with (equal, or one containing the other) wins, in that order on a
  tie: the headline the publisher declares for the article first, the social card's next.
- **authors**: the JSON-LD article's ``author`` (names, or ``@id`` references to Person nodes),
  author ``<meta>`` tags, ``rel=author`` links, ``itemprop=author`` elements, then a byline
  element; "By", roles ("Staff", "Redaktion") and e-mail addresses removed, names split on
  "and", commas and the like.
- **published / updated**, kept apart: JSON-LD, ``<meta>``, ``itemprop`` elements, the first
  ``<time datetime>``, a date in the URL, and htmldate's quick search of the page as the last
  resort (published only). A date without a time is taken as noon UTC, so that its day holds in
  every zone within ±11 hours.
- **outlet**: ``og:site_name``, ``application-name``, the JSON-LD publisher and site, and a short
  ``<title>`` segment ("… | heise online"); a name that names the host wins ("Deutsche Welle"
  over "dw.com" on ``dw.com``, "heise online" over the section "Security"), then one that reads
  as a name, then one written as a host; a company's legal name ("… Verlags GmbH") never; and
  where the page declares none, a readable name from the host (``newsflow_shared.sites``).
"""

from __future__ import annotations

import html
import json
import re
import warnings
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from newsflow_shared.dates import parse_iso
from newsflow_shared.models import PageMetadata
from newsflow_shared.sites import host_label, is_corporate, is_host_like, names_site, site_name_from_host
from newsflow_shared.textcues import BYLINE_START
from newsflow_shared.urls import page_canonical_url

TITLE_META = ("og:title", "twitter:title")
PUBLISHED_META = (
    "article:published_time", "og:published_time", "datepublished", "pubdate", "publishdate", "publish-date",
    "article.published", "parsely-pub-date", "sailthru.date", "dcterms.date", "dc.date", "date",
)  # fmt: skip
UPDATED_META = ("article:modified_time", "og:updated_time", "datemodified", "article.updated", "dcterms.modified")
AUTHOR_META = (
    "author", "article:author", "dc.creator", "byl", "parsely-author", "sailthru.author", "dcterms.creator",
    "cxenseparse:author", "og:author", "og:article:author", "article:author_name", "article_author",
)  # fmt: skip
_WRITTEN_BY = re.compile(
    r"^(?:written by|verfasst von|geschrieben von|escrito por|écrit par|scritto da|geschreven door|skrevet af|"
    r"skrivet av|napisane przez)$",
    re.I,
)
"""The label WordPress SEO plugins give the author in ``twitter:labelN`` (the name is ``twitter:dataN``)."""
SITE_META = ("og:site_name", "application-name")
ARTICLE_TYPES = frozenset(
    {"article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle", "blogposting",
     "liveblogposting", "report", "backgroundnewsarticle", "reviewnewsarticle", "webpage"}
)  # fmt: skip

_TITLE_SEPARATORS = re.compile(r"\s+(?:\||-|–|—|::|·|•|»|/)\s+")
_URL_DATE = re.compile(r"/(?P<y>(?:19|20)\d{2})[/-]?(?P<m>0[1-9]|1[0-2])[/-]?(?P<d>0[1-9]|[12]\d|3[01])(?=/|[^0-9]|$)")
_BYLINE_PREFIX = re.compile(BYLINE_START, re.I)
_NAME_SPLIT = re.compile(r"\s*(?:;|,|&|\||/|\band\b|\bund\b|\bet\b|\by\b|\bog\b|\boch\b)\s*", re.I)
_NOT_A_NAME = re.compile(
    r"^(?:staff|staff writers?|redaktion|redacción|rédaction|redazione|editorial|editors?|admin|newsdesk|"
    r"news desk|web desk|online|agencies|agency|reporter|correspondent|contributor|autor|author)$",
    re.I,
)
_ROLE_SUFFIX = re.compile(r"\s*[,(]\s*(?:staff|reporter|correspondent|editor|contributor)[^)]*\)?$", re.I)
_INITIALS_SUFFIX = re.compile(r"\s*\([a-z.]{2,5}\)$")
"""An editor's short sign after the name ("Oliver Maksan (oma)")."""
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)+$")
"""A URL slug standing in for a name ("sophie-foster")."""
AUTHOR_LINKS = (
    "//a["
    + " or ".join(
        f"contains(@href, '/{path}/')"
        for path in ("author", "authors", "autor", "autoren", "auteur", "autore", "journalist")
    )
    + "]"
)
_AUTHOR_CLASS = re.compile(r"author-?name|authorline|(?:^|\s)authors?(?:__(?:list-)?item|__name)?(?:\s|$)", re.I)
"""Class names of elements holding a byline's names: "authorName", "author-name", "authorline", a
class that is just "author" or "authors", and the BEM items of an authors list ("authors__item")."""

_TEXTUAL_DATE = re.compile(r"\b(?:19|20)\d{2}\b")
_MONTH_NAME = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\b", re.I)


def parse_date(value: str | None) -> datetime | None:
    """A time from markup: ISO 8601 (a bare date: noon UTC), else a date with an English month
    name, as RFC 2822 ("Thu, 04 May 2023 10:00:00 GMT") or as older CMSs write it ("May 4, 2023
    10:00 AM EDT"; no zone: UTC, no time: noon). Placeholder dates that CMSs emit for "unset" (0001-01-01, 1970-01-01)
    are not publication times."""
    if not value or not value.strip():
        return None
    value = value.strip()
    parsed = parse_iso(value, earliest_year=1990)
    if parsed is not None:
        return parsed.replace(hour=12) if len(value) == 10 else parsed  # YYYY-MM-DD alone
    if not _TEXTUAL_DATE.search(value):
        return None
    parsed = _month_name_date(value)
    if parsed is None or parsed.year < 1990:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _month_name_date(value: str) -> datetime | None:
    if not _MONTH_NAME.search(value):
        return None  # "04/05/2023" is the 4th of May or the 5th of April: not guessed
    from dateutil import parser as date_parser

    with warnings.catch_warnings():  # a zone name dateutil does not know is read as no zone (UTC)
        warnings.simplefilter("ignore")
        try:
            parsed: datetime = date_parser.parse(value, fuzzy=True, default=datetime(2000, 1, 1, 12), tzinfos=_US_ZONES)
            return parsed
        except (ValueError, OverflowError):
            return None


_US_ZONES = {"EST": -5 * 3600, "EDT": -4 * 3600, "CST": -6 * 3600, "CDT": -5 * 3600, "MST": -7 * 3600,
             "MDT": -6 * 3600, "PST": -8 * 3600, "PDT": -7 * 3600, "GMT": 0, "UTC": 0, "BST": 3600}  # fmt: skip


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def meta_tags(tree: Any) -> dict[str, str]:
    """Every ``<meta>`` keyed by its property/name/itemprop, lower-cased; the first wins."""
    found: dict[str, str] = {}
    for node in tree.iter("meta"):
        key = node.get("property") or node.get("name") or node.get("itemprop")
        value = node.get("content")
        if key and value and value.strip():
            found.setdefault(key.strip().lower(), value.strip())
    return found


def _ld_items(tree: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        stack = [data]
        while stack and len(items) < 200:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                items.append(item)
                stack.extend(
                    v
                    for k, v in item.items()
                    if k in ("@graph", "mainEntity", "mainEntityOfPage") and isinstance(v, list | dict)
                )
    return items


def _types(item: dict[str, Any]) -> set[str]:
    kind = item.get("@type")
    return {k.rsplit("/", 1)[-1].lower() for k in (kind if isinstance(kind, list) else [kind]) if isinstance(k, str)}


def _article_ld(items: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON-LD object that describes the article: an article type with a headline or date,
    else any object with one."""
    dated = [i for i in items if "datePublished" in i or "headline" in i]
    typed = [i for i in dated if _types(i) & ARTICLE_TYPES - {"webpage"}]
    return (typed or dated or [{}])[0]


def _first(meta: dict[str, str], keys: tuple[str, ...]) -> str | None:
    return next((meta[k.lower()] for k in keys if k.lower() in meta), None)


def _text(node: Any) -> str:
    return " ".join("".join(node.itertext()).split())


def _normalized(text: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", text.casefold()).split())


def without_site_name(title: str, site_names: list[str], others: list[str] | None = None) -> str:
    """A title without the site's name: separator-delimited segments that name the site (or, if
    none does, short trailing segments after a longer first one that no other candidate title,
    ``others``, carries: "Vädjar efter attackerna – ”kritiskt”" keeps its end when the page's
    ``<h1>`` has it). The separators between the segments kept stay as written."""
    title = title.strip()
    segments = _TITLE_SEPARATORS.split(title)
    separators = _TITLE_SEPARATORS.findall(title)
    if len(segments) < 2:
        return title
    sites = {_normalized(s) for s in site_names if s and _normalized(s)}
    keep = [
        not any(_normalized(p) == s or (s in _normalized(p) and len(p.split()) <= 4) for s in sites) for p in segments
    ]
    if all(keep):
        elsewhere = " ".join(_normalized(o) for o in others or [])
        last = len(segments) - 1
        while last > 0 and len(segments[last].split()) <= 3 and len(segments[0].split()) >= 3:
            if _normalized(segments[last]) in elsewhere:
                break
            keep[last] = False
            last -= 1
    if not any(keep):
        return title
    out = ""
    for i, (segment, kept) in enumerate(zip(segments, keep, strict=True)):
        if kept:
            joint = "" if not out else separators[i - 1] if keep[i - 1] else " - "
            out += joint + segment
    return out


_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060\ufeff]")


def _readable(text: str | None) -> str | None:
    """Markup text as a reader sees it: entities decoded (JSON-LD often carries ``&uuml;``),
    soft hyphens and zero-width characters removed, whitespace collapsed."""
    if not text:
        return None
    return " ".join(_INVISIBLE.sub("", html.unescape(text)).split()) or None


def choose_title(candidates: list[str | None]) -> str | None:
    """The candidate the most candidates include (equal normalized text, or containing it as at
    least half of theirs: an ``og:title`` with "(VIDEO)" appended includes the headline, not the
    other way round); the earlier on a tie."""
    present = [" ".join(c.split()) for c in candidates if c and c.strip()]
    if not present:
        return None
    normalized = [_normalized(c) for c in present]

    def agreement(i: int) -> int:
        mine = normalized[i]
        return sum(1 for other in normalized if mine and mine in other and len(mine) * 2 >= len(other))

    return present[max(range(len(present)), key=lambda i: (agreement(i), -i))]


def _site_names(meta: dict[str, str], ld: dict[str, Any], url: str | None) -> list[str]:
    publisher = ld.get("publisher")
    names = [_first(meta, SITE_META), publisher.get("name") if isinstance(publisher, dict) else None]
    host = (urlsplit(url).hostname or "").removeprefix("www.") if url else ""
    if host:
        names += [host, host.split(".")[0]]
    return [n for n in names if isinstance(n, str) and n.strip()]


def page_title(tree: Any, meta: dict[str, str], ld: dict[str, Any], url: str | None) -> str | None:
    sites = _site_names(meta, ld, url)
    h1 = tree.xpath("(//h1)[1]")
    headline = ld.get("headline")
    candidates = [
        _readable(headline if isinstance(headline, str) else None),
        _readable(_first(meta, TITLE_META)),
        _readable(_text(h1[0]) if h1 else None),
        _readable(tree.findtext(".//title")),
    ]
    # A trailing segment of <title> or og:title that the headline or <h1> repeats is the headline's.
    headlines = [c for c in candidates[:3] if c]
    return choose_title(
        [without_site_name(c, sites, [o for o in headlines if o is not c]) if c else None for c in candidates]
    )


def _ld_site_names(items: list[dict[str, Any]], ld: dict[str, Any]) -> list[str]:
    """Names JSON-LD gives the site: the article's publisher (named, or an ``@id`` reference to
    a node), then the names of ``WebSite`` and ``NewsMediaOrganization`` nodes."""
    nodes = {i["@id"]: i for i in items if isinstance(i.get("@id"), str)}
    publisher = ld.get("publisher")
    names: list[Any] = []
    for node in publisher if isinstance(publisher, list) else [publisher]:
        if isinstance(node, dict):
            names.append(node.get("name") or nodes.get(str(node.get("@id")), {}).get("name"))
    names += [i.get("name") for i in items if _types(i) & {"website", "newsmediaorganization"}]
    return [n for n in (_readable(x) if isinstance(x, str) else None for x in names) if n]


def page_outlet(
    tree: Any, meta: dict[str, str], items: list[dict[str, Any]], ld: dict[str, Any], url: str | None
) -> str | None:
    """The site's name (see the module docstring): the first of the declared names (``og:site_name``,
    ``application-name``, JSON-LD) and the short ``<title>`` segments that name the host and
    reads as a name; else a declared one that reads as a name; else one written as a host
    ("taz.de"); else a readable name made from the host (``sites.site_name_from_host``)."""
    label = host_label(url)
    declared = list(
        dict.fromkeys(n for n in [*(_readable(meta.get(k)) for k in SITE_META), *_ld_site_names(items, ld)] if n)
    )
    titles = [t for t in (_readable(tree.findtext(".//title")), _readable(_first(meta, TITLE_META))) if t]
    segments = []
    for title in titles:
        parts = _TITLE_SEPARATORS.split(title)
        longest = max(map(len, parts))
        # A short segment beside a longer one: "heise online", not the headline "Heise kauft Golem".
        segments += [p for p in parts if len(parts) > 1 and len(p.split()) <= 3 and len(p) < longest]
    named = [n for n in [*declared, *segments] if names_site(n, label) and not is_corporate(n)]
    for tier in (
        [n for n in named if not is_host_like(n)],
        [n for n in declared if not is_host_like(n) and not is_corporate(n)],
        named,
        [n for n in declared if not is_corporate(n)],
    ):
        if tier:
            return tier[0]
    body = tree.find(".//body")
    return site_name_from_host(url, [*titles, body.text_content() if body is not None else ""])


WIRE_INITIALS = frozenset({"AP", "PA"})
"""News agencies credited by two letters (the Associated Press, the UK's PA Media): names, though
shorter than the three characters a name needs otherwise."""


def clean_names(raw: list[str], site_names: list[str] | None = None) -> list[str]:
    """Person names out of author strings: split, "By …", roles and editors' signs removed; no
    e-mails, URLs, slugs, or the site's own name (``site_names``: a publisher naming itself)."""
    sites = {_normalized(s) for s in site_names or [] if _normalized(s)}
    names: list[str] = []
    for value in raw:
        if "@" in value or "http" in value or "www." in value:
            continue  # an e-mail address or a profile URL, not a name
        for piece in _NAME_SPLIT.split(_BYLINE_PREFIX.sub("", " ".join(value.split()))):
            name = _ROLE_SUFFIX.sub("", _BYLINE_PREFIX.sub("", piece.strip(" .:-–—"))).strip(" .:-–—")
            name = _INITIALS_SUFFIX.sub("", name)
            if not name or _NOT_A_NAME.match(name) or "@" in name or "http" in name or "www." in name:
                continue
            if _SLUG.match(name) or _names_site(name, sites):
                continue
            if (
                any(ch.isdigit() for ch in name)
                or len(name.split()) > 5
                or (len(name) < 3 and name not in WIRE_INITIALS)
            ):
                continue
            names.append(name)
    return list(dict.fromkeys(names))


def _ld_names(value: Any, people: dict[str, str]) -> list[str]:
    found: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            name = item.get("name") or people.get(str(item.get("@id", "")))
            if isinstance(name, str):
                found.append(name)
            elif isinstance(name, list):
                found += [n for n in name if isinstance(n, str)]
    return found


def _byline_texts(node: Any) -> list[str]:
    """A byline's text; when that is too long for a list of names and the byline is made of
    several elements, each element's text ("Birgit Baumann" "Anna Giulia Fink" in spans of
    their own, with no separator between them)."""
    whole = _text(node)
    children = [child for child in node if isinstance(child.tag, str)]
    while len(children) == 1:  # through wrappers
        children = [child for child in children[0] if isinstance(child.tag, str)]
    parts = [t for child in children if (t := _text(child))]
    return parts if len(whole.split()) > 5 and len(parts) >= 2 else [whole]


def _labelled_author(meta: dict[str, str]) -> list[str]:
    """The author a ``twitter:labelN`` / ``twitter:dataN`` pair names ("Written by": Jane Doe), or
    the same label as a ``twitter:misc:Written by`` tag (Yoast SEO's other form of it)."""
    data_keys = [
        key.replace("twitter:label", "twitter:data", 1)
        for key, label in meta.items()
        if key.startswith("twitter:label") and _WRITTEN_BY.match(label)
    ]
    data_keys += [
        key for key in meta if key.startswith("twitter:misc:") and _WRITTEN_BY.match(key.removeprefix("twitter:misc:"))
    ]
    return [meta[key] for key in data_keys if key in meta]


def _names_site(name: str, sites: set[str]) -> bool:
    """Whether ``name`` is the site's own name, its host ("mdr.de", "STERN.de") or its initials
    ("LTO" for Legal Tribune Online)."""
    mine = _normalized(name)
    squashed = mine.replace(" ", "")
    return any(
        mine == s
        or squashed == s.replace(" ", "")
        or (s in mine and len(s) >= 3)
        or (name.isupper() and len(s.split()) >= 2 and squashed == "".join(word[0] for word in s.split()))
        for s in sites
    )


def page_authors(
    tree: Any, meta: dict[str, str], ld: dict[str, Any], items: list[dict[str, Any]], site_names: list[str]
) -> list[str]:
    """The first source, in order, that names a person: JSON-LD, ``<meta>``, ``rel=author``,
    ``itemprop=author``, links to author pages, author-name and byline elements. A source that
    names only the site itself (a publisher crediting itself) is passed over for a later one
    naming a person, and is the answer only when none does."""
    people = {str(i.get("@id")): i["name"] for i in items if "person" in _types(i) and isinstance(i.get("name"), str)}
    # Each source is read only if the ones before it named no one: the later ones scan the page.
    sources: list[Callable[[], list[str]]] = [
        lambda: _ld_names(ld.get("author"), people),
        lambda: [v for k in AUTHOR_META if (v := meta.get(k)) and not v.startswith("http")] + _labelled_author(meta),
        lambda: [_text(a) for a in tree.xpath("//a[@rel='author']")][:5],
        lambda: [_text(n) for n in tree.xpath("//*[@itemprop='author' and not(self::meta)]")][:5],
        lambda: [t for a in tree.xpath(AUTHOR_LINKS)[:5] if len((t := _text(a)).split()) <= 5],
        lambda: [
            t
            for n in tree.xpath("//*[contains(@class, 'uthor')]")
            if _AUTHOR_CLASS.search(n.get("class") or "") and len((t := _text(n)).split()) <= 12
        ][:5],
        lambda: [t for n in tree.xpath("(//*[contains(@class, 'byline')])[1]") for t in _byline_texts(n)],
    ]
    self_credit: list[str] = []
    for source in sources:
        raw = source()
        if names := clean_names(raw, site_names):
            return names
        self_credit = self_credit or clean_names(raw)
    return self_credit


def _itemprop_date(tree: Any, prop: str) -> str | None:
    nodes = tree.xpath(f"(//*[@itemprop='{prop}' and not(self::meta)])[1]")
    return (nodes[0].get("datetime") or nodes[0].get("content") or _text(nodes[0])) if nodes else None


def url_date(url: str | None) -> datetime | None:
    """A date in the URL's path (``/2024/03/05/``, ``/20240305``): noon UTC of that day."""
    match = _URL_DATE.search(urlsplit(url).path) if url else None
    if match is None:
        return None
    try:
        return _noon(date(int(match["y"]), int(match["m"]), int(match["d"])))
    except ValueError:
        return None


def searched_date(tree: Any, url: str | None) -> datetime | None:
    """htmldate's quick search of the page (``extensive_search`` off), original date first."""
    from htmldate import find_date

    try:
        found = find_date(tree, extensive_search=False, original_date=True, url=url)
    except Exception:  # noqa: BLE001 - a page htmldate cannot read simply has no date from it
        return None
    return _noon(date.fromisoformat(found)) if found else None


def ld_types(tree: Any) -> frozenset[str]:
    """Every JSON-LD ``@type`` on the page, lower-cased (the article check reads them)."""
    return frozenset(t for item in _ld_items(tree) for t in _types(item))


def declared_published(tree: Any, meta: dict[str, str], ld: dict[str, Any] | None = None) -> datetime | None:
    """The publication time the markup itself declares (JSON-LD, ``<meta>``, ``itemprop``,
    ``<time>``), without the URL's date or a search of the text."""
    ld = _article_ld(_ld_items(tree)) if ld is None else ld
    time_node = tree.xpath("(//time[@datetime])[1]/@datetime")
    return (
        parse_date(str(ld.get("datePublished") or ""))
        or parse_date(_first(meta, PUBLISHED_META))
        or parse_date(_itemprop_date(tree, "datePublished"))
        or parse_date(str(time_node[0]) if time_node else None)
    )


def page_metadata(tree: Any, url: str | None = None, meta: dict[str, str] | None = None) -> PageMetadata:
    """Everything the markup says (see the module docstring); read before trafilatura prunes the tree."""
    meta = meta_tags(tree) if meta is None else meta
    items = _ld_items(tree)
    ld = _article_ld(items)
    declared = tree.xpath('//link[translate(@rel, "CANOICL", "canoicl")="canonical"]/@href')
    canonical_url = page_canonical_url(str(declared[0]) if declared else meta.get("og:url"), url)
    page_url = url or canonical_url  # a page read from a file still says where it lives
    published = declared_published(tree, meta, ld) or url_date(page_url)
    updated = (
        parse_date(str(ld.get("dateModified") or ""))
        or parse_date(_first(meta, UPDATED_META))
        or parse_date(_itemprop_date(tree, "dateModified"))
    )
    return PageMetadata(
        title=page_title(tree, meta, ld, page_url),
        authors=page_authors(tree, meta, ld, items, _site_names(meta, ld, page_url)),
        published=published or searched_date(tree, page_url),
        updated=updated,
        outlet=page_outlet(tree, meta, items, ld, page_url),
        canonical_url=canonical_url,
    )
