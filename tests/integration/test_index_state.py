"""The index's shared state in a real Redis behaves as the in-memory stores the unit tests use:
stories (centroids, term listings, per-language document frequencies in a BITFIELD, a cold
language's documents to file again) and the full names seen per surname."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from redis.asyncio import Redis

from newsflow_index.names import InMemoryNameStore, NameResolver, RedisNameStore
from newsflow_index.stories import InMemoryStoryStore, RedisStoryStore, StoryClusterer
from tests.unit.services.test_index import CALL, CALL_AGAIN, FIRST_REPORTS, VISIT, report


@pytest.fixture(params=["memory", "redis"])
def backing(request: Any) -> str | None:
    """``None`` for the in-memory stores, else the session Redis's URL."""
    return None if request.param == "memory" else request.getfixturevalue("redis_url")


@pytest.fixture
async def stores(backing: str | None) -> Any:
    if backing is None:
        yield InMemoryStoryStore(), InMemoryNameStore()
        return
    redis = Redis.from_url(backing)
    prefix = f"it:{uuid.uuid4().hex[:8]}"
    yield RedisStoryStore(redis, 3600, prefix=f"{prefix}:story"), RedisNameStore(redis, 3600, prefix=f"{prefix}:names")
    await redis.aclose()


async def test_stories_form_the_same_way_in_either_store(stores):
    story_store, _ = stores
    clusterer = StoryClusterer(story_store)
    german = report("g", "Die Bundesregierung hat am Montag über den Haushalt beraten", []).model_copy(
        update={"language": "de"}
    )
    first = await clusterer.assign(
        [report("a", CALL, ["Joe Biden", "Vladimir Putin"]), report("c", VISIT, ["Antony Blinken"]), german]
    )
    assert first.story_ids == ["a", "c", "g"]
    assert (await clusterer.assign([report("b", CALL_AGAIN, ["Biden", "Putin"])])).story_ids == ["a"]
    again = await clusterer.assign([report("b", VISIT, ["Blinken"])])
    assert again.story_ids == ["a"], "a redelivery keeps its story"
    documents, frequencies = await story_store.frequencies("en", ["putin", "bundes"])
    assert documents == 3 and frequencies["putin"] == 2 and frequencies["bundes"] == 0, "frequencies are per language"


async def test_a_cold_start_files_earlier_reports_again_the_same_way_in_either_store(stores):
    story_store, _ = stores
    clusterer = StoryClusterer(story_store)
    await clusterer.assign(FIRST_REPORTS[:4])
    assert [c.doc_id for c in await story_store.cold_documents("en")] == ["a", "w", "c", "b"]
    last = await clusterer.assign(FIRST_REPORTS[4:])
    assert last.refiled == {"a": "a", "w": "w", "c": "c", "b": "a"}
    assert await story_store.stories_of(["a", "b", "m"]) == {"a": "a", "b": "a", "m": "m"}
    assert "b" not in await story_store.stories(["b"]), "the story b left is gone"
    assert (await story_store.stories(["a"]))["a"].size == 2


async def test_lone_surnames_resolve_the_same_way_in_either_store(stores):
    _, name_store = stores
    names = NameResolver(name_store)
    await names.resolve([report("a", "x", ["Antony Blinken"]), report("b", "x", ["Antony Blinken"])])
    await names.resolve([report("a", "x", ["Antony Blinken"])])  # redelivered: counted once
    [later] = await names.resolve([report("c", "x", ["Blinken"])])
    assert [(e.text, e.aliases) for e in later.entities] == [("Antony Blinken", ("Blinken",))]
    counts = await name_store.full_names(["blinken"])
    assert counts["blinken"]["Antony Blinken"] == 2
