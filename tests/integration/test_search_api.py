"""The search API over real HTTP (aiohttp on a loopback port), on the embedded backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from newsflow_index.api import start_api
from newsflow_index.tantivy_backend import TantivyBackend
from newsflow_shared.search_api import DocumentResponse, SearchResponse, StoryResponse
from tests.contract.corpus import CORPUS

pytestmark = pytest.mark.integration


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    backend = TantivyBackend(tmp_path / "index")
    await backend.upsert_many(CORPUS)
    runner, address = await start_api(backend, "127.0.0.1", 0)
    try:
        async with httpx.AsyncClient(base_url=address, timeout=10) as client:
            yield client
    finally:
        await runner.cleanup()
        await backend.close()


async def test_search_returns_collapsed_results_with_facets(api: httpx.AsyncClient):
    response = await api.get("/v1/search", params={"q": "ukraine", "outlet": "", "per_page": 5})
    assert response.status_code == 200
    page = SearchResponse.model_validate_json(response.content)
    assert (page.total, page.total_groups, page.collapsed) == (3, 2, True)
    assert any(r.story_mates and r.duplicates for r in page.results)
    filtered = SearchResponse.model_validate_json(
        (await api.get("/v1/search", params={"q": "ukraine", "from": "2021-04-12", "collapse": "false"})).content
    )
    assert {r.document.doc_id for r in filtered.results} == {"call", "call-2"}


async def test_bad_parameters_are_422_naming_the_parameter(api: httpx.AsyncClient):
    for params, parameter in (
        ({"from": "yesterday"}, "from"),
        ({"to": "2021-13-45"}, "to"),
        ({"page": "two"}, "page"),
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"per_page": "0"}, "per_page"),
        ({"per_page": "101"}, "per_page"),
        ({"collapse": "maybe"}, "collapse"),
        ({"per-page": "5"}, "per-page"),
        ([("page", "1"), ("page", "2")], "page"),
    ):
        response = await api.get("/v1/search", params=params)
        assert response.status_code == 422, (params, response.text)
        body = response.json()
        assert body["parameter"] == parameter and body["error"].startswith(f"{parameter}: "), body


async def test_a_query_with_nothing_to_match_returns_nothing_and_says_why(api: httpx.AsyncClient):
    for q in ("AND OR", '"', "(((", " -  "):
        page = SearchResponse.model_validate_json((await api.get("/v1/search", params={"q": q})).content)
        assert (page.total, page.results) == (0, []), q
        assert page.notice and "no words" in page.notice, q
    everything = SearchResponse.model_validate_json((await api.get("/v1/search", params={"q": ""})).content)
    assert everything.total == 4 and everything.notice is None, "an empty query still browses everything"
    written_and = SearchResponse.model_validate_json((await api.get("/v1/search", params={"q": "ukraine AND"})).content)
    assert written_and.total == 3, "AND is the default between words, also when written"


async def test_documents_and_stories_by_id(api: httpx.AsyncClient):
    document = DocumentResponse.model_validate_json((await api.get("/v1/documents/call")).content)
    assert [d.doc_id for d in document.duplicates] == ["call-copy"]
    assert [d.doc_id for d in document.story] == ["call", "call-2"]
    story = StoryResponse.model_validate_json((await api.get("/v1/stories/story-call")).content)
    assert [d.doc_id for d in story.documents] == ["call", "call-2"]
    assert (await api.get("/v1/documents/nope")).status_code == 404
    assert (await api.get("/v1/stories/nope")).status_code == 404


async def test_openapi_describes_every_route_and_its_schemas(api: httpx.AsyncClient):
    spec = (await api.get("/openapi.json")).json()
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) == {
        "/v1/search",
        "/v1/export",
        "/v1/stories",
        "/v1/timeline",
        "/v1/entities/{name}",
        "/v1/documents/{doc_id}",
        "/v1/stories/{story_id}",
        "/v1/alerts",
        "/v1/alerts/{alert_id}",
        "/v1/alerts/{alert_id}/events",
        "/v1/stream",
    }
    assert {
        "SearchResponse",
        "DocumentResponse",
        "StoryResponse",
        "DocumentBrief",
        "AlertRequest",
        "Alert",
        "AlertEventsResponse",
        "AlertNotification",
    } <= set(spec["components"]["schemas"])
    search_parameters = {p["name"] for p in spec["paths"]["/v1/search"]["get"]["parameters"]}
    assert search_parameters == {"q", "outlet", "language", "entity", "from", "to", "page", "per_page", "collapse"}
    for route, path in spec["paths"].items():
        if route == "/v1/stream":
            assert "text/event-stream" in path["get"]["responses"]["200"]["content"]
            continue
        if route == "/v1/alerts":
            created = path["post"]["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
            assert created.removeprefix("#/components/schemas/") in spec["components"]["schemas"]
        if route == "/v1/export":
            assert {"application/x-ndjson", "text/csv; charset=utf-8"} <= set(
                path["get"]["responses"]["200"]["content"]
            )
            continue
        ok = path["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        assert ok.removeprefix("#/components/schemas/") in spec["components"]["schemas"]


async def test_probes(api: httpx.AsyncClient):
    assert (await api.get("/healthz")).status_code == 200
    ready = await api.get("/readyz")
    assert ready.status_code == 200 and ready.json()["documents"] == 4


async def test_the_page_is_served(api: httpx.AsyncClient):
    page = await api.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "/v1/search" in page.text


async def test_exports_stream_every_matching_document_in_each_format(api: httpx.AsyncClient):
    from newsflow_index.export import EXPORT_COLUMNS, read_rows

    for kind in ("jsonl", "csv", "parquet"):
        response = await api.get("/v1/export", params={"q": "ukraine", "format": kind})
        assert response.status_code == 200, response.text
        rows = list(read_rows(response.content, kind))
        search = SearchResponse.model_validate_json(
            (await api.get("/v1/search", params={"q": "ukraine", "collapse": "false", "per_page": 100})).content
        )
        canonical = {r.document.doc_id for r in search.results}
        copies = {d.doc_id for r in search.results for d in r.duplicates}
        assert sorted(r["doc_id"] for r in rows) == sorted(canonical | copies), kind
        assert {r["doc_id"] for r in rows if r["duplicate_of"]} == copies, kind
        assert all(list(r) == list(EXPORT_COLUMNS) for r in rows), kind
    assert (await api.get("/v1/export", params={"format": "xlsx"})).json()["parameter"] == "format"
    nothing = await api.get("/v1/export", params={"q": "((("})
    assert nothing.status_code == 200 and nothing.content == b""


async def test_the_stories_latest_and_largest_with_headline_outlets_and_sparkline(api: httpx.AsyncClient):
    from newsflow_shared.search_api import StoriesResponse

    latest = StoriesResponse.model_validate_json((await api.get("/v1/stories")).content)
    assert [s.story_id for s in latest.stories] == ["weather", "story-call", "blinken"], "by last report"
    call = latest.stories[1]
    assert (call.headline, call.headline_doc_id, call.reports) == ("Biden and Putin talk", "call", 2)
    assert sorted(call.outlets) == ["RFE/RL", "Reuters"] and call.sparkline == [2]
    assert call.people == ["Joe Biden", "Vladimir Putin"] and call.lead.startswith("President Joe Biden")
    largest = StoriesResponse.model_validate_json((await api.get("/v1/stories", params={"sort": "largest"})).content)
    assert largest.stories[0].story_id == "story-call" and largest.total == 3
    about = StoriesResponse.model_validate_json(
        (await api.get("/v1/stories", params={"entity": "antony blinken"})).content
    )
    assert [s.story_id for s in about.stories] == ["blinken"]
    for params in ({"sort": "random"}, {"per_page": "0"}):
        assert (await api.get("/v1/stories", params=params)).status_code == 422


async def test_a_timeline_counts_documents_and_stories_per_interval(api: httpx.AsyncClient):
    from newsflow_shared.search_api import TimelineResponse

    daily = TimelineResponse.model_validate_json(
        (await api.get("/v1/timeline", params={"q": "ukraine", "by_outlet": "true"})).content
    )
    assert [(b.start.day, b.documents, b.stories) for b in daily.buckets] == [(11, 1, 1), (12, 0, 0), (13, 2, 1)]
    assert daily.buckets[-1].outlets == {"RFE/RL": 1, "Reuters": 1} and daily.total == 3
    weekly = TimelineResponse.model_validate_json(
        (await api.get("/v1/timeline", params={"q": "ukraine", "interval": "week"})).content
    )
    assert [(b.start.isoformat()[:10], b.documents) for b in weekly.buckets] == [("2021-04-05", 1), ("2021-04-12", 2)]
    assert (await api.get("/v1/timeline", params={"interval": "month"})).json()["parameter"] == "interval"
    nothing = TimelineResponse.model_validate_json((await api.get("/v1/timeline", params={"q": "((("})).content)
    assert nothing.buckets == [] and nothing.notice


async def test_an_entity_page_has_its_mentions_stories_company_and_quotes(api: httpx.AsyncClient):
    from newsflow_shared.search_api import EntityResponse

    page = EntityResponse.model_validate_json((await api.get("/v1/entities/joe biden")).content)
    assert (page.name, page.documents) == ("Joe Biden", 2), "canonical documents only, not the copy"
    assert [s.story_id for s in page.stories] == ["story-call"]
    assert [(c.value, c.count) for c in page.co_occurring] == [("Vladimir Putin", 2)]
    assert [(b.start.day, b.documents) for b in page.timeline] == [(13, 2)]
    assert (await api.get("/v1/entities/nobody at all")).status_code == 404
    slashed = await api.get("/v1/entities/RFE/RL")
    assert slashed.json() == {"error": "entity not found"}, "a name with a slash reaches the view"
