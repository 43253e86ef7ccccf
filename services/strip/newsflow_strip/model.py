"""Gradient-boosted tree ensembles, trained in the lab (``make train``) and shipped as JSON.

Inference needs no scikit-learn: one row walks the trees in plain Python (``probability``), a
page's rows walk all trees at once in numpy (``probabilities``, what the line and block
classifiers use: a page of 200 blocks through 150 trees in about 2 ms). The model file is small,
diffable and reproducible.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Tree:
    """One regression tree in sklearn's array layout (a leaf has ``left == -1``)."""

    feature: list[int]
    threshold: list[float]
    left: list[int]
    right: list[int]
    value: list[float]

    def predict(self, row: list[float]) -> float:
        node = 0
        left, right, feature, threshold = self.left, self.right, self.feature, self.threshold
        while left[node] != -1:
            node = left[node] if row[feature[node]] <= threshold[node] else right[node]
        return self.value[node]


@dataclass(frozen=True)
class _PackedTrees:
    """All trees in flat arrays (tree t's node k at ``t * width + k``; children are numbered
    within their tree). A leaf points at itself with an infinite threshold, so walking ``depth``
    levels lands every row on its leaf."""

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    tree_offsets: np.ndarray
    depth: int

    @classmethod
    def of(cls, trees: list[Tree]) -> _PackedTrees:
        width = max(len(t.value) for t in trees)
        shape = (len(trees), width)
        feature, left, right = (np.zeros(shape, dtype=np.intp) for _ in range(3))
        threshold, value = np.full(shape, np.inf), np.zeros(shape)
        depth = 0
        for t, tree in enumerate(trees):
            nodes = np.arange(len(tree.value))
            leaf = np.asarray(tree.left) == -1
            feature[t, : len(nodes)] = np.where(leaf, 0, tree.feature)
            threshold[t, : len(nodes)] = np.where(leaf, np.inf, tree.threshold)
            left[t, : len(nodes)] = np.where(leaf, nodes, tree.left)
            right[t, : len(nodes)] = np.where(leaf, nodes, tree.right)
            value[t, : len(nodes)] = tree.value
            depth = max(depth, _depth(tree))
        offsets = (np.arange(len(trees)) * width)[:, None]
        return cls(feature.ravel(), threshold.ravel(), left.ravel(), right.ravel(), value.ravel(), offsets, depth)


def _depth(tree: Tree) -> int:
    deepest, stack = 0, [(0, 0)]
    while stack:
        node, level = stack.pop()
        if tree.left[node] == -1:
            deepest = max(deepest, level)
        else:
            stack += [(tree.left[node], level + 1), (tree.right[node], level + 1)]
    return deepest


@dataclass(frozen=True)
class BoostedTrees:
    """Boosted trees giving P(positive) from a feature row."""

    feature_names: list[str]
    init: float
    learning_rate: float
    trees: list[Tree]

    def probability(self, row: list[float]) -> float:
        logit = self.init + self.learning_rate * sum(tree.predict(row) for tree in self.trees)
        return 1.0 / (1.0 + math.exp(-logit))

    def probabilities(self, rows: list[list[float]]) -> list[float]:
        """``probability`` of every row, all trees walked level by level in numpy."""
        if not rows:
            return []
        packed = self._packed
        x = np.asarray(rows, dtype=np.float64)
        n, width = x.shape
        flat_x = x.ravel()
        row_offsets = np.arange(n)[None, :] * width
        node = np.zeros((len(self.trees), n), dtype=np.intp)
        for _ in range(packed.depth):
            at = packed.tree_offsets + node
            values = flat_x.take(row_offsets + packed.feature.take(at))
            node = np.where(values <= packed.threshold.take(at), packed.left.take(at), packed.right.take(at))
        logits = self.init + self.learning_rate * packed.value.take(packed.tree_offsets + node).sum(axis=0)
        return [float(p) for p in 1.0 / (1.0 + np.exp(-logits))]

    @cached_property
    def _packed(self) -> _PackedTrees:
        return _PackedTrees.of(self.trees)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> BoostedTrees:
        return cls(raw["feature_names"], raw["init"], raw["learning_rate"], [Tree(**t) for t in raw["trees"]])


def decode_runs(probabilities: list[float], switch_cost: float, body_bias: float) -> list[bool]:
    """Most likely body/boilerplate labelling of a page's lines (Viterbi over two states).

    Each line contributes log P(its label); every change between body and boilerplate costs
    ``switch_cost``. Article bodies are long runs, so an isolated confident-looking teaser inside
    a footer, or a short sub-heading inside the body, follows its neighbours.
    """
    if not probabilities:
        return []
    eps = 1e-6
    emit = [(math.log(1 - p + eps), math.log(p + eps) + body_bias) for p in probabilities]
    score = list(emit[0])
    back: list[tuple[int, int]] = []
    for out, body in emit[1:]:
        from_out = (score[0], score[1] - switch_cost)
        from_body = (score[0] - switch_cost, score[1])
        best_out = 0 if from_out[0] >= from_out[1] else 1
        best_body = 0 if from_body[0] >= from_body[1] else 1
        back.append((best_out, best_body))
        score = [from_out[best_out] + out, from_body[best_body] + body]
    state = 0 if score[0] >= score[1] else 1
    path = [state]
    for pointers in reversed(back):
        state = pointers[state]
        path.append(state)
    path.reverse()
    return [bool(s) for s in path]


CONTEXT_FEATURES = (
    "first_probability",
    "first_probability_around_1",
    "first_probability_around_3",
    "first_probability_around_6",
    "first_probability_max_3_before",
    "first_probability_max_3_after",
    "likely_body_share_before",
    "likely_body_share_after",
    "likely_body_distance",
)
"""What a second model sees of the first one's probabilities around a line (``probability_context``)."""


def probability_context(probabilities: list[float]) -> list[list[float]]:
    """Per line, the first model's verdict on it and on its surroundings: its own probability,
    the mean of its neighbours' within 1, 3 and 6 lines, the highest of the three lines before
    and after, which share of the page's likely body lines (probability above a half) lies before
    and after it, and how far the nearest likely body line is. A line among likely body lines is
    likely body too, and the first model cannot see its neighbours' verdicts."""
    n = len(probabilities)
    prefix = [0.0]
    for p in probabilities:
        prefix.append(prefix[-1] + p)
    likely = [p > 0.5 for p in probabilities]
    likely_before = [0]
    for is_likely in likely:
        likely_before.append(likely_before[-1] + is_likely)
    total_likely = max(likely_before[-1], 1)
    distance = [n] * n
    last = -n
    for i in range(n):
        last = i if likely[i] else last
        distance[i] = i - last
    last = 2 * n
    for i in range(n - 1, -1, -1):
        last = i if likely[i] else last
        distance[i] = min(distance[i], last - i)

    def around(i: int, k: int) -> float:
        start, end = max(0, i - k), min(n, i + k + 1)
        return (prefix[end] - prefix[start] - probabilities[i]) / max(end - start - 1, 1)

    return [
        [
            p,
            around(i, 1),
            around(i, 3),
            around(i, 6),
            max(probabilities[max(0, i - 3) : i], default=-1.0),
            max(probabilities[i + 1 : i + 4], default=-1.0),
            likely_before[i] / total_likely,
            (likely_before[-1] - likely_before[i + 1]) / total_likely,
            math.log1p(min(distance[i], 50)),
        ]
        for i, p in enumerate(probabilities)
    ]


def stacked_rows(rows: list[list[float]], first: list[float]) -> list[list[float]]:
    """The second stage's rows: each line's own features, then ``probability_context`` of the
    first stage's probabilities ``first``."""
    return [row + context for row, context in zip(rows, probability_context(first), strict=True)]


@dataclass(frozen=True)
class LineClassifier:
    """Per-line probabilities from boosted trees, decoded into runs by ``decode_runs``.

    With ``context_trees`` the classifier is stacked: a second model re-judges each line from its
    own features and ``probability_context`` of the first model's probabilities, and its
    probabilities are decoded. (It is trained on the first model's out-of-fold probabilities,
    ``newsflow_lab.train``, so that it learns how far to trust them on unseen publishers.)"""

    trees: BoostedTrees
    switch_cost: float
    body_bias: float
    metadata: dict[str, Any] = field(default_factory=dict)
    context_trees: BoostedTrees | None = None

    def probabilities(self, rows: list[list[float]]) -> list[float]:
        first = self.trees.probabilities(rows)
        if self.context_trees is None:
            return first
        return self.context_trees.probabilities(stacked_rows(rows, first))

    def body_lines(self, rows: list[list[float]]) -> list[bool]:
        return decode_runs(self.probabilities(rows), self.switch_cost, self.body_bias)

    def to_json(self) -> str:
        raw = asdict(self)
        if self.context_trees is None:  # a single-stage model's file stays as it was
            del raw["context_trees"]
        return json.dumps(raw, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> LineClassifier:
        raw = json.loads(text)
        context = raw.get("context_trees")
        return cls(
            BoostedTrees.from_dict(raw["trees"]),
            raw["switch_cost"],
            raw["body_bias"],
            raw.get("metadata", {}),
            BoostedTrees.from_dict(context) if context else None,
        )


def model_path(name: str) -> Path:
    """Where a shipped model lives inside the package (``make train`` writes it there)."""
    return Path(str(resources.files("newsflow_strip") / "models" / f"{name}.json"))


def load_classifier(name: str, features: tuple[str, ...]) -> LineClassifier:
    """Load a shipped model, refusing one trained on another feature set."""
    model = LineClassifier.from_json(model_path(name).read_text())
    stacked = model.context_trees is None or tuple(model.context_trees.feature_names) == (*features, *CONTEXT_FEATURES)
    if tuple(model.trees.feature_names) != features or not stacked:
        raise RuntimeError(f"model {name!r} was trained on other features; run `make train`")
    return model
