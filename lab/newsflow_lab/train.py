"""Train the flattened-text line classifier: ``make train`` (needs the ``train`` extra).

Data: both development sets' flattened pages (article-benchmark-dev and fundus-publishers),
labelled line by line against their gold bodies (``corpus.label_against_gold``), plus the
seeds' hand labels. Each development set weighs the same (``boosting.set_shares``: pooled,
the benchmark's CV F1 was 0.917 and one Polish rated pair fewer shared a story), every page
within a set the same, and within a page a line by the log of its length (plus a floor), because the
benchmark metric counts shingles per page but a few very long lines should not decide a page.

The classifier is stacked (``LineClassifier.context_trees``): a first model judges each line from
its features; a second one re-judges it from the same features plus the first model's verdicts
around it (``model.probability_context``). The second is trained on the first's *out-of-fold*
probabilities (publisher folds within its training pages), so that it learns how far those
verdicts hold on publishers the first model never saw. Measured: benchmark 0.920 → 0.931,
fundus 0.909 → 0.913, seeds 0.891 → 0.894 (docs/decisions.md #7d).

Cross-validation is grouped by publisher (each seed is a group of its own), over all pages
together, and its figures are printed per set: they estimate quality on publishers the model
never saw. The whole stack is refitted inside each fold (its inner folds split only that fold's
training pages). The in-sample figure of the shipped model is optimistic. Reproducible:
deterministic folds and fits (``boosting.PARAMS``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from newsflow_clean.language import detect_language
from newsflow_lab.boosting import PARAMS, fit_boosted_trees, publisher_folds, report, set_shares, ship
from newsflow_lab.corpus import benchmark_pages, fundus_pages, label_against_gold, load_seed_pages
from newsflow_lab.metric import CorpusScore, score_corpus, score_document
from newsflow_strip.features import FEATURE_NAMES
from newsflow_strip.model import CONTEXT_FEATURES, BoostedTrees, LineClassifier, decode_runs, stacked_rows
from newsflow_strip.text_lines import TEXT_MODEL, PreparedPage, prepare_page

# Run decoding: (switch_cost, body_bias) pairs tried on the out-of-fold probabilities.
DECODING_GRID = [(c, b) for c in (0.25, 0.5, 1.0, 2.0) for b in (0.0, 0.25, 0.5, 0.75, 1.0)]


@dataclass
class TrainingPage:
    """One page's candidate lines, labels (None: not scored) and the gold body to score against."""

    set_name: str
    name: str
    publisher: str
    page: PreparedPage
    labels: list[int | None]
    gold: str
    excluded: set[int]  # candidate positions left out of scoring (ambiguous seed lines)


def _development_pages() -> list[TrainingPage]:
    out = []
    for source in [*benchmark_pages(), *fundus_pages()]:
        if not source.text_path.exists():
            continue
        text = source.text_path.read_text(encoding="utf-8")
        page = prepare_page(text, detect_language(text))  # as the clean stage detects it
        lines = [page.lines[i] for i in page.candidates]
        gold = source.gold
        labels: list[int | None] = list(label_against_gold(lines, gold))
        out.append(TrainingPage(source.set_name, source.page_id, source.publisher, page, labels, gold, set()))
    return out


def _seed_pages() -> list[TrainingPage]:
    out = []
    for seed in load_seed_pages():
        page = prepare_page(seed.text, detect_language(seed.text))
        numbers = seed.nonblank_line_numbers()
        labels = [seed.label(numbers[i]) for i in page.candidates]
        excluded = {k for k, label in enumerate(labels) if label is None}
        out.append(TrainingPage("seeds", seed.name, f"seed:{seed.name}", page, labels, seed.gold_body(), excluded))
    return out


def training_pages() -> list[TrainingPage]:
    pages = _development_pages()
    if not pages:
        sys.exit("no development sets found under ../shared/eval (or NEWSFLOW_DEV_SET / NEWSFLOW_TRAIN_SETS)")
    return pages + _seed_pages()


def _weights(tp: TrainingPage) -> list[float]:
    lengths = [row[FEATURE_NAMES.index("log_chars")] for row in tp.page.rows]
    total = sum(lengths) or 1.0
    return [0.2 / len(lengths) + length / total for length in lengths]


def _fit_rows(
    pages: Sequence[TrainingPage], rows_of: Sequence[list[list[float]]], names: tuple[str, ...]
) -> BoostedTrees:
    rows, labels, weights = [], [], []
    share = set_shares([tp.set_name for tp in pages])
    for tp, page_rows in zip(pages, rows_of, strict=True):
        for row, label, weight in zip(page_rows, tp.labels, _weights(tp), strict=True):
            if label is not None:
                rows.append(row)
                labels.append(label)
                weights.append(weight * share[tp.set_name])
    return fit_boosted_trees(rows, labels, weights, names, PARAMS)


def fit(pages: Sequence[TrainingPage]) -> BoostedTrees:
    """The first stage: line features only."""
    return _fit_rows(pages, [tp.page.rows for tp in pages], FEATURE_NAMES)


@dataclass(frozen=True)
class Stack:
    """Both stages of the line classifier."""

    first: BoostedTrees
    second: BoostedTrees

    def probabilities(self, tp: TrainingPage) -> list[float]:
        # The shipped classifier's own composition of the stages (decoding is not used here).
        return LineClassifier(self.first, 0.0, 0.0, context_trees=self.second).probabilities(tp.page.rows)


def fit_stack(pages: Sequence[TrainingPage]) -> Stack:
    """The first stage on ``pages``; the second on their first-stage out-of-fold probabilities."""
    first_out_of_fold = _out_of_fold(pages, _first_stage)
    second = _fit_rows(
        pages,
        [stacked_rows(tp.page.rows, first) for tp, first in zip(pages, first_out_of_fold, strict=True)],
        (*FEATURE_NAMES, *CONTEXT_FEATURES),
    )
    return Stack(fit(pages), second)


Predictor = Callable[[TrainingPage], list[float]]


def _first_stage(pages: list[TrainingPage]) -> Predictor:
    model = fit(pages)
    return lambda tp: model.probabilities(tp.page.rows)


def _stack(pages: list[TrainingPage]) -> Predictor:
    return fit_stack(pages).probabilities


def _out_of_fold(pages: Sequence[TrainingPage], train: Callable[[list[TrainingPage]], Predictor]) -> list[list[float]]:
    """Each page's line probabilities from what ``train`` fitted without its publisher's pages."""
    folds = publisher_folds([tp.publisher for tp in pages])
    probabilities: list[list[float]] = [[] for _ in pages]
    for fold in sorted(set(folds)):
        predict = train([tp for tp, f in zip(pages, folds, strict=True) if f != fold])
        for i, f in enumerate(folds):
            if f == fold:
                probabilities[i] = predict(pages[i])
    return probabilities


def out_of_fold(pages: Sequence[TrainingPage]) -> list[list[float]]:
    """Each page's line probabilities from a stack fitted without its publisher's pages."""
    return _out_of_fold(pages, _stack)


def body(tp: TrainingPage, probabilities: list[float], decoding: tuple[float, float]) -> str:
    """The body ``strip_text`` would give with these line probabilities (scored lines only)."""
    kept = [
        tp.page.lines[tp.page.candidates[k]]
        for k, is_body in enumerate(decode_runs(probabilities, *decoding))
        if is_body and k not in tp.excluded
    ]
    return "\n\n".join(kept)


def score(
    pages: Sequence[TrainingPage], probabilities: Sequence[list[float]], decoding: tuple[float, float]
) -> CorpusScore:
    return score_corpus(
        score_document(body(tp, probs, decoding), tp.gold) for tp, probs in zip(pages, probabilities, strict=True)
    )


@dataclass(frozen=True)
class CrossValidated:
    """Out-of-fold figures per set and the decoding chosen on the pooled out-of-fold figures."""

    per_set: dict[str, CorpusScore]
    decoding: tuple[float, float]


def cross_validate(pages: Sequence[TrainingPage]) -> CrossValidated:
    probabilities = out_of_fold(pages)
    decoding = max(DECODING_GRID, key=lambda d: score(pages, probabilities, d).f1)
    per_set = {}
    for name in dict.fromkeys(tp.set_name for tp in pages):
        chosen = [i for i, tp in enumerate(pages) if tp.set_name == name]
        per_set[name] = score([pages[i] for i in chosen], [probabilities[i] for i in chosen], decoding)
    return CrossValidated(per_set, decoding)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="cross-validate only")
    args = parser.parse_args(argv)
    pages = training_pages()
    cv = cross_validate(pages)
    report("flattened-text body", cv.per_set)
    print(f"decoding: switch cost {cv.decoding[0]}, body bias {cv.decoding[1]}")
    if not args.no_write:
        stack = fit_stack(pages)
        ship(stack.first, cv.decoding, TEXT_MODEL, len(pages), context_trees=stack.second)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
