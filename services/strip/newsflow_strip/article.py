"""Is this HTML page an article? Crawls are full of shops, job boards, lottery results and spam.

A small logistic model over what a page says about itself and what its text looks like:

- the markup: a JSON-LD article type (``NewsArticle``, ``BlogPosting`` …) or a non-article one
  (``Product``, ``JobPosting`` …), ``og:type``, an ``<article>`` element, a publication date;
- the page: the share of its visible text inside links, prices, forms;
- the extracted body: its length, its paragraphs and how many end like sentences, how many of
  its words are in such prose paragraphs, and how much of the page's text it is;
- the page's content features once more where the markup declares nothing (``undeclared``), so that
  an older site's or a plain blog's article is judged by its text.

Trained by ``make train`` (``newsflow_lab.article_train``) on the two development sets' article
pages, as published and stripped of their declarations, against non-article pages made for it,
and shipped as ``models/article.json``. The decision
leans towards keeping: a page is dropped (``not_an_article``) only when the model is fairly sure.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from newsflow_shared.textcues import SENTENCE_END

ARTICLE_TYPES = frozenset(
    {
        "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
        "backgroundnewsarticle", "reviewnewsarticle", "blogposting", "liveblogposting", "report",
        "socialmediaposting", "techarticle", "scholarlyarticle", "satiricalarticle", "askpublicnewsarticle",
    }
)  # fmt: skip
NON_ARTICLE_TYPES = frozenset(
    {
        "product", "productgroup", "offer", "aggregateoffer", "jobposting", "event", "store", "onlinestore",
        "searchresultspage", "collectionpage", "itemlist", "realestatelisting", "vehicle", "car",
        "lodgingbusiness", "hotel", "restaurant", "localbusiness", "softwareapplication", "game",
    }
)  # fmt: skip
DECLARATION_FEATURES = ("ld_article", "ld_non_article", "og_article", "og_product", "article_element", "dated")
CONTENT_FEATURES = (
    "link_density",
    "prices",
    "body_words",
    "paragraphs",
    "sentence_paragraphs",
    "words_per_paragraph",
    "body_share",
    "prose_words",
)
FEATURE_NAMES = (
    *DECLARATION_FEATURES,
    *CONTENT_FEATURES,
    "undeclared",
    *(f"undeclared_{name}" for name in CONTENT_FEATURES),
)
"""``undeclared``: the markup declares nothing that makes a page an article (no article JSON-LD,
``og:type``, ``<article>`` or publication date), as on older sites and plain blogs; the content
features once more for such pages, so that the text weighs on its own there. Trained without
them and without such pages, the check dropped 38% and 17% of the development articles stripped
of their declarations, out of fold (docs/decisions.md #24). ``prose_words``: the words in
paragraphs of eight or more that end like sentences (log)."""

_PRICE = re.compile(r"(?:[$€£¥₹]\s?\d[\d.,]*|\d[\d.,]*\s?(?:€|EUR|USD|zł|Kč|руб|円))")
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")
"""Kana, CJK ideographs, Hangul syllables and Thai: scripts that do not space their words."""
_SKIPPED = frozenset({"script", "style", "noscript", "template", "svg"})


@dataclass(frozen=True)
class PageSignals:
    """What the unpruned page says about itself (read before trafilatura prunes the tree)."""

    ld_types: frozenset[str]
    og_type: str | None
    article_element: bool
    dated: bool
    visible_chars: int
    link_chars: int
    prices: int


def page_signals(tree: Any, meta: dict[str, str], dated: bool, types: frozenset[str]) -> PageSignals:
    """The page-level signals of a parsed page (``meta``: its ``<meta>`` tags, lower-cased keys;
    ``dated``: the markup declares a publication time; ``types``: its JSON-LD types)."""
    visible = 0
    text_parts: list[str] = []
    body = tree.find(".//body")
    root = body if body is not None else tree
    for node in root.iter():
        if isinstance(node.tag, str) and node.tag in _SKIPPED:
            continue
        for text in (node.text, node.tail):
            if text and text.strip():
                visible += len(text.strip())
                text_parts.append(text)
    links = sum(len("".join(a.itertext()).strip()) for a in root.iter("a"))
    sample = " ".join(text_parts)[:200_000]
    return PageSignals(
        ld_types=types,
        og_type=(meta.get("og:type") or "").lower() or None,
        article_element=bool(tree.xpath("//article")),
        dated=dated,
        visible_chars=visible,
        link_chars=links,
        prices=len(_PRICE.findall(sample)),
    )


def word_count(text: str) -> int:
    """Words, counting two characters of an unspaced script (Chinese, Japanese …) as one."""
    unspaced = len(_UNSPACED.findall(text))
    return len(_UNSPACED.sub("", text).split()) + unspaced // 2


def features(signals: PageSignals, body: str) -> list[float]:
    """The model's feature row (``FEATURE_NAMES``) for a page and its extracted body."""
    paragraphs = [p for p in body.split("\n\n") if p.strip()]
    words = word_count(body)
    prose = [count for p in paragraphs if (count := word_count(p)) >= 8 and SENTENCE_END.search(p)]
    sentences = len(prose)
    ld_article = bool(signals.ld_types & ARTICLE_TYPES)
    og_article = signals.og_type == "article"
    declared = [
        float(ld_article),
        float(bool(signals.ld_types & NON_ARTICLE_TYPES) and not ld_article),
        float(og_article),
        float(signals.og_type in ("product", "og:product", "product.item")),
        float(signals.article_element),
        float(signals.dated),
    ]
    content = [
        signals.link_chars / max(signals.visible_chars, 1),
        math.log1p(signals.prices),
        math.log1p(words),
        math.log1p(len(paragraphs)),
        sentences / max(len(paragraphs), 1),
        math.log1p(words / max(len(paragraphs), 1)),
        min(len(body) / max(signals.visible_chars, 1), 1.0),
        math.log1p(sum(prose)),
    ]
    undeclared = not (ld_article or og_article or signals.article_element or signals.dated)
    return [*declared, *content, float(undeclared), *(value if undeclared else 0.0 for value in content)]


@dataclass(frozen=True)
class ArticleModel:
    """Standardized logistic regression: P(article) from a feature row."""

    feature_names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float
    """Below this probability a page is not an article."""

    def probability(self, row: list[float]) -> float:
        z = self.intercept + sum(
            c * (x - m) / s for c, x, m, s in zip(self.coef, row, self.mean, self.scale, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))

    def to_json(self) -> str:
        return json.dumps(
            {
                "feature_names": list(self.feature_names),
                "mean": list(self.mean),
                "scale": list(self.scale),
                "coef": list(self.coef),
                "intercept": self.intercept,
                "threshold": self.threshold,
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> ArticleModel:
        data = json.loads(text)
        if tuple(data["feature_names"]) != FEATURE_NAMES:
            raise ValueError(f"article model was trained on other features: {data['feature_names']}")
        return cls(
            tuple(data["feature_names"]),
            tuple(data["mean"]),
            tuple(data["scale"]),
            tuple(data["coef"]),
            float(data["intercept"]),
            float(data["threshold"]),
        )


MODEL_FILE = "article.json"


def load_article_model() -> ArticleModel:
    """The shipped model (``make train`` rewrites it)."""
    return ArticleModel.from_json(resources.files("newsflow_strip").joinpath("models", MODEL_FILE).read_text())
