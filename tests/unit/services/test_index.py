"""The index service's pure parts: query language, story vectors and scores, the stage's routing."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from newsflow_index import stories
from newsflow_index.names import InMemoryNameStore, NameResolver
from newsflow_index.query import Atom, parse_query
from newsflow_index.stage import IndexStage
from newsflow_index.stories import (
    STORY_THRESHOLD,
    TERM_SHARE_CAP,
    TITLE_WEIGHT,
    InMemoryStoryStore,
    Story,
    StoryClusterer,
    similarity,
    term_counts,
    weigh,
)
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
    assert parse_query("ukraine AND border") == parse_query("ukraine border"), "AND is the default"
    assert parse_query("AND OR").matches_all and parse_query('"').matches_all


def report(doc_id: str, lead: str, people: Sequence[str], published: datetime | None = None) -> ExtractedDocument:
    return ExtractedDocument(
        doc_id=doc_id,
        source=doc_id,
        title=None,
        body=lead,
        entities=[Entity(text=p, label="PERSON") for p in people],
        published=published,
        language="en",
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


def vector_of(doc: ExtractedDocument, corpus: Sequence[ExtractedDocument]) -> dict[str, float]:
    """``doc``'s story vector with document frequencies counted over ``corpus``."""
    frequencies: Counter[str] = Counter(t for d in corpus for t in set(term_counts(d)))
    return weigh(term_counts(doc), frequencies, len(corpus))


def test_terms_are_content_words_cut_to_a_stem_with_title_and_names_weighted_up():
    doc = report("a", CALL, ["Vladimir Putin"]).model_copy(update={"title": "Biden calls Putin"})
    counts = term_counts(doc)
    assert "the" not in counts and "by" not in counts and "about" not in counts, "stopwords are not terms"
    assert "massin" in counts, "words are cut to a stem, so inflections meet"
    assert counts["biden"] == 1 + TITLE_WEIGHT and counts["putin"] == (1 + TITLE_WEIGHT) * 1.5
    german = report("g", "Die Bundesregierung und der Kanzler haben am Montag beraten", []).model_copy(
        update={"language": "de"}
    )
    assert "die" not in term_counts(german) and "bundes" in term_counts(german)


def test_a_report_of_the_same_event_scores_above_the_threshold_and_another_event_below():
    corpus = [
        report("a", CALL, ["Joe Biden", "Vladimir Putin"]),
        report("b", CALL_AGAIN, ["Biden", "Putin"]),
        report("c", VISIT, ["Antony Blinken"]),
    ]
    a, same, other = (vector_of(d, corpus) for d in corpus)
    assert similarity(a, same) > STORY_THRESHOLD > similarity(a, other)


def test_one_shared_name_alone_cannot_make_a_story():
    only_name = {"trump": 1.0}
    assert similarity(only_name, dict(only_name)) == TERM_SHARE_CAP < STORY_THRESHOLD


def test_reports_dated_far_apart_are_never_one_story():
    day = datetime(2021, 4, 13, tzinfo=UTC)
    vector = vector_of(report("a", CALL, ["Biden"]), [report("a", CALL, ["Biden"])])
    story = Story("a")
    story.add(vector, day.timestamp())
    assert story.score(vector, (day + timedelta(days=1)).timestamp()) > STORY_THRESHOLD
    assert story.score(vector, (day + timedelta(days=30)).timestamp()) == 0.0


async def test_clusterer_groups_one_event_and_keeps_assignments_on_redelivery():
    clusterer = StoryClusterer(InMemoryStoryStore())
    first = await clusterer.assign([report("a", CALL, ["Biden", "Putin", "Biden"]), report("c", VISIT, ["Blinken"])])
    assert first.story_ids == ["a", "c"]
    assert (await clusterer.assign([report("b", CALL_AGAIN, ["Biden", "Putin"])])).story_ids == ["a"]
    again = await clusterer.assign([report("b", VISIT, ["Blinken"])])
    assert again.story_ids == ["a"], "a redelivery keeps its story"


WEATHER = (
    "Heavy rain flooded roads across the northern region overnight and forecasters expect more storms this weekend"
)
MATCH = "The home side won the cup final after extra time with a late goal from the young striker in front of fans"
CALL_TOLD = "Biden proposed a summit in a third country when he and Putin talked by phone about Ukraine, officials said on Tuesday"
"""The call again, in fewer shared words: one story with the others' statistics, not always with fewer."""
FIRST_REPORTS = [
    report("a", CALL, ["Joe Biden", "Vladimir Putin"]),
    report("w", WEATHER, []),
    report("c", VISIT, ["Antony Blinken"]),
    report("b", CALL_TOLD, ["Biden", "Putin"]),
    report("m", MATCH, []),
]


def _stories(store: InMemoryStoryStore) -> list[list[str]]:
    groups: dict[str, list[str]] = {}
    for doc_id, filed in sorted(store.filed.items()):
        groups.setdefault(filed.story_id, []).append(doc_id)
    return sorted(groups.values())


async def test_a_languages_first_reports_form_the_same_stories_however_the_stream_batches_them():
    # Filed batch by batch without re-filing, a and b were apart when the last batch was m alone.
    for cuts in (c for k in range(5) for c in itertools.combinations(range(1, 5), k)):
        store = InMemoryStoryStore()
        clusterer = StoryClusterer(store)
        for start, end in itertools.pairwise([0, *cuts, len(FIRST_REPORTS)]):
            await clusterer.assign(FIRST_REPORTS[start:end])
        assert _stories(store) == [["a", "b"], ["c"], ["m"], ["w"]], cuts


async def test_earlier_reports_of_a_cold_language_come_back_with_their_story_now():
    clusterer = StoryClusterer(InMemoryStoryStore())
    first = await clusterer.assign(FIRST_REPORTS[:4])
    assert first.story_ids == ["a", "w", "c", "b"] and first.refiled == {}, "four reports say too little to join"
    last = await clusterer.assign(FIRST_REPORTS[4:])
    assert last.story_ids == ["m"] and last.refiled == {"a": "a", "w": "w", "c": "c", "b": "a"}


async def test_a_cold_languages_stories_open_to_other_languages_once_it_is_warm(monkeypatch):
    monkeypatch.setattr(stories, "COLD_START_REFILE", 2)
    store = InMemoryStoryStore()
    clusterer = StoryClusterer(store)
    await clusterer.assign(FIRST_REPORTS[:2])
    assert [s.cold for s in (await store.stories(["a", "w"])).values()] == ["en", "en"]
    warming = await clusterer.assign(FIRST_REPORTS[2:3])
    assert warming.refiled == {} and await store.cold_documents("en") == []
    assert [s.cold for s in (await store.stories(["a", "w", "c"])).values()] == [None, None, None]


class RecordingBackend:
    def __init__(self) -> None:
        self.stored: list[ExtractedDocument] = []

    async def upsert_many(self, docs: Sequence[ExtractedDocument]) -> None:
        self.stored.extend(docs)

    async def documents(self, doc_ids: Sequence[str]) -> dict[str, ExtractedDocument]:
        latest = {d.doc_id: d for d in self.stored}
        return {i: latest[i] for i in doc_ids if i in latest}

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


async def test_index_stage_stores_again_the_earlier_reports_a_cold_start_moved():
    backend = RecordingBackend()
    stage = IndexStage(backend, cache=None, stories=StoryClusterer(InMemoryStoryStore()))  # type: ignore[arg-type]
    await stage.process_batch(FIRST_REPORTS[:4])
    await stage.process_batch(FIRST_REPORTS[4:])
    latest = {d.doc_id: d.story_id for d in backend.stored}
    assert latest == {"a": "a", "w": "w", "c": "c", "b": "a", "m": "m"}
    assert [d.doc_id for d in backend.stored[4:]] == ["m", "b"], "one commit: the batch, then the one that moved"


def _named(doc_id: str, *people: str) -> ExtractedDocument:
    return report(doc_id, "text", list(people))


async def test_a_lone_surname_takes_the_full_name_the_stream_uses_once_it_clearly_dominates():
    names = NameResolver(InMemoryNameStore())
    [alone] = await names.resolve([_named("a", "Blinken")])
    assert [e.text for e in alone.entities] == ["Blinken"], "no full name seen yet: kept as written"
    await names.resolve([_named("b", "Antony Blinken"), _named("c", "Antony Blinken", "Putin")])
    [later] = await names.resolve([_named("d", "Blinken", "Vladimir Putin")])
    assert [(e.text, e.aliases) for e in later.entities] == [("Antony Blinken", ("Blinken",)), ("Vladimir Putin", ())]


async def test_an_ambiguous_surname_is_left_alone_and_redeliveries_count_once():
    names = NameResolver(InMemoryNameStore())
    jane, john = _named("j1", "Jane Smith"), _named("j2", "John Smith")
    await names.resolve([jane, _named("j3", "Jane Smith"), john, _named("j4", "John Smith")])
    [lone] = await names.resolve([_named("s", "Smith")])
    assert [e.text for e in lone.entities] == ["Smith"], "two full names share the surname: no merge"
    for _ in range(5):
        await names.resolve([jane])  # redelivered: not five more votes for Jane
    [still] = await names.resolve([_named("s2", "Smith")])
    assert [e.text for e in still.entities] == ["Smith"]
