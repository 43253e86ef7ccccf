"""Dedup and story quality on planted sets (printed by ``make eval``, floors in the tests).

Near-duplicates: each dev-set gold body is an original; from it we plant copies of known kinds —
1%, 2% and 5% of words replaced, paragraphs shuffled, the last 20% cut, and the body re-wrapped
in another page's boilerplate and run through the strip stage. The originals go into a fresh
deduplicator, then every copy: a copy is *caught* when it is marked a duplicate of its own
original, a *false merge* when it is marked a duplicate of any other, and the originals must
not merge among themselves.

Stories: the seeds (001 and 003 report one event; the rest stand alone) and the dev set (91
pages from many sites, fetched around the same weeks: the merges it makes are listed for a
person to judge; some are the same event from different outlets).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from newsflow_index.stories import InMemoryStoryStore, StoryClusterer
from newsflow_lab.corpus import DevPage
from newsflow_shared.models import CleanDocument, ExtractedDocument, StrippedDocument
from newsflow_strip.dedup import Deduplicator, body_fingerprint
from newsflow_strip.stage import StripStage

EDIT_RATES = (0.01, 0.02, 0.05)
TRUNCATE_TO = 0.8
SEED = 20261122


@dataclass
class PlantedFigures:
    """Per kind of copy: how many were planted and how many were caught."""

    planted: Counter[str] = field(default_factory=Counter)
    caught: Counter[str] = field(default_factory=Counter)
    false_merges: int = 0
    originals_merged: int = 0

    def recall(self, kinds: Sequence[str]) -> float:
        planted = sum(self.planted[k] for k in kinds)
        return sum(self.caught[k] for k in kinds) / planted if planted else 1.0

    def precision(self) -> float:
        flagged = sum(self.caught.values()) + self.false_merges + self.originals_merged
        return sum(self.caught.values()) / flagged if flagged else 1.0


def edited(body: str, rate: float, rng: random.Random, vocabulary: Sequence[str]) -> str:
    """``body`` with ``rate`` of its words (at least one) replaced by words from elsewhere."""
    paragraphs = [p.split(" ") for p in body.split("\n\n")]
    positions = [(i, j) for i, words in enumerate(paragraphs) for j in range(len(words))]
    for i, j in rng.sample(positions, max(1, round(rate * len(positions)))):
        paragraphs[i][j] = rng.choice(vocabulary)
    return "\n\n".join(" ".join(words) for words in paragraphs)


def shuffled(body: str, rng: random.Random) -> str:
    paragraphs = body.split("\n\n")
    rng.shuffle(paragraphs)
    return "\n\n".join(paragraphs)


def truncated(body: str) -> str:
    words = body.split(" ")
    return " ".join(words[: int(len(words) * TRUNCATE_TO)])


def _stripped(doc_id: str, body: str) -> StrippedDocument:
    return StrippedDocument(
        doc_id=doc_id,
        source=doc_id,
        body=body,
        format="text",
        fingerprint=body_fingerprint(body),
        fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def _rewrapped(page: DevPage, wrapper: DevPage) -> CleanDocument:
    """``page``'s gold body between the first and last ten lines of another page's flattened text."""
    lines = [line for line in wrapper.text.split("\n") if line.strip()]
    content = "\n".join([*lines[:10], *page.gold.split("\n\n"), *lines[-10:]])
    return CleanDocument(
        doc_id=f"{page.page_id}:rewrapped",
        source=page.page_id,
        content=content,
        format="text",
        fingerprint=page.page_id,
        fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


async def planted_figures(pages: Sequence[DevPage]) -> PlantedFigures:
    """Plant every kind of copy of every page and count what dedup makes of them."""
    rng = random.Random(SEED)
    vocabulary = [w for p in pages for w in p.gold.split()][::7]
    dedup = Deduplicator.in_memory()
    figures = PlantedFigures()
    originals = await dedup.find([_stripped(p.page_id, p.gold) for p in pages])
    figures.originals_merged = sum(v is not None for v in originals)

    copies: list[tuple[str, str, StrippedDocument]] = []  # (kind, original id, copy)
    for page in pages:
        for rate in EDIT_RATES:
            kind = f"edited {rate:.0%}"
            copies.append(
                (kind, page.page_id, _stripped(f"{page.page_id}:{kind}", edited(page.gold, rate, rng, vocabulary)))
            )
        copies.append(
            ("shuffled paragraphs", page.page_id, _stripped(f"{page.page_id}:shuffled", shuffled(page.gold, rng)))
        )
        copies.append(("truncated to 80%", page.page_id, _stripped(f"{page.page_id}:truncated", truncated(page.gold))))
    strip = StripStage()
    wrappers = [pages[(i + 1) % len(pages)] for i in range(len(pages))]
    rewrapped = await strip.process_batch([_rewrapped(p, w) for p, w in zip(pages, wrappers, strict=True)])
    for page, result in zip(pages, rewrapped, strict=True):
        if isinstance(result, StrippedDocument):
            copies.append(("re-wrapped, stripped", page.page_id, result))
        else:  # the strip stage found no body: a miss, not an exception
            figures.planted["re-wrapped, stripped"] += 1

    for kind, original, copy in copies:  # one at a time: copies of one page must not match each other
        [verdict] = await dedup.find([copy])
        figures.planted[kind] += 1
        if verdict is None:
            continue
        if verdict.canonical_id == original:
            figures.caught[kind] += 1
        else:
            figures.false_merges += 1
    return figures


@dataclass(frozen=True)
class StoryFigures:
    """Story clusters on the seeds (expected: 001 and 003 together) and false merges on the dev set."""

    seed_stories: list[list[str]]
    seeds_as_expected: bool
    seed_duplicates: int
    dev_pages: int
    dev_stories: list[list[str]]
    """The dev set's stories of more than one page, as their pages' titles (or first words)."""


EXPECTED_SEED_STORY = {"001", "003"}


def as_document(record: dict[str, Any]) -> ExtractedDocument:
    """An ``ExtractedDocument`` from a ``newsflow extract`` record."""
    return ExtractedDocument(
        doc_id=record["doc_id"],
        source=record["source"],
        title=record["title"],
        body=record["body"],
        published=record["published"],
        language=record.get("language"),
        entities=record["entities"],
        fingerprint=body_fingerprint(record["body"]),
        fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


async def story_figures(seeds: dict[str, ExtractedDocument], dev: Sequence[ExtractedDocument]) -> StoryFigures:
    """Cluster the seeds, then (separately) the dev set's unrelated pages."""
    story_ids = (await StoryClusterer(InMemoryStoryStore()).assign(list(seeds.values()))).story_ids
    groups: dict[str, list[str]] = {}
    for name, story_id in zip(seeds, story_ids, strict=True):
        groups.setdefault(story_id, []).append(name[:3])
    stories = sorted(groups.values())
    expected = (
        all(len(g) == 1 or set(g) == EXPECTED_SEED_STORY for g in stories) and sorted(EXPECTED_SEED_STORY) in stories
    )
    seed_verdicts = await Deduplicator.in_memory().find([_stripped(n, d.body) for n, d in seeds.items()])
    dev_ids = (await StoryClusterer(InMemoryStoryStore()).assign(list(dev))).story_ids
    dev_groups: dict[str, list[str]] = {}
    for doc, story_id in zip(dev, dev_ids, strict=True):
        dev_groups.setdefault(story_id, []).append(doc.body[:70].replace("\n", " "))
    merged = [g for g in dev_groups.values() if len(g) > 1]
    return StoryFigures(stories, expected, sum(v is not None for v in seed_verdicts), len(dev), merged)
