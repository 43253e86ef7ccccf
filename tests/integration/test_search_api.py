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


async def test_bad_parameters_are_400_with_the_reason(api: httpx.AsyncClient):
    for params, reason in (({"from": "yesterday"}, "from"), ({"page": "two"}, "page")):
        response = await api.get("/v1/search", params=params)
        assert response.status_code == 400 and reason in response.json()["error"]


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
    assert set(spec["paths"]) == {"/v1/search", "/v1/documents/{doc_id}", "/v1/stories/{story_id}"}
    assert {"SearchResponse", "DocumentResponse", "StoryResponse", "DocumentBrief"} <= set(
        spec["components"]["schemas"]
    )
    for path in spec["paths"].values():
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
