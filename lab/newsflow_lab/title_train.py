"""Train the flattened-text title model (``newsflow_strip.text_title``): ``make train``.

Data: the fundus publishers set's flattened pages with their gold titles, and the seeds'. Each
page's body lines come from the line classifier *out of fold* (``train.out_of_fold``: a model that
never saw the page's publisher), as an unseen page would have them. A candidate is labelled a
title when it equals the gold title (normalized as ``make eval`` compares titles).

Cross-validated by publisher; the figure printed is the share of pages whose title is exactly
right, beside the header rule the extract stage used before (``title_from_header``).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from newsflow_extract.metadata import title_from_header
from newsflow_lab import train
from newsflow_lab.boosting import fit_boosted_trees, publisher_folds
from newsflow_lab.corpus import fundus_meta, fundus_pages
from newsflow_lab.peers import normalized_title
from newsflow_strip.model import BoostedTrees, decode_runs, model_path
from newsflow_strip.text_title import TITLE_FEATURES, TITLE_MODEL, TitleCandidates, TitleModel, title_candidates

PARAMS = {
    "max_iter": 100,
    "learning_rate": 0.1,
    "max_depth": 3,
    "min_samples_leaf": 10,
    "l2_regularization": 1.0,
    "early_stopping": False,
    "random_state": 20261206,
}
THRESHOLDS = (0.0, 0.05, 0.1, 0.2, 0.3)


@dataclass
class TitlePage:
    publisher: str
    lines: list[str]
    header: list[str]
    candidates: TitleCandidates
    labels: list[int]
    gold: str


def title_pages() -> list[TitlePage]:
    pages = train.training_pages()
    meta = fundus_meta()
    urls = {p.page_id: p.url for p in fundus_pages()}
    probabilities = train.out_of_fold(pages)
    decoding = max(train.DECODING_GRID, key=lambda d: train.score(pages, probabilities, d).f1)
    out = []
    for tp, probs in zip(pages, probabilities, strict=True):
        gold = (meta.get(tp.name) or {}).get("title") if tp.set_name == "fundus" else None
        if tp.set_name == "seeds":
            from newsflow_lab.corpus import load_seed_pages

            gold = next((s.gold.get("title") for s in load_seed_pages() if s.name == tp.name), None)
        if not gold:
            continue
        kept = [k for k, is_body in enumerate(decode_runs(probs, *decoding)) if is_body]
        body = [tp.page.candidates[k] for k in kept]
        candidates = title_candidates(tp.page.lines, body, tp.page.language, urls.get(tp.name))
        wanted = normalized_title(str(gold))
        labels = [int(normalized_title(tp.page.lines[i]) == wanted) for i in candidates.indices]
        header = tp.page.lines[max(0, body[0] - 12) : body[0]] if body else tp.page.lines[:12]
        out.append(TitlePage(tp.publisher, tp.page.lines, header, candidates, labels, str(gold)))
    return out


def fit(pages: list[TitlePage]) -> BoostedTrees:
    rows, labels, weights = [], [], []
    for page in pages:
        for row, label in zip(page.candidates.rows, page.labels, strict=True):
            rows.append(row)
            labels.append(label)
            weights.append(1.0 / len(page.labels))  # every page weighs the same
    return fit_boosted_trees(rows, labels, weights, TITLE_FEATURES, PARAMS)


def right(page: TitlePage, title: str | None) -> bool:
    return normalized_title(title) == normalized_title(page.gold)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="cross-validate only")
    args = parser.parse_args(argv)
    pages = [p for p in title_pages() if p.candidates.indices]
    folds = publisher_folds([p.publisher for p in pages])
    chosen: dict[float, list[bool]] = {t: [False] * len(pages) for t in THRESHOLDS}
    for fold in sorted(set(folds)):
        trees = fit([p for p, f in zip(pages, folds, strict=True) if f != fold])
        for i, f in enumerate(folds):
            if f == fold:
                for threshold in THRESHOLDS:
                    chosen[threshold][i] = right(
                        pages[i], TitleModel(trees, threshold).choose(pages[i].lines, pages[i].candidates)
                    )
    threshold = max(THRESHOLDS, key=lambda t: (sum(chosen[t]), -t))
    rule = sum(right(p, title_from_header(p.header)) for p in pages)
    print(
        f"flattened-text titles, {len(pages)} pages with a gold title, cross-validated by publisher: "
        f"{sum(chosen[threshold]) / len(pages):.3f} exactly right at threshold {threshold} "
        f"(the header rule: {rule / len(pages):.3f})"
    )
    if not args.no_write:
        path = model_path(TITLE_MODEL)
        path.write_text(TitleModel(fit(pages), threshold).to_json() + "\n")
        print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
