"""Layout variants of a development page: the same article in the markup of another kind of site.

The HTML block classifier learns from pages of the last few years, whose markup says a lot: a
paragraph is a ``<p>``, the article sits in an ``<article>`` or a ``class="article-body"``.
Pages of older or plainer sites say less: paragraphs are text between ``<br><br>`` inside a
table cell or a ``<div>``, and no class name means anything. A model that leans on those cues
fails there, and no development page shows it. So ``make train`` also trains on each page
rewritten one of these ways (its gold body is the same text), chosen by the page's id:

- ``breaks``: every ``<p>`` unwrapped into its parent, its text ended by two ``<br>``;
- ``plain``: no ``class``, ``id``, ``role`` or ``itemprop`` attribute, and the sectioning
  elements (``article``, ``main``, ``nav``, ``header`` …) turned into ``<div>``;
- ``breaks+plain``: both.

Cross-validated by publisher, the pages as published scored as without variants (benchmark
0.976 against 0.975, fundus 0.962 against 0.963) and the same pages rewritten so 0.962 and 0.949,
where the classifier trained without variants scored 0.948 and 0.933 (docs/decisions.md #7b). A variant's
publisher is its page's, so it is never in a fold that tests its page.

``without_declarations`` makes one more kind of older page, for the article check
(``article_train``): the same article with nothing in its markup declaring it one.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import lxml.etree
import lxml.html

from newsflow_strip.markup import PUBLISHED_META

SECTIONING = ("article", "main", "section", "header", "footer", "nav", "aside", "figure", "figcaption")
MEANINGFUL_ATTRIBUTES = ("class", "id", "role", "itemprop")


def _paragraphs_as_breaks(root: lxml.html.HtmlElement) -> None:
    for paragraph in list(root.iter("p")):
        paragraph.append(lxml.etree.Element("br"))
        paragraph.append(lxml.etree.Element("br"))
        paragraph.drop_tag()


def _without_semantic_markup(root: lxml.html.HtmlElement) -> None:
    for element in root.iter(lxml.etree.Element):
        for attribute in MEANINGFUL_ATTRIBUTES:
            element.attrib.pop(attribute, None)
        if element.tag in SECTIONING:
            element.tag = "div"


def _both(root: lxml.html.HtmlElement) -> None:
    _paragraphs_as_breaks(root)
    _without_semantic_markup(root)


REWRITES: dict[str, Callable[[lxml.html.HtmlElement], None]] = {
    "breaks": _paragraphs_as_breaks,
    "plain": _without_semantic_markup,
    "breaks+plain": _both,
}


def _without_declarations(root: lxml.html.HtmlElement) -> None:
    for script in root.xpath('//script[@type="application/ld+json"]'):
        script.drop_tree()
    for meta in root.xpath("//meta[@property or @name or @itemprop]"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        if key.startswith(("og:", "article:")) or key in PUBLISHED_META:
            meta.drop_tree()
    for element in root.xpath("//*[@itemprop]"):
        del element.attrib["itemprop"]
    for time in list(root.iter("time")):
        time.drop_tag()
    for article in root.iter("article"):
        article.tag = "div"


def without_declarations(html: str) -> str | None:
    """``html`` with nothing its markup declares about the article: no JSON-LD, no ``og:`` or
    ``article:`` meta, no publication-date meta, no ``itemprop``, ``<time>`` elements unwrapped
    (their text kept) and ``<article>`` turned into ``<div>``, as on an older site or a plain blog
    that says only what it shows. The article check trains on these too (``article_train``);
    None if lxml cannot read the page."""
    return rewrite(html, _without_declarations)


def variant_name(page_id: str) -> str:
    """The rewrite a page gets: one of ``REWRITES``, fixed by its id (the same on every run)."""
    names = list(REWRITES)
    return names[zlib.crc32(page_id.encode()) % len(names)]


def rewrite(html: str, change: Callable[[lxml.html.HtmlElement], None]) -> str | None:
    """``html`` parsed, changed in place by ``change`` and serialized again; None if lxml cannot
    read it."""
    try:
        root = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return None
    change(root)
    return str(lxml.html.tostring(root, encoding="unicode"))


def rewritten(html: str, name: str) -> str | None:
    """``html`` rewritten by ``REWRITES[name]``; None if lxml cannot read it."""
    return rewrite(html, REWRITES[name])
