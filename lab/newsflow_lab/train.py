"""Train the flattened-text line classifier: ``make train`` (needs the ``train`` extra).

Data: both development sets' flattened pages (article-benchmark-dev and fundus-publishers),
labelled line by line against their gold bodies (``corpus.label_against_gold``), plus the
seeds' hand labels. Each development set weighs the same (``boosting.set_shares``: pooled,
the benchmark's CV F1 was 0.917 and one Polish rated pair fewer shared a story), every page
within a set the same, and within a page a line by the log of its length (plus a floor), because the
benchmark metric counts shingles per page but a few very long lines should not decide a page.

Cross-validation is grouped by publisher (each seed is a group of its own), over all pages
together, and its figures are printed per set: they estimate quality on publishers the model
never saw. The in-sample figure of the shipped model is optimistic. Reproducible: deterministic
folds and fits (``boosting.PARAMS``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from newsflow_clean.language import detect_language
from newsflow_lab.boosting import PARAMS, fit_boosted_trees, publisher_folds, report, set_shares, ship
from newsflow_lab.corpus import benchmark_pages, fundus_pages, label_against_gold, load_seed_pages
from newsflow_lab.metric import CorpusScore, score_corpus, score_document
from newsflow_strip.features import FEATURE_NAMES
from newsflow_strip.model import BoostedTrees, decode_runs
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


def fit(pages: Sequence[TrainingPage]) -> BoostedTrees:
    rows, labels, weights = [], [], []
    share = set_shares([tp.set_name for tp in pages])
    for tp in pages:
        for row, label, weight in zip(tp.page.rows, tp.labels, _weights(tp), strict=True):
            if label is not None:
                rows.append(row)
                labels.append(label)
                weights.append(weight * share[tp.set_name])
    return fit_boosted_trees(rows, labels, weights, FEATURE_NAMES, PARAMS)


def out_of_fold(pages: Sequence[TrainingPage]) -> list[list[float]]:
    """Each page's line probabilities from a model that saw none of its publisher's pages."""
    folds = publisher_folds([tp.publisher for tp in pages])
    probabilities: list[list[float]] = [[] for _ in pages]
    for fold in sorted(set(folds)):
        model = fit([tp for tp, f in zip(pages, folds, strict=True) if f != fold])
        for i, f in enumerate(folds):
            if f == fold:
                probabilities[i] = model.probabilities(pages[i].page.rows)
    return probabilities


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
        ship(fit(pages), cv.decoding, TEXT_MODEL, len(pages))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
