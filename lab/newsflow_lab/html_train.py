"""Train the HTML block classifiers (``newsflow_strip.html``): ``make train`` (needs the ``train`` extra).

Two models, as the product uses them: the markup model (the blocks' own features), whose
decision stands on pages it is sure of (``sure_markup_keep``), and the voting model (the same
features and trafilatura's vote) for the other pages. Both are trained on every page.

Data: every page of both development sets (article-benchmark-dev, fundus-publishers), read by
the product's own ``analyse_page`` and ``with_vote`` (blocks, features, trafilatura's vote), each block labelled
against the gold body (``corpus.label_against_gold``: most of its 4-shingles are gold). Every
page weighs the same and a block within it by its length (plus a floor), as the benchmark
metric counts shingles per page. Each page is also trained on once more, rewritten into the
markup of an older or plainer site (``layouts``), so the model does not lean on cues such pages
lack.

Cross-validation is grouped by publisher (no publisher's page in both a training and a test
fold: a model must not learn the site instead of the skill; a rewritten page is its publisher's
too), over both sets together, and its figures are reported per set, on the pages as published
and on their rewrites, of the product's decision (the markup model where it is sure, else the
voting model). They are the estimate of quality on unseen publishers; the shipped models' own
score on these pages is in-sample. Reproducible: deterministic folds and
fits (``boosting.PARAMS``).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from newsflow_lab.boosting import PARAMS, fit_boosted_trees, publisher_folds, report, set_shares, ship
from newsflow_lab.corpus import HtmlPage, benchmark_pages, fundus_pages, label_against_gold, page_language
from newsflow_lab.layouts import rewritten, variant_name
from newsflow_lab.metric import CorpusScore, score_corpus, score_document
from newsflow_strip.html import (
    FEATURES,
    HTML_MODEL,
    MARKUP_FEATURES,
    MARKUP_MODEL,
    PageAnalysis,
    analyse_page,
    body_from,
    sure_markup_keep,
    with_vote,
)
from newsflow_strip.model import BoostedTrees, decode_runs

DECODING_GRID = [(0.0, b) for b in (-0.5, -0.25, 0.0, 0.25, 0.5)] + [(c, 0.0) for c in (0.5, 1.0, 2.0)]
"""(switch cost, body bias) of the run decoding tried on out-of-fold probabilities. A switch
cost of 0 decides each block alone (threshold 0.5, shifted by the bias)."""


@dataclass
class TrainingPage:
    """One page's analysis (blocks detached from their tree), block labels and gold body;
    ``layout`` names the rewrite (``layouts.REWRITES``) of a variant, None for the page as published."""

    source: HtmlPage
    analysis: PageAnalysis
    labels: list[int]
    gold: str
    layout: str | None = None


def _detached(analysis: PageAnalysis) -> PageAnalysis:
    """The analysis without references into the parsed tree (hundreds of pages stay in memory)."""
    blocks = [dataclasses.replace(b, ancestors=()) for b in analysis.blocks]
    return dataclasses.replace(analysis, blocks=blocks, source=None)


def _training_page(page: HtmlPage, html: str, layout: str | None) -> TrainingPage | None:
    analysis = analyse_page(html, page.url or None, page_language(html))
    if analysis is None:
        return None
    analysis = with_vote(analysis)
    gold = page.gold
    labels = label_against_gold([b.text for b in analysis.blocks], gold)
    return TrainingPage(page, _detached(analysis), labels, gold, layout)


def training_pages(pages: Sequence[HtmlPage] | None = None) -> list[TrainingPage]:
    """Every readable page, each followed by its layout variant."""
    pages = list(pages) if pages is not None else [*benchmark_pages(), *fundus_pages()]
    if not pages:
        sys.exit("no development sets found under ../shared/eval (or NEWSFLOW_DEV_SET / NEWSFLOW_TRAIN_SETS)")
    out = []
    for page in pages:
        html = page.html
        original = _training_page(page, html, None)
        if original is None:
            continue
        out.append(original)
        layout = variant_name(page.page_id)
        if (variant_html := rewritten(html, layout)) is not None and (
            variant := _training_page(page, variant_html, layout)
        ) is not None:
            out.append(variant)
    return out


def _weights(tp: TrainingPage) -> list[float]:
    lengths = [max(b.chars, 1) for b in tp.analysis.blocks]
    total = sum(lengths) or 1
    return [0.2 / len(lengths) + length / total for length in lengths]


def fit(pages: Sequence[TrainingPage], voting: bool) -> BoostedTrees:
    """The voting model (``FEATURES``) or, not ``voting``, the markup model (``MARKUP_FEATURES``)."""
    rows, labels, weights = [], [], []
    share = set_shares([tp.source.set_name for tp in pages])
    for tp in pages:
        rows += tp.analysis.voted_rows if voting else tp.analysis.rows
        labels += tp.labels
        weights += [w * share[tp.source.set_name] for w in _weights(tp)]
    return fit_boosted_trees(rows, labels, weights, FEATURES if voting else MARKUP_FEATURES, PARAMS)


def out_of_fold(pages: Sequence[TrainingPage], voting: bool) -> list[list[float]]:
    """Each page's (and each layout variant's) block probabilities from a model trained on the
    other folds: none of its publisher's pages, nor their variants."""
    folds = publisher_folds([tp.source.publisher for tp in pages])
    probabilities: list[list[float]] = [[] for _ in pages]
    for fold in sorted(set(folds)):
        model = fit([tp for tp, f in zip(pages, folds, strict=True) if f != fold], voting)
        for i, f in enumerate(folds):
            if f == fold:
                analysis = pages[i].analysis
                probabilities[i] = model.probabilities(analysis.voted_rows if voting else analysis.rows)
    return probabilities


def score(pages: Sequence[TrainingPage], texts: Sequence[str]) -> CorpusScore:
    return score_corpus(score_document(t, tp.gold) for t, tp in zip(texts, pages, strict=True))


def _best_decoding(pages: Sequence[TrainingPage], probabilities: Sequence[list[float]]) -> tuple[float, float]:
    """The decoding with the best pooled out-of-fold F1 of the pages as published (8 settings
    for 305 pages: a mild optimism, reported as such)."""
    published = [i for i, tp in enumerate(pages) if tp.layout is None]

    def published_f1(decoding: tuple[float, float]) -> float:
        texts = [body_from(pages[i].analysis, decode_runs(probabilities[i], *decoding)) for i in published]
        return score([pages[i] for i in published], texts).f1

    return max(DECODING_GRID, key=published_f1)


@dataclass(frozen=True)
class CrossValidated:
    """Out-of-fold bodies of every page and layout variant as the product decides them, the
    decoding chosen for each model, and which pages the markup model was sure of."""

    pages: list[TrainingPage]
    bodies: list[str]
    voting_decoding: tuple[float, float]
    markup_decoding: tuple[float, float]
    markup_sure: list[bool]

    def _chosen(self, layouts: bool) -> list[int]:
        """The indices of the pages as published, or (``layouts``) of their layout variants."""
        return [i for i, tp in enumerate(self.pages) if (tp.layout is not None) == layouts]

    def per_set(self, layouts: bool = False) -> dict[str, CorpusScore]:
        """Cross-validated figures of each development set, by name: of its pages as published,
        or (``layouts``) of their layout variants."""
        by_set: dict[str, list[int]] = {}
        for i in self._chosen(layouts):
            by_set.setdefault(self.pages[i].source.set_name, []).append(i)
        return {
            name: score([self.pages[i] for i in chosen], [self.bodies[i] for i in chosen])
            for name, chosen in by_set.items()
        }

    def sure_share(self, layouts: bool = False) -> float:
        """The share of pages (as published, or their variants) the markup model decided alone."""
        chosen = self._chosen(layouts)
        return sum(self.markup_sure[i] for i in chosen) / max(len(chosen), 1)


def cross_validate(pages: Sequence[TrainingPage], log: Callable[[str], None] = print) -> CrossValidated:
    published = sum(tp.layout is None for tp in pages)
    log(
        f"HTML blocks: {published} pages and {len(pages) - published} layout variants, "
        f"{sum(len(tp.labels) for tp in pages)} blocks, {len(FEATURES)} features"
    )
    voting = out_of_fold(pages, voting=True)
    markup = out_of_fold(pages, voting=False)
    voting_decoding, markup_decoding = _best_decoding(pages, voting), _best_decoding(pages, markup)
    texts, sure = [], []
    for tp, voted, alone in zip(pages, voting, markup, strict=True):
        keep = sure_markup_keep(tp.analysis.blocks, alone, markup_decoding)
        sure.append(keep is not None)
        texts.append(body_from(tp.analysis, keep if keep is not None else decode_runs(voted, *voting_decoding)))
    return CrossValidated(list(pages), texts, voting_decoding, markup_decoding, sure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="cross-validate only")
    args = parser.parse_args(argv)
    pages = training_pages()
    cv = cross_validate(pages)
    report("HTML body", cv.per_set())
    report("HTML body, layout variants", cv.per_set(layouts=True))
    print(
        f"pages the markup model decided alone: {cv.sure_share():.0%} as published, "
        f"{cv.sure_share(layouts=True):.0%} of the variants"
    )
    print(f"decoding: voting model switch cost {cv.voting_decoding[0]}, body bias {cv.voting_decoding[1]}")
    print(f"decoding: markup model switch cost {cv.markup_decoding[0]}, body bias {cv.markup_decoding[1]}")
    if not args.no_write:
        published = sum(tp.layout is None for tp in pages)
        ship(fit(pages, voting=True), cv.voting_decoding, HTML_MODEL, published)
        ship(fit(pages, voting=False), cv.markup_decoding, MARKUP_MODEL, published)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
