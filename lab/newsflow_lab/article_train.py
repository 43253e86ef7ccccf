"""Train the article check (``newsflow_strip.article``): ``python -m newsflow_lab.article_train``.

Positives: every HTML page of the two development sets (article-benchmark-dev, fundus-publishers),
as published and once more without what its markup declares about the article
(``layouts.without_declarations``: no JSON-LD, ``og:``/``article:`` meta, dates or ``<article>``),
as an older site or a plain blog serves it.
Negatives: ``newsflow_lab.nonarticles`` (each site's section page, and generated pages).
Cross-validated grouped by publisher (a generated page is its own group), so no fold tests a
site it trained on; the figures printed are out-of-fold. Rewrites ``models/article.json``.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from newsflow_lab.corpus import benchmark_pages, fundus_pages, page_language
from newsflow_lab.layouts import without_declarations
from newsflow_lab.metric import score_document
from newsflow_lab.nonarticles import generated_pages, section_page
from newsflow_strip.article import FEATURE_NAMES, MODEL_FILE, ArticleModel, features
from newsflow_strip.html import strip_html

SEED = 20261203
FOLDS = 5
THRESHOLD = 0.05
"""P(article) below which a page is dropped: a wrong drop loses an article, a wrong keep only
indexes a page nobody searches for, so the bar for dropping is high."""
C = 0.5


@dataclass(frozen=True)
class Example:
    row: list[float]
    label: int
    group: str
    kind: str
    page_id: str = ""


def _row(html: str, url: str | None) -> tuple[list[float], str] | None:
    stripped = strip_html(html, url, page_language(html))
    if stripped.signals is None:
        return None
    return features(stripped.signals, stripped.body), stripped.body


def examples() -> list[Example]:
    out: list[Example] = []
    sentences: list[str] = []
    pages = [*benchmark_pages(), *fundus_pages()]
    if not pages:
        sys.exit("no development sets found under ../shared/eval (or NEWSFLOW_DEV_SET / NEWSFLOW_TRAIN_SETS)")
    for page in pages:
        html, gold = page.html, page.gold
        sentences += [s for s in re.split(r"(?<=[.!?])\s+", gold.replace("\n", " ")) if 6 <= len(s.split()) <= 40][:5]
        made = _row(html, page.url)
        if made is not None and made[1].strip():  # an empty body is dropped before the check
            out.append(Example(made[0], 1, f"{page.set_name}:{page.publisher}", page.set_name, page.page_id))
        bare = without_declarations(html)
        if bare is not None and (made := _row(bare, page.url)) is not None and made[1].strip():
            kind = f"{page.set_name} undeclared"
            out.append(Example(made[0], 1, f"{page.set_name}:{page.publisher}", kind, page.page_id))
        section = section_page(html)
        if section is not None and (made := _row(section, page.url)) is not None and made[1].strip():
            # Taking out <p>s leaves the article in place on a site that sets it in <div>s: such a
            # page is no negative.
            if (overlap := score_document(made[1], gold)).tp < 0.3 * (overlap.tp + overlap.fn):
                out.append(Example(made[0], 0, f"{page.set_name}:{page.publisher}", "section"))
    for n, (kind, html) in enumerate(generated_pages(len(pages), sentences, SEED)):
        if (made := _row(html, None)) is not None and made[1].strip():
            out.append(Example(made[0], 0, f"generated:{n}", kind))
    return out


def fit(rows: np.ndarray, labels: np.ndarray) -> ArticleModel:
    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=C, class_weight="balanced", max_iter=2000, random_state=SEED)
    model.fit((rows - mean) / scale, labels)
    return ArticleModel(
        FEATURE_NAMES,
        tuple(float(x) for x in mean),
        tuple(float(x) for x in scale),
        tuple(float(x) for x in model.coef_[0]),
        float(model.intercept_[0]),
        THRESHOLD,
    )


def cross_validated(data: list[Example]) -> np.ndarray:
    """Out-of-fold P(article) of every example, folds grouped by publisher."""
    rows = np.array([e.row for e in data])
    labels = np.array([e.label for e in data])
    groups = np.array([e.group for e in data])
    predicted = np.zeros(len(data))
    for train, test in GroupKFold(n_splits=FOLDS).split(rows, labels, groups):
        model = fit(rows[train], labels[train])
        predicted[test] = [model.probability(list(r)) for r in rows[test]]
    return predicted


def kept_shares(data: list[Example], predicted: np.ndarray) -> dict[str, tuple[float, int]]:
    """Per kind of page, the share the check keeps (P(article) at or above the threshold) and
    the number of pages; ``"non-articles"`` pools every kind of made non-article."""
    kept: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for example, p in zip(data, predicted, strict=True):
        for kind in (example.kind, "non-articles") if example.label == 0 else (example.kind,):
            total[kind] += 1
            kept[kind] += int(p >= THRESHOLD)
    return {kind: (kept[kind] / total[kind], total[kind]) for kind in sorted(total)}


def report(data: list[Example], predicted: np.ndarray) -> None:
    for example, p in zip(data, predicted, strict=True):
        if example.label == 1 and p < THRESHOLD:
            print(f"  dropped article: {example.group} {example.page_id[:12]} p={p:.3f}")
    print(f"article check, {FOLDS}-fold cross-validated by publisher, threshold {THRESHOLD}:")
    for kind, (share, pages) in kept_shares(data, predicted).items():
        verb = "kept as articles" if kind.startswith(("benchmark", "fundus")) else "wrongly kept"
        print(f"  {kind:<20} {pages:>4} pages: {share:6.1%} {verb}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, help="model file (default: the strip package's)")
    args = parser.parse_args(argv)
    data = examples()
    report(data, cross_validated(data))
    model = fit(np.array([e.row for e in data]), np.array([e.label for e in data]))
    target = args.output or Path(str(resources.files("newsflow_strip").joinpath("models", MODEL_FILE)))
    target.write_text(model.to_json() + "\n")
    print("weights: " + ", ".join(f"{n} {c:+.2f}" for n, c in zip(FEATURE_NAMES, model.coef, strict=True)))
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
