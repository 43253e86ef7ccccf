"""Per development set, newsflow beside its peers on the same pages in the same run.

Bodies (HTML and flattened text) with the benchmark's metric; where a set has metadata gold
(fundus-publishers) also title (normalized exact), authors (exact set), published day and outlet
(``names_publisher``). Peers:
trafilatura 2.3.1 (default and ``favor_precision``), readability-lxml 0.9, newspaper4k 0.9.6 (bodies
and metadata), and for flattened text the "≥ 8 words ending in sentence punctuation" rule.

Which figures predict unseen pages: both body classifiers were trained on these very pages, so
the shipped models' figures here are in-sample. The figures to compare with the peers are the
cross-validated ones (``cross_validated``: folds grouped by publisher, from ``html_train`` and
``train``), which ``make eval`` adds to each set. The metadata rules are not fit to any page (no
parameter is learnt), so their figures need no folds; they were written with the fundus set on
disk, and held-out sets decide.
"""

from __future__ import annotations

import html as html_lib
import logging
import re
import time
import unicodedata
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import trafilatura

from newsflow_clean.language import detect_language
from newsflow_lab.corpus import HtmlPage, page_language
from newsflow_lab.layouts import rewritten
from newsflow_lab.metric import CorpusScore, score_corpus, score_document
from newsflow_strip.html import strip_html
from newsflow_strip.text_lines import strip_text

Extractor = Callable[[str, str, str | None], str]
"""(html, url, the page's language as the clean stage detects it) → body text."""


def _trafilatura(precision: bool) -> Extractor:
    def extract(html: str, url: str, _language: str | None) -> str:
        return trafilatura.extract(html, url=url or None, favor_precision=precision) or ""

    return extract


def _readability(html: str, _url: str, _language: str | None) -> str:
    import lxml.html
    from readability import Document

    # A page it cannot read is scored empty (body_figures); its own traceback on stderr is noise.
    logging.getLogger("readability.readability").setLevel(logging.CRITICAL)

    summary = Document(html).summary(html_partial=True)
    return "\n\n".join(
        " ".join(p.text_content().split()) for p in lxml.html.fromstring(summary).iter("p", "li", "h2", "h3")
    )


@dataclass(frozen=True)
class NewspaperFields:
    """What newspaper4k reads from one page: the fields scored here."""

    text: str = ""
    title: str | None = None
    authors: tuple[str, ...] = ()
    published: datetime | None = None
    outlet: str | None = None


@lru_cache(maxsize=1024)
def newspaper_fields(html: str, url: str) -> NewspaperFields:
    """newspaper4k's ``Article`` parsed from ``html`` (no download): body, title, authors and
    publish date. Cached per page, so metadata scoring reuses the parse the body timing paid for."""
    import tldextract.tldextract

    # newspaper4k warns that nltk (only its summaries need it) is absent, and dateutil warns about
    # time zone names it cannot place: noise in the report, not errors.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from newspaper import Article

        # newspaper4k asks tldextract for domains, which would fetch the public suffix list over
        # the network on first use: the snapshot tldextract ships is used instead.
        if tldextract.tldextract.TLD_EXTRACTOR.suffix_list_urls:
            tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())
        article = Article(url or "http://localhost/", fetch_images=False)
        article.download(input_html=html)
        article.parse()
    site = article.meta_site_name
    return NewspaperFields(
        article.text or "",
        article.title or None,
        tuple(article.authors),
        article.publish_date,
        site if isinstance(site, str) and site.strip() else None,
    )


def _newspaper(html: str, url: str, _language: str | None) -> str:
    return newspaper_fields(html, url).text


SHIPPED = "newsflow (shipped model, in-sample)"
CROSS_VALIDATED = "newsflow (cross-validated by publisher)"


def html_extractors() -> dict[str, Extractor]:
    """newsflow's strip, then the peers."""
    return {
        SHIPPED: lambda html, url, language: strip_html(html, url or None, language).body,
        "trafilatura": _trafilatura(False),
        "trafilatura precision": _trafilatura(True),
        "readability-lxml": _readability,
        "newspaper4k": _newspaper,
    }


def _trafilatura_on_text(text: str) -> str:
    """trafilatura over a flattened page: each line a paragraph of an otherwise empty HTML page."""
    paragraphs = "".join(f"<p>{html_lib.escape(line)}</p>" for line in text.split("\n") if line.strip())
    return trafilatura.extract(f"<html><body>{paragraphs}</body></html>", favor_precision=True) or ""


def rule_of_eight(text: str) -> str:
    """The flattened-text baseline: lines of ≥ 8 words ending in sentence punctuation."""
    return "\n\n".join(
        line for line in (x.strip() for x in text.split("\n")) if len(line.split()) >= 8 and line[-1:] in '.!?"”’'
    )


@dataclass
class SetFigures:
    """One development set's figures, each extractor's beside newsflow's."""

    name: str
    pages: int
    html: dict[str, CorpusScore] = field(default_factory=dict)
    docs_per_s: dict[str, float] = field(default_factory=dict)
    text: dict[str, CorpusScore] = field(default_factory=dict)
    metadata: dict[str, dict[str, float]] = field(default_factory=dict)
    """Field (title, authors, published day, outlet) → extractor → share of pages right (of those with gold)."""
    metadata_pages: dict[str, int] = field(default_factory=dict)
    layouts: dict[str, CorpusScore] = field(default_factory=dict)
    """HTML bodies of the set's pages rewritten into older or plainer markup (``layouts``)."""
    layout_pages: int = 0


def body_figures(name: str, pages: Sequence[HtmlPage]) -> SetFigures:
    """HTML and flattened-text bodies of ``pages`` by every extractor; CPU time per extractor
    measured in alternating order page by page, so that none gets the warm caches every time.
    The page's language (the clean stage's work, not strip's) is detected outside the timing."""
    figures = SetFigures(name, len(pages))
    extractors = html_extractors()
    outputs: dict[str, list[str]] = {n: [] for n in extractors}
    cpu = dict.fromkeys(extractors, 0.0)
    golds = [p.gold for p in pages]
    for i, page in enumerate(pages):
        html = page.html
        language = page_language(html)
        order = list(extractors) if i % 2 == 0 else list(reversed(extractors))
        for extractor in order:
            started = time.process_time()
            try:
                outputs[extractor].append(extractors[extractor](html, page.url, language))
            except Exception:  # noqa: BLE001 - a peer failing on a page scores it empty
                outputs[extractor].append("")
            cpu[extractor] += time.process_time() - started
    for extractor, bodies in outputs.items():
        figures.html[extractor] = score_corpus(score_document(b, g) for b, g in zip(bodies, golds, strict=True))
        figures.docs_per_s[extractor] = len(pages) / max(cpu[extractor], 1e-9)
    texts = [page.text_path.read_text(encoding="utf-8") for page in pages if page.text_path.exists()]
    if len(texts) == len(pages):
        text_extractors: dict[str, Callable[[str], str]] = {
            SHIPPED: lambda t: strip_text(t, detect_language(t)).body,
            "trafilatura": _trafilatura_on_text,
            "rule of eight": rule_of_eight,
        }
        for extractor, run in text_extractors.items():
            figures.text[extractor] = score_corpus(score_document(run(t), g) for t, g in zip(texts, golds, strict=True))
    return figures


_PUNCT_EDGES = re.compile(r"^[\W_]+|[\W_]+$")


def normalized_title(title: str | None) -> str:
    text = unicodedata.normalize("NFKC", title or "").casefold()
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return _PUNCT_EDGES.sub("", " ".join(text.split()))


def normalized_authors(names: Sequence[str]) -> frozenset[str]:
    return frozenset(" ".join(unicodedata.normalize("NFKC", n).casefold().split()) for n in names if n.strip())


def same_day(predicted: str | datetime | None, gold: str | None) -> bool:
    """Whether ``predicted`` falls on the gold's calendar day, in the gold's own time zone."""
    if not predicted or not gold:
        return False
    when = predicted if isinstance(predicted, datetime) else datetime.fromisoformat(predicted)
    wanted = datetime.fromisoformat(gold)
    if when.tzinfo is not None and wanted.tzinfo is not None:
        when = when.astimezone(wanted.tzinfo)
    return when.date() == wanted.date()


_LEADING_ARTICLES = frozenset({"the", "die", "der", "das", "la", "le", "les", "el", "il", "het", "de"})
_DOMAIN_ENDING = re.compile(r"\.(?:com?|net|org|[a-z]{2})(?:\.[a-z]{2})?\b")


def _outlet_forms(name: str) -> set[str]:
    """A name's letters and digits, without case, accents, a domain ending ("stern.de") or a
    leading article ("Die Presse"); a parenthesised part counts as a form of its own ("WAZ")."""
    forms = set()
    whole = re.match(r"(.*?)\s*\((.*)\)\s*$", name)
    for part in [name, *(whole.groups() if whole else ())]:
        text = "".join(ch for ch in unicodedata.normalize("NFKD", part.casefold()) if not unicodedata.combining(ch))
        words = re.findall(r"\w+", _DOMAIN_ENDING.sub(" ", text))
        if len(words) > 1 and words[0] in _LEADING_ARTICLES:
            words = words[1:]
        forms.add("".join(words))
    return {f for f in forms if f}


def names_publisher(predicted: str | None, publisher: str) -> bool:
    """Whether an outlet names the gold publisher: the same letters once case, accents, a domain
    ending and a leading article are dropped, or one containing the other where the shorter has
    four letters or more ("Spiegel" for "Spiegel Online", "Euronews" for "Euronews (EN)").
    Lenient on purpose: the gold is fundus's own label for each publisher ("Zwanzig Minuten"
    for a site that calls itself "20 Minuten"), not what any page declares."""
    if not predicted:
        return False
    for got in _outlet_forms(predicted):
        for wanted in _outlet_forms(publisher):
            short, long = sorted((got, wanted), key=len)
            if got == wanted or (len(short) >= 4 and short in long):
                return True
    return False


def metadata_figures(
    figures: SetFigures, pages: Sequence[HtmlPage], ours: dict[str, dict[str, Any]], meta: dict[str, dict[str, Any]]
) -> None:
    """Title, authors, published day and outlet: newsflow's records (``ours``, by page id),
    trafilatura's and newspaper4k's metadata, against the gold ``meta`` of each page."""
    peers: dict[str, dict[str, Any]] = {}
    newspaper: dict[str, dict[str, Any]] = {}
    for page in pages:
        doc = trafilatura.bare_extraction(page.html, url=page.url or None, with_metadata=True)
        peers[page.page_id] = {
            "title": getattr(doc, "title", None),
            "authors": [a.strip() for a in (getattr(doc, "author", None) or "").split(";") if a.strip()],
            "published": getattr(doc, "date", None),
            "outlet": getattr(doc, "sitename", None),
        }
        try:
            fields = newspaper_fields(page.html, page.url)
        except Exception:  # noqa: BLE001 - a page it cannot read scores as no answer
            fields = NewspaperFields()
        newspaper[page.page_id] = {
            "title": fields.title,
            "authors": list(fields.authors),
            "published": fields.published,
            "outlet": fields.outlet,
        }
    checks: dict[str, Callable[[dict[str, Any], dict[str, Any]], bool | None]] = {
        "title": lambda got, gold: (
            normalized_title(got.get("title")) == normalized_title(gold["title"]) if gold.get("title") else None
        ),
        "authors": lambda got, gold: (
            normalized_authors(got.get("authors") or []) == normalized_authors(gold["authors"])
            if gold.get("authors")
            else None
        ),
        "published day": lambda got, gold: (
            same_day(got.get("published"), gold["published"]) if gold.get("published") else None
        ),
        "outlet": lambda got, gold: (
            names_publisher(got.get("outlet"), gold["publisher"]) if gold.get("publisher") else None
        ),
    }
    for field_name, check in checks.items():
        for extractor, records in (("newsflow", ours), ("trafilatura", peers), ("newspaper4k", newspaper)):
            verdicts = [check(records.get(p.page_id, {}), meta[p.page_id]) for p in pages]
            scored = [v for v in verdicts if v is not None]
            figures.metadata.setdefault(field_name, {})[extractor] = sum(scored) / len(scored) if scored else 0.0
            figures.metadata_pages[field_name] = len(scored)


LAYOUT_PEERS = ("trafilatura", "trafilatura precision", "readability-lxml")


def layout_figures(figures: SetFigures, variants: Sequence[tuple[HtmlPage, str]], cross_validated: CorpusScore) -> None:
    """HTML bodies of layout variants (a page and the name of its rewrite, ``layouts.REWRITES``):
    newsflow's, cross-validated by publisher, and the peers' on the same rewritten pages."""
    outputs: dict[str, list[str]] = {name: [] for name in LAYOUT_PEERS}
    peers = html_extractors()
    for page, layout in variants:
        html = rewritten(page.html, layout) or ""
        language = page_language(html)
        for name in LAYOUT_PEERS:
            try:
                outputs[name].append(peers[name](html, page.url, language))
            except Exception:  # noqa: BLE001 - a peer failing on a page scores it empty
                outputs[name].append("")
    figures.layouts = {CROSS_VALIDATED: cross_validated}
    figures.layout_pages = len(variants)
    golds = [page.gold for page, _ in variants]
    for name, bodies in outputs.items():
        figures.layouts[name] = score_corpus(score_document(b, g) for b, g in zip(bodies, golds, strict=True))


def with_cross_validated(figures: SetFigures, html: CorpusScore | None, text: CorpusScore | None) -> None:
    """Put newsflow's cross-validated body figures first (the ones to compare with the peers)."""
    if html is not None:
        figures.html = {CROSS_VALIDATED: html, **figures.html}
    if text is not None:
        figures.text = {CROSS_VALIDATED: text, **figures.text}


def render(figures: SetFigures) -> list[str]:
    lines = [f"{figures.name} ({figures.pages} pages): bodies, the benchmark's metric"]
    for extractor, score in figures.html.items():
        rate = figures.docs_per_s.get(extractor)
        lines.append(
            f"  HTML  {extractor:<40} P {score.precision:.3f}  R {score.recall:.3f}  F1 {score.f1:.3f}"
            + (f"   {rate:6.1f} docs/s per core" if rate is not None else "")
        )
    if figures.layouts:
        lines.append(
            f"  HTML of the same pages rewritten as older or plainer sites ({figures.layout_pages}, layouts.py)"
        )
    for extractor, score in figures.layouts.items():
        lines.append(f"  HTML  {extractor:<40} P {score.precision:.3f}  R {score.recall:.3f}  F1 {score.f1:.3f}")
    for extractor, score in figures.text.items():
        lines.append(f"  text  {extractor:<40} P {score.precision:.3f}  R {score.recall:.3f}  F1 {score.f1:.3f}")
    if figures.metadata:
        lines.append("  metadata (rules: nothing is fit to these pages, so no folds are needed)")
    for field_name, by_extractor in figures.metadata.items():
        cells = "   ".join(f"{e} {v:.3f}" for e, v in by_extractor.items())
        lines.append(f"  {field_name:<16} ({figures.metadata_pages[field_name]} pages)  {cells}")
    if figures.metadata:
        lines.append("  modified date    no gold in either set: not measured")
    return lines
