"""Train the flattened-text line classifier: ``make train`` (needs the ``train`` extra).

Data: the benchmark dev set's flattened pages, labelled line by line against the gold bodies
(``corpus.label_against_gold``), plus the seeds' hand labels. Every page weighs the same, and
within a page a line weighs by the log of its length (plus a floor), because the benchmark metric
counts shingles per page but a few very long lines should not decide a page alone.
Reproducible: fixed seeds, deterministic folds; the printed cross-validated figures are the honest
estimate of held-out quality (the in-sample figure that ``make eval`` prints is optimistic).
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass

from newsflow_clean.language import detect_language
from newsflow_lab.corpus import dev_set_dir, label_against_gold, load_dev_pages, load_seed_pages
from newsflow_lab.metric import CorpusScore, score_corpus, score_document
from newsflow_strip.features import FEATURE_NAMES
from newsflow_strip.model import BoostedTrees, LineClassifier, Tree, decode_runs, model_path
from newsflow_strip.text_lines import TEXT_MODEL, PreparedPage, prepare_page

FOLDS = 5
SEED = 20261122
# Run decoding: (switch_cost, body_bias) pairs tried on the out-of-fold probabilities.
DECODING_GRID = [(c, b) for c in (0.5, 1.0, 2.0, 3.0) for b in (0.0, 0.5)]
PARAMS = {"n_estimators": 300, "max_depth": 3, "learning_rate": 0.05, "subsample": 0.8, "random_state": SEED}


@dataclass
class TrainingPage:
    """One page's candidate lines, labels (None: not scored) and the gold body to score against."""

    name: str
    page: PreparedPage
    labels: list[int | None]
    gold: str
    excluded: set[int]  # candidate positions left out of scoring (ambiguous seed lines)


def _dev_pages() -> list[TrainingPage]:
    root = dev_set_dir()
    if root is None:
        sys.exit("dev set not found: set NEWSFLOW_DEV_SET to article-benchmark-dev/")
    out = []
    for dev in load_dev_pages(root):
        page = prepare_page(dev.text, detect_language(dev.text))  # as the clean stage detects it
        lines = [page.lines[i] for i in page.candidates]
        out.append(TrainingPage(dev.page_id, page, list(label_against_gold(lines, dev.gold)), dev.gold, set()))
    return out


def _seed_pages() -> list[TrainingPage]:
    out = []
    for seed in load_seed_pages():
        page = prepare_page(seed.text, detect_language(seed.text))
        numbers = seed.nonblank_line_numbers()
        labels = [seed.label(numbers[i]) for i in page.candidates]
        excluded = {k for k, label in enumerate(labels) if label is None}
        out.append(TrainingPage(seed.name, page, labels, seed.gold_body(), excluded))
    return out


def _weights(tp: TrainingPage) -> list[float]:
    lengths = [row[FEATURE_NAMES.index("log_chars")] for row in tp.page.rows]
    total = sum(lengths) or 1.0
    return [0.2 / len(lengths) + length / total for length in lengths]


def _fit_trees(pages: list[TrainingPage], rows_of: list[list[list[float]]], names: tuple[str, ...]) -> BoostedTrees:
    from sklearn.ensemble import GradientBoostingClassifier

    rows, ys, weights = [], [], []
    for tp, page_rows in zip(pages, rows_of, strict=True):
        for row, label, weight in zip(page_rows, tp.labels, _weights(tp), strict=True):
            if label is not None:
                rows.append(row)
                ys.append(label)
                weights.append(weight)
    clf = GradientBoostingClassifier(**PARAMS).fit(rows, ys, sample_weight=weights)
    trees = []
    for (estimator,) in clf.estimators_:
        t = estimator.tree_
        trees.append(
            Tree(
                feature=[int(f) for f in t.feature],
                threshold=[round(float(x), 6) for x in t.threshold],
                left=[int(x) for x in t.children_left],
                right=[int(x) for x in t.children_right],
                value=[round(float(v[0][0]), 6) for v in t.value],
            )
        )
    # sklearn starts boosting from the log-odds of the (weighted) prior.
    prior = sum(y * w for y, w in zip(ys, weights, strict=True)) / sum(weights)
    return BoostedTrees(list(names), math.log(prior / (1 - prior)), PARAMS["learning_rate"], trees)


def _folds(pages: list[TrainingPage]) -> list[list[int]]:
    return [list(range(i, len(pages), FOLDS)) for i in range(FOLDS)]


def _out_of_fold(
    pages: list[TrainingPage], rows_of: list[list[list[float]]], names: tuple[str, ...]
) -> list[list[float]]:
    """Each page scored by a model that never saw it."""
    oof: list[list[float]] = [[] for _ in pages]
    for held_out in _folds(pages):
        train = [i for i in range(len(pages)) if i not in held_out]
        model = _fit_trees([pages[i] for i in train], [rows_of[i] for i in train], names)
        for i in held_out:
            oof[i] = [model.probability(row) for row in rows_of[i]]
    return oof


def _score(pages: list[TrainingPage], probabilities: list[list[float]], decoding: tuple[float, float]) -> CorpusScore:
    scores = []
    for tp, probs in zip(pages, probabilities, strict=True):
        kept = [
            tp.page.lines[tp.page.candidates[k]]
            for k, is_body in enumerate(decode_runs(probs, *decoding))
            if is_body and k not in tp.excluded
        ]
        scores.append(score_document("\n\n".join(kept), tp.gold))
    return score_corpus(scores)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="cross-validate only")
    args = parser.parse_args(argv)
    dev, seeds = _dev_pages(), _seed_pages()
    pages = dev + seeds
    rows = [tp.page.rows for tp in pages]
    oof = _out_of_fold(pages, rows, FEATURE_NAMES)
    decoding = max(DECODING_GRID, key=lambda d: _score(pages, oof, d).f1)
    for name, subset in (("dev text", slice(0, len(dev))), ("seeds", slice(len(dev), None))):
        s = _score(pages[subset], oof[subset], decoding)
        print(f"{FOLDS}-fold cross-validated {name}: P {s.precision:.3f} R {s.recall:.3f} F1 {s.f1:.3f}")
    print(f"decoding: switch cost {decoding[0]}, body bias {decoding[1]}")
    if not args.no_write:
        trees = _fit_trees(pages, rows, FEATURE_NAMES)
        model = LineClassifier(trees, *decoding, metadata={"params": PARAMS, "pages": len(pages)})
        path = model_path(TEXT_MODEL)
        path.parent.mkdir(exist_ok=True)
        path.write_text(model.to_json() + "\n")
        print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
