"""One contract, both backends: every test here runs against tantivy and against PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newsflow_index import search
from newsflow_index.backend import IndexBackend, SearchFilters
from newsflow_index.query import parse_query
from tests.contract.corpus import CORPUS

pytestmark = pytest.mark.integration


async def ids(backend: IndexBackend, query: str, **filters: object) -> list[str]:
    return sorted(m.doc_id for m in await backend.match(parse_query(query), SearchFilters(**filters), 100))  # type: ignore[arg-type]


@pytest.fixture
async def filled(backend: IndexBackend) -> IndexBackend:
    await backend.upsert_many(CORPUS)
    return backend


async def test_upsert_is_idempotent_and_duplicates_are_not_counted(filled: IndexBackend):
    await filled.upsert_many(CORPUS[:2])
    await filled.upsert_many([CORPUS[0]])
    assert await filled.count() == 4
    assert sorted((await filled.documents(["call", "call-copy", "nope"])).keys()) == ["call", "call-copy"]


async def test_an_upsert_replaces_the_stored_document(filled: IndexBackend):
    await filled.upsert_many([CORPUS[3].model_copy(update={"title": "Dry", "body": "Sunshine all week long."})])
    assert await ids(filled, "rain") == []
    assert await ids(filled, "sunshine") == ["weather"]


async def test_words_are_anded_and_case_folded(filled: IndexBackend):
    assert await ids(filled, "Biden") == ["call", "call-2"]
    assert await ids(filled, "biden BORDER") == ["call"]
    assert await ids(filled, "biden rain") == []


async def test_phrases_or_and_exclusions(filled: IndexBackend):
    assert await ids(filled, '"phone call"') == ["call"]
    assert await ids(filled, '"call phone"') == []
    assert await ids(filled, "rain OR blinken") == ["blinken", "weather"]
    assert await ids(filled, "biden phone OR rain") == ["call", "call-2", "weather"]
    assert await ids(filled, "ukraine -putin") == ["blinken"]
    assert await ids(filled, "-ukraine") == ["weather"]


async def test_titles_and_entities_are_searched_too(filled: IndexBackend):
    assert await ids(filled, "talk") == ["call"]
    assert await ids(filled, "antony") == ["blinken"]


async def test_queries_users_type_never_fail(filled: IndexBackend):
    for query in ("Biden's", "a:b", "foo)", '"unclosed', "(((", "-", "OR", "***", "日本語"):
        await filled.match(parse_query(query), SearchFilters(), 10)
    assert await ids(filled, "") == ["blinken", "call", "call-2", "weather"]


async def test_filters(filled: IndexBackend):
    assert await ids(filled, "", outlet="rfe/rl") == ["call", "weather"]
    assert await ids(filled, "", language="fr") == ["weather"]
    assert await ids(filled, "", entity="vladimir putin") == ["call", "call-2"]
    april = {"published_from": datetime(2021, 4, 12, tzinfo=UTC), "published_to": datetime(2021, 4, 30, tzinfo=UTC)}
    assert await ids(filled, "", **april) == ["call", "call-2"]
    assert await ids(filled, "ukraine", published_to=datetime(2021, 4, 12, tzinfo=UTC)) == ["blinken"]


async def test_matches_carry_what_facets_timelines_and_stories_need(filled: IndexBackend):
    matches = {m.doc_id: m for m in await filled.match(parse_query(""), SearchFilters(), 100)}
    expected = {d.doc_id: d for d in CORPUS if d.duplicate_of is None}
    assert matches.keys() == expected.keys()
    for doc_id, match in matches.items():
        doc = expected[doc_id]
        assert (match.story_id, match.outlet, match.published) == (doc.story_id, doc.outlet, doc.published), doc_id
        assert match.entities == tuple(e.text for e in doc.entities), doc_id


async def test_ranking_puts_the_better_match_first(filled: IndexBackend):
    matches = await filled.match(parse_query("putin OR rain"), SearchFilters(), 10)
    assert {m.doc_id for m in matches} == {"call", "call-2", "weather"}
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


async def test_snippets_highlight_query_words_and_escape_the_text(filled: IndexBackend):
    snippets = await filled.snippets(parse_query("border"), ["blinken"])
    assert "<b>border</b>" in snippets["blinken"]
    assert "<script>" not in snippets["blinken"]


async def test_duplicates_are_links_reachable_from_their_canonical_document(filled: IndexBackend):
    assert "call-copy" not in await ids(filled, "republished OR biden")
    linked = await filled.duplicates_of(["call", "blinken"])
    assert [d.doc_id for d in linked["call"]] == ["call-copy"]
    assert "blinken" not in linked


async def test_story_lists_its_canonical_reports_oldest_first(filled: IndexBackend):
    assert [d.doc_id for d in await filled.story("story-call")] == ["call", "call-2"]
    assert await filled.story("no-such-story") == []


async def test_search_collapses_by_story_with_facets_and_pages(filled: IndexBackend):
    collapsed = await search.search(filled, search.SearchRequest(query="ukraine"))
    assert (collapsed.total, collapsed.total_groups) == (3, 2)
    groups = {
        r.document.doc_id: ([m.doc_id for m in r.story_mates], [d.doc_id for d in r.duplicates])
        for r in collapsed.results
    }
    head = "call" if "call" in groups else "call-2"
    assert groups[head][0] == [{"call": "call-2", "call-2": "call"}[head]]
    assert groups[head][1] == ["call-copy"]
    assert {f.value: f.count for f in collapsed.facets["entity"]} == {
        "Joe Biden": 2,
        "Vladimir Putin": 2,
        "Antony Blinken": 1,
    }
    assert {f.value: f.count for f in collapsed.facets["outlet"]} == {"RFE/RL": 1, "Reuters": 1, "France 24": 1}

    flat = await search.search(filled, search.SearchRequest(query="ukraine", collapse=False, per_page=2, page=2))
    assert (flat.total_groups, len(flat.results)) == (3, 1)


async def test_document_and_story_views(filled: IndexBackend):
    found = await search.document(filled, "call-copy")
    assert found is not None and found.document.duplicate_of == "call"
    assert [d.doc_id for d in found.duplicates] == ["call-copy"]
    story = await search.story(filled, "story-call")
    assert story is not None and [d.doc_id for d in story.documents] == ["call", "call-2"]
    assert list(story.duplicates) == ["call"]
    assert await search.document(filled, "nope") is None
