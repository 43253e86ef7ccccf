"""Deduplication shared by several strip workers: copies checked in the same instant.

The same assertions run against the in-memory stores (with a store that hands control to the
other worker at every call, as a network round trip does) and against a real Redis.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any

import pytest
from redis.asyncio import Redis

from newsflow_strip.dedup import Deduplicator, InMemoryClaimStore, InMemoryLshStore, LshStore, RedisLshStore
from tests.unit.services.test_dedup import edit_words, stripped


class Interleaving:
    """An LSH store that lets every other task run before each call, as a round trip would."""

    def __init__(self, inner: LshStore) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        async def after_other_tasks(*args: Any) -> Any:
            await asyncio.sleep(0)
            return await method(*args)

        return after_other_tasks


@pytest.fixture(params=["memory", "redis"])
def backing(request: Any) -> str | None:
    """``None`` for the in-memory store, else the session Redis's URL."""
    return None if request.param == "memory" else request.getfixturevalue("redis_url")


@pytest.fixture
async def near_store(backing: str | None) -> Any:
    if backing is None:
        yield Interleaving(InMemoryLshStore())
        return
    redis = Redis.from_url(backing)
    yield RedisLshStore(redis, 3600, prefix=f"it:{uuid.uuid4().hex[:8]}:near")
    await redis.aclose()


def report(pair: int) -> str:
    """A text of its own for each pair: no 5-gram in common with another pair's."""
    words = random.Random(pair).choices(VOCABULARY, k=400)
    return " ".join(f"{word}{pair}" if i % 3 == 0 else word for i, word in enumerate(words))


VOCABULARY = (
    "council vote budget road school river bridge mayor police court market harvest storm museum "
    "railway hospital election minister treaty border strike festival factory harbour"
).split()


async def test_two_workers_checking_copies_at_once_keep_exactly_one(near_store):
    workers = [Deduplicator(InMemoryClaimStore(), InMemoryClaimStore(), near_store) for _ in range(2)]
    for pair in range(12):
        original = stripped(f"p{pair}-a", report(pair))
        copy = stripped(f"p{pair}-b", edit_words(report(pair), 60))
        first, second = (original, copy) if pair % 2 else (copy, original)
        [one], [other] = await asyncio.gather(workers[0].find([first]), workers[1].find([second]))
        kept = [doc for doc, verdict in ((first, one), (second, other)) if verdict is None]
        marked = [(doc, verdict) for doc, verdict in ((first, one), (second, other)) if verdict is not None]
        assert len(kept) == 1 and len(marked) == 1, f"pair {pair}: {one}, {other}"
        [(duplicate, verdict)] = marked
        assert (verdict.reason, verdict.canonical_id) == ("duplicate_near", kept[0].doc_id)
        stored = await near_store.signatures([original.doc_id, copy.doc_id])
        assert set(stored) == {kept[0].doc_id}, "the duplicate leaves nothing behind"

        # Either copy redelivered, to either worker, gets the same verdict as the first time.
        again = await workers[pair % 2].find([duplicate, kept[0]])
        assert again[0] is not None and again[0].canonical_id == kept[0].doc_id and again[1] is None


async def test_three_copies_at_once_point_at_the_one_kept_never_at_each_other(near_store):
    dedup = Deduplicator(InMemoryClaimStore(), InMemoryClaimStore(), near_store)
    copies = [stripped(f"copy-{n}", edit_words(report(99), 50 + n)) for n in range(3)]
    verdicts = [v for [v] in await asyncio.gather(*(dedup.find([doc]) for doc in copies))]
    kept = [doc.doc_id for doc, verdict in zip(copies, verdicts, strict=True) if verdict is None]
    assert len(kept) == 1
    assert sorted(v.canonical_id for v in verdicts if v is not None) == [kept[0], kept[0]]
