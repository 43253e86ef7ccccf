"""Boosted trees fitted with scikit-learn and exported to the product's JSON form, and the
publisher-grouped folds both classifiers are cross-validated on (``make train`` only).

scikit-learn's ``HistGradientBoostingClassifier`` bins features and fits in seconds on a hundred
thousand rows; its trees are exported node by node into ``newsflow_strip.model.Tree`` (split
``x <= threshold`` goes left, as the product walks them). Early stopping is off, so a fit is a
pure function of its rows, labels, weights and ``PARAMS``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from newsflow_strip.model import BoostedTrees, LineClassifier, Tree, model_path

FOLDS = 5
PARAMS: dict[str, Any] = {
    "max_iter": 150,
    "learning_rate": 0.1,
    "max_depth": 5,
    "min_samples_leaf": 20,
    "l2_regularization": 1.0,
    "early_stopping": False,
    "random_state": 20261206,
}


def fit_boosted_trees(
    rows: Sequence[Sequence[float]],
    labels: Sequence[int],
    weights: Sequence[float],
    names: Sequence[str],
    params: dict[str, Any] | None = None,
) -> BoostedTrees:
    from sklearn.ensemble import HistGradientBoostingClassifier

    clf = HistGradientBoostingClassifier(**(params or PARAMS)).fit(
        np.asarray(rows, dtype=np.float64), np.asarray(labels), sample_weight=np.asarray(weights)
    )
    trees = []
    for (predictor,) in clf._predictors:
        nodes = predictor.nodes
        leaf = nodes["is_leaf"].astype(bool)
        trees.append(
            Tree(
                feature=[0 if is_leaf else int(f) for f, is_leaf in zip(nodes["feature_idx"], leaf, strict=True)],
                threshold=[
                    0.0 if is_leaf else float(t) for t, is_leaf in zip(nodes["num_threshold"], leaf, strict=True)
                ],
                left=[-1 if is_leaf else int(x) for x, is_leaf in zip(nodes["left"], leaf, strict=True)],
                right=[-1 if is_leaf else int(x) for x, is_leaf in zip(nodes["right"], leaf, strict=True)],
                value=[round(float(v), 6) if is_leaf else 0.0 for v, is_leaf in zip(nodes["value"], leaf, strict=True)],
            )
        )
    # The leaves already carry the learning rate; the baseline is the prior's log-odds.
    return BoostedTrees(list(names), float(np.ravel(clf._baseline_prediction)[0]), 1.0, trees)


DEVELOPMENT_SETS = ("benchmark", "fundus")


def set_shares(set_names: Sequence[str]) -> dict[str, float]:
    """A weight per set making each development set weigh the same in training, whatever its
    size (a page of another set, a seed, weighs what a benchmark page does): their conventions
    differ (fundus' gold keeps leads and subheadings, the benchmark's does not), and the larger
    set must not decide them."""
    per_set = Counter(set_names)
    reference = max(per_set.get("benchmark", 0), 1)
    return {name: reference / count if name in DEVELOPMENT_SETS else 1.0 for name, count in per_set.items()}


def publisher_folds(groups: Sequence[str], folds: int = FOLDS) -> list[int]:
    """A fold per item such that no publisher (group) is in two folds, folds of similar size
    (scikit-learn's ``GroupKFold``, deterministic)."""
    from sklearn.model_selection import GroupKFold

    fold_of = [0] * len(groups)
    for fold, (_, test) in enumerate(GroupKFold(n_splits=folds).split(np.zeros(len(groups)), groups=list(groups))):
        for i in test:
            fold_of[i] = fold
    return fold_of


def report(what: str, per_set: dict[str, Any]) -> None:
    """Print each set's cross-validated figures (``CorpusScore``s by set name)."""
    for name, s in per_set.items():
        print(f"{name}: {what} F1 cross-validated by publisher: P {s.precision:.3f} R {s.recall:.3f} F1 {s.f1:.3f}")


def ship(
    trees: BoostedTrees,
    decoding: tuple[float, float],
    name: str,
    pages: int,
    context_trees: BoostedTrees | None = None,
) -> None:
    """Write a classifier (trees, the stacked second stage if any, and their run decoding) where
    the strip package loads it from."""
    model = LineClassifier(trees, *decoding, metadata={"params": PARAMS, "pages": pages}, context_trees=context_trees)
    path = model_path(name)
    path.write_text(model.to_json() + "\n")
    print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")
