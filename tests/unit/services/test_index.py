"""The index service's pure parts: query language, story signatures and scores, the stage's routing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from newsflow_index.query import Atom, parse_query
from newsflow_index.stage import IndexStage
from newsflow_index.stories import InMemoryStoryStore, StoryClusterer, StorySignature, story_score
from newsflow_shared.models import Entity, ExtractedDocument
from newsflow_shared.stage import Dropped


def test_query_language():
    assert parse_query('Ukraine "phone call" -Crimea').alternatives == (
        (Atom(("ukraine",)), Atom(("phone", "call")), Atom(("crimea",), negated=True)),
    )
    assert parse_query("a b OR c").alternatives == ((Atom(("a",)), Atom(("b",))), (Atom(("c",)),))
    assert parse_query("Biden's").alternatives == ((Atom(("biden", "s")),),)
    assert parse_query("  OR ( ) *** ").matches_all
    assert parse_query('"unclosed phrase').alternatives == ((Atom(("unclosed", "phrase")),),)


def report(doc_id: str, lead: str, people: Sequence[str], published: datetime | None = None) -> ExtractedDocument:
    return ExtractedDocument(
        doc_id=doc_id,
        source=doc_id,
        title=None,
        body=lead,
        entities=[Entity(text=p, label="PERSON") for p in people],
        published=published,
        fingerprint=doc_id,
        fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


CALL = "President Joe Biden spoke with Vladimir Putin by phone about troops massing near Ukraine and proposed a summit"
CALL_AGAIN = (
    "Biden and Putin discussed troops massing near Ukraine in a phone call; Biden proposed a summit in a third country"
)
VISIT = (
    "Antony Blinken visited Brussels to meet allies about Ukraine and warned Russia against aggression on the border"
)


def test_people_are_compared_by_surname_and_leads_by_content_words():
    a = StorySignature.of(report("a", CALL, ["Joe Biden", "Vladimir Putin", "Biden"]))
    assert a.people == {"biden": 2, "putin": 1}
    assert "president" in a.lead and "by" not in a.lead
    same = StorySignature.of(report("b", CALL_AGAIN, ["Biden", "Putin", "Biden"]))
    other = StorySignature.of(report("c", VISIT, ["Antony Blinken"]))
    assert story_score(a, same) > 0.35 > story_score(a, other)


def test_reports_dated_far_apart_are_never_one_story():
    day = datetime(2021, 4, 13, tzinfo=UTC)
    a = StorySignature.of(report("a", CALL, ["Biden", "Putin"], day))
    b = StorySignature.of(report("b", CALL, ["Biden", "Putin"], day + timedelta(days=30)))
    assert story_score(a, b) == 0.0


async def test_clusterer_groups_one_event_and_keeps_assignments_on_redelivery():
    clusterer = StoryClusterer(InMemoryStoryStore())
    first = await clusterer.assign([report("a", CALL, ["Biden", "Putin", "Biden"]), report("c", VISIT, ["Blinken"])])
    assert first == ["a", "c"]
    assert await clusterer.assign([report("b", CALL_AGAIN, ["Biden", "Putin"])]) == ["a"]
    assert await clusterer.assign([report("b", VISIT, ["Blinken"])]) == ["a"], "a redelivery keeps its story"


class RecordingBackend:
    def __init__(self) -> None:
        self.stored: list[ExtractedDocument] = []

    async def upsert_many(self, docs: Sequence[ExtractedDocument]) -> None:
        self.stored.extend(docs)

    async def close(self) -> None:
        pass


async def test_index_stage_stores_duplicates_as_links_and_counts_them_as_duplicates():
    backend = RecordingBackend()
    stage = IndexStage(backend, cache=None, stories=StoryClusterer(InMemoryStoryStore()))  # type: ignore[arg-type]
    canonical = report("a", CALL, ["Biden", "Putin"])
    copy = report("b", CALL, ["Biden", "Putin"]).model_copy(
        update={"duplicate_of": "a", "duplicate_reason": "duplicate_exact"}
    )
    indexed, dropped = await stage.process_batch([canonical, copy])
    assert isinstance(indexed, ExtractedDocument) and indexed.story_id == "a" and "index" in indexed.timestamps
    assert isinstance(dropped, Dropped) and dropped.reason == "duplicate_exact"
    assert [(d.doc_id, d.duplicate_of) for d in backend.stored] == [("a", None), ("b", "a")]
