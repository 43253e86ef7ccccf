"""The article-extraction benchmark's metric: multiset 4-token shingles, per-document P/R averaged.

1. Tokens are ``\\w+`` matches (Unicode, case-sensitive); a text's shingles are the multiset of its
   4-token n-grams (a text of 1–3 tokens gives one shorter shingle).
2. Per document: tp = |gold ∩ pred|, fp = |pred − gold|, fn = |gold − pred| (multisets).
3. Precision = mean of tp/(tp+fp) over documents with a non-empty prediction; recall = mean of
   tp/(tp+fn) over all documents; F1 = 2PR/(P+R) of those two means.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

_TOKEN = re.compile(r"\w+")


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    """The multiset of ``n``-token shingles of ``text``."""
    tokens = _TOKEN.findall(text)
    if not tokens:
        return Counter()
    if len(tokens) < n:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


@dataclass(frozen=True)
class DocumentScore:
    """tp/fp/fn for one document."""

    tp: int
    fp: int
    fn: int


def score_document(predicted: str, gold: str) -> DocumentScore:
    """Multiset overlap of the two texts' shingles."""
    pred, ref = shingles(predicted), shingles(gold)
    tp = sum((pred & ref).values())
    return DocumentScore(tp=tp, fp=sum(pred.values()) - tp, fn=sum(ref.values()) - tp)


@dataclass(frozen=True)
class CorpusScore:
    """Benchmark precision, recall and F1 over a set of documents."""

    precision: float
    recall: float
    f1: float
    documents: int


def score_corpus(scores: Iterable[DocumentScore]) -> CorpusScore:
    """Average per-document precision (non-empty predictions only) and recall, then F1."""
    precisions, recalls = [], []
    for s in scores:
        if s.tp + s.fp:
            precisions.append(s.tp / (s.tp + s.fp))
        recalls.append(s.tp / (s.tp + s.fn) if s.tp + s.fn else 1.0)
    p = sum(precisions) / len(precisions) if precisions else 0.0
    r = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return CorpusScore(p, r, f1, len(recalls))
