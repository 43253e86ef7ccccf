"""``make eval``: strip/extract, dedup, story, entity and quote quality, in one run.

Per development set (article-benchmark-dev, fundus-publishers), HTML and flattened-text bodies
cross-validated by publisher (both body classifiers retrained fold by fold: ``html_train``,
``train``), the shipped models' in-sample figures, and the peers on the same pages in the same
run (``peers``), with docs/s per core; HTML bodies of the same pages rewritten as older or
plainer sites (``layouts``), cross-validated, beside the peers on those rewritten pages;
metadata where a set has gold. Stories are also judged on human-rated pairs (``story_pairs``:
cross-validated per language), entities and quotes on public gold (``entities_eval``:
CoNLL-2003 and PolNeAR development splits).

HTML and flattened text go through the strip stage's own functions; the seeds go through
``newsflow extract``'s in-process pipeline, so titles, dates and entities are the product's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsflow_cli.extract_cmd import Extractor
from newsflow_lab import entities_eval, html_train, story_pairs, train
from newsflow_lab.corpus import (
    SeedPage,
    benchmark_pages,
    dev_set_dir,
    fundus_meta,
    fundus_pages,
    load_dev_pages,
    load_seed_pages,
)
from newsflow_lab.metric import CorpusScore, score_corpus, score_document
from newsflow_lab.peers import (
    SetFigures,
    body_figures,
    layout_figures,
    metadata_figures,
    render,
    with_cross_validated,
)
from newsflow_lab.planted import PlantedFigures, StoryFigures, as_document, planted_figures, story_figures


@dataclass(frozen=True)
class SeedFigures:
    body: CorpusScore
    titles_exact: int
    titles_total: int
    published: dict[str, str | None]
    person_recall: float
    quotes_total: int
    quotes_found: int
    quotes_speaker_right: int


def _scored_body(seed: SeedPage, body: str) -> str:
    """The predicted body without the lines gold leaves unscored (ambiguous: sub-headings,
    standfirsts, wire credits), so they count neither for nor against."""
    lines = seed.text.split("\n")
    unscored = {lines[n - 1].strip() for n in seed.gold.get("ambiguous", [])}
    return "\n\n".join(p for p in body.split("\n\n") if p.strip() not in unscored)


def seed_records(seeds: list[SeedPage], pipeline: Extractor) -> dict[str, dict[str, Any]]:
    """``newsflow extract``'s record of each seed, by file name."""
    return {r["source"].rsplit("/", 1)[-1]: r for r in pipeline.run([str(s.path) for s in seeds])}


def seed_figures(seeds: list[SeedPage], records: dict[str, dict[str, Any]]) -> SeedFigures:
    body = score_corpus(score_document(_scored_body(s, records[s.name]["body"]), s.gold_body()) for s in seeds)
    with_title = [s for s in seeds if s.gold.get("title")]
    exact = sum(records[s.name]["title"] == s.gold["title"] for s in with_title)
    published = {s.name: records[s.name]["published"] for s in seeds if s.gold.get("published")}
    wanted = found = 0
    for s in seeds:
        persons = {e["text"] for e in records[s.name]["entities"] if e["label"] == "PERSON"}
        wanted += len(s.gold.get("persons", []))
        found += sum(name in persons for name in s.gold.get("persons", []))
    quotes_total = quotes_found = speaker_right = 0
    for s in seeds:
        for gold in s.gold.get("quotes", []):
            quotes_total += 1
            match = next((q for q in records[s.name]["quotes"] if q["text"].startswith(gold["starts"])), None)
            quotes_found += match is not None
            speaker_right += match is not None and match["speaker"] == gold["speaker"]
    return SeedFigures(
        body,
        exact,
        len(with_title),
        published,
        found / wanted if wanted else 1.0,
        quotes_total,
        quotes_found,
        speaker_right,
    )


SETS = {"benchmark": "article-benchmark-dev", "fundus": "fundus-publishers"}


def development_set_figures(pipeline: Extractor) -> list[SetFigures]:
    """Each development set's bodies (cross-validated by publisher, shipped, peers) and metadata."""
    sets = {name: list(pages) for name, pages in (("benchmark", benchmark_pages()), ("fundus", fundus_pages()))}
    if not any(sets.values()):
        print("no development set found beside the project: skipping the per-set figures")
        return []
    html_cv = html_train.cross_validate(html_train.training_pages(), log=lambda _line: None)
    html_per_set, layouts_per_set = html_cv.per_set(), html_cv.per_set(layouts=True)
    text_cv = train.cross_validate(train.training_pages()).per_set
    out = []
    for name, set_pages in sets.items():
        if not set_pages:
            print(f"{SETS[name]} not found beside the project: skipping its figures")
            continue
        per_set = body_figures(SETS[name], set_pages)
        with_cross_validated(per_set, html_per_set.get(name), text_cv.get(name))
        if name in layouts_per_set:
            variants = [(tp.source, tp.layout) for tp in html_cv.pages if tp.layout and tp.source.set_name == name]
            layout_figures(per_set, variants, layouts_per_set[name])
        if name == "fundus":
            html_records = pipeline.run([str(p.html_path) for p in set_pages])
            ours = {Path(r["source"]).stem: r for r in html_records}
            metadata_figures(per_set, set_pages, ours, fundus_meta())
        out.append(per_set)
    return out


def _fmt(score: CorpusScore) -> str:
    return f"P {score.precision:.3f}  R {score.recall:.3f}  F1 {score.f1:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="strip/extract quality figures")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {}
    root = dev_set_dir()
    pipeline = Extractor()
    seed_pages = load_seed_pages()
    records = seed_records(seed_pages, pipeline)
    dev_documents = []
    if root is None:
        print("dev set not found (set NEWSFLOW_DEV_SET): skipping dev-set figures")
    else:
        pages = load_dev_pages(root)
        figures["planted"] = asyncio.run(planted_figures(pages))
        dev_documents = [as_document(r) for r in pipeline.run([str(p.text_path) for p in pages]) if "error" not in r]
    figures["sets"] = development_set_figures(pipeline)
    figures["seeds"] = seed_figures(seed_pages, records)
    entities_root, pairs_root = entities_eval.entities_dir(), story_pairs.pairs_dir()
    if entities_root is not None:
        figures["entities"] = entities_eval.entity_figures(entities_root)
        figures["quotes"] = entities_eval.quote_figures(entities_root)
    if pairs_root is not None:
        figures["pairs"] = story_pairs.pair_figures(pairs_root)
    figures["stories"] = asyncio.run(story_figures({n: as_document(r) for n, r in records.items()}, dev_documents))
    if args.json:
        print(json.dumps(figures, default=lambda o: o.__dict__ if hasattr(o, "__dict__") else str(o)))
        return 0
    for per_set in figures["sets"]:
        print("\n".join(render(per_set)))
    if "planted" in figures:
        planted: PlantedFigures = figures["planted"]
        print("dedup on a planted set (copies of the dev set's gold bodies)")
        for kind, count in planted.planted.items():
            print(f"  {kind:<22}  caught {planted.caught[kind]}/{count}")
        print(
            f"  recall (≤ 2% edited)    {planted.recall(('edited 1%', 'edited 2%')):.3f}   precision {planted.precision():.3f}"
            f"   false merges {planted.false_merges}, originals merged {planted.originals_merged}"
        )
    stories: StoryFigures = figures["stories"]
    print("stories")
    print(f"  seeds                   {stories.seed_stories}  as expected: {stories.seeds_as_expected}")
    print(f"  seed duplicates         {stories.seed_duplicates} (expected 0)")
    if stories.dev_pages:
        merged = sum(len(g) for g in stories.dev_stories)
        print(
            f"  dev set                 {merged}/{stories.dev_pages} pages in {len(stories.dev_stories)} multi-page stories:"
        )
        for group in stories.dev_stories:
            print("    - " + "\n      ".join(group))
    if "pairs" in figures:
        print("\n".join(story_pairs.render(figures["pairs"])))
    else:
        print("story-pairs-dev not found beside the project: skipping the rated pairs")
    if "entities" in figures:
        print("\n".join(entities_eval.render(figures["entities"], figures["quotes"])))
    else:
        print("entities-dev not found beside the project: skipping entities and quotes on public gold")
    seeds: SeedFigures = figures["seeds"]
    print("seeds")
    print(f"  body (gold body lines)  {_fmt(seeds.body)}")
    print(f"  titles exact            {seeds.titles_exact}/{seeds.titles_total}")
    for name, value in seeds.published.items():
        print(f"  published {name[:3]}           {value}")
    print(f"  PERSON recall           {seeds.person_recall:.3f}")
    print(
        f"  gold quotes found       {seeds.quotes_found}/{seeds.quotes_total}, speaker right {seeds.quotes_speaker_right}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
