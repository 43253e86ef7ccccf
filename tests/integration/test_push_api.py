"""The push API over real HTTP against the real broker and Redis: auth, limits, ids, status."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from newsflow_ingest.push_api import ApiConfigurationError, build_app, serve_push_api
from newsflow_shared import topics
from newsflow_shared.models import RawDocument, StageEvent
from newsflow_shared.settings import Settings
from tests.integration.kafka_helpers import produce, read_until

pytestmark = pytest.mark.integration
TOKEN = "test-token-" + uuid.uuid4().hex


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    configured = settings.model_copy(
        update={
            "ingest": settings.ingest.model_copy(
                update={"api_tokens": [TOKEN], "api_max_batch": 3, "api_max_request_bytes": 64 << 10}
            )
        }
    )
    stop, ready = asyncio.Event(), asyncio.get_running_loop().create_future()
    server = asyncio.create_task(serve_push_api(configured, "127.0.0.1", 0, stop, ready.set_result))
    base = await asyncio.wait_for(ready, 30)
    async with httpx.AsyncClient(base_url=base, timeout=30, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        yield client
    stop.set()
    await server


async def test_writes_and_reads_need_the_token(api: httpx.AsyncClient):
    anonymous = {"Authorization": ""}
    assert (await api.post("/v1/documents", json={"text": "x"}, headers=anonymous)).status_code == 401
    wrong = await api.post("/v1/documents", json={"text": "x"}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"] == "Bearer"
    assert (await api.get("/v1/documents/abc", headers=anonymous)).status_code == 401
    assert (await api.get("/openapi.json", headers=anonymous)).json()["paths"]["/v1/documents"]["post"]["security"]


async def test_bad_requests_are_refused_with_reasons(api: httpx.AsyncClient):
    assert (await api.post("/v1/documents", content=b"{not json")).status_code == 400
    invalid = await api.post("/v1/documents", json={"html": "<p>a</p>", "text": "both"})
    assert invalid.status_code == 400 and "exactly one of html or text" in str(invalid.json()["problems"])
    assert (await api.post("/v1/documents", json={"text": "x", "extra": 1})).status_code == 400
    assert (await api.post("/v1/documents", json=[{"text": str(i)} for i in range(4)])).status_code == 413
    assert (await api.post("/v1/documents", content=b'{"text": "' + b"x" * (70 << 10) + b'"}')).status_code == 413


async def test_pushed_documents_reach_the_raw_topic_with_stable_ids_and_their_status_is_readable(
    api: httpx.AsyncClient, settings: Settings, service_factory
):
    service_factory("push-status")  # the status book: a sink stage on the events topic
    tag = uuid.uuid4().hex[:8]
    batch = {
        "documents": [
            {
                "html": f"<html><body><p>Story {tag}</p></body></html>",
                "url": f"https://news.example/{tag}?utm_source=x",
                "title": "T",
            },
            {"text": f"Plain report {tag}.", "id": f"client-{tag}", "published": "2021-04-13T11:34:00Z"},
        ]
    }
    accepted = await api.post("/v1/documents", json=batch)
    assert accepted.status_code == 202
    ids = [d["doc_id"] for d in accepted.json()["documents"]]
    again = await api.post("/v1/documents", json=batch)
    assert [d["doc_id"] for d in again.json()["documents"]] == ids, "the same document keeps its id"

    records = await read_until(
        settings.kafka.bootstrap_servers, topics.RAW, done=lambda k: len(k) >= 4, keep=lambda r: r.key.decode() in ids
    )
    raws = {RawDocument.model_validate_json(r.value).doc_id: RawDocument.model_validate_json(r.value) for r in records}
    assert (raws[ids[0]].content_type, raws[ids[1]].content_type) == ("text/html", "text/plain")
    assert raws[ids[0]].hints.title == "T" and "ingest" in raws[ids[0]].timestamps

    assert (await api.get(f"/v1/documents/{ids[0]}")).status_code == 404
    events = [
        StageEvent(stage="clean", doc_id=ids[0], outcome="forwarded"),
        StageEvent(stage="index", doc_id=ids[0], outcome="indexed"),
    ]
    await produce(settings.kafka.bootstrap_servers, topics.EVENTS, [(e.partition_key(), e.to_wire()) for e in events])
    late = StageEvent(stage="strip", doc_id=ids[0], outcome="forwarded")  # a redelivered earlier stage
    await produce(settings.kafka.bootstrap_servers, topics.EVENTS, [(late.partition_key(), late.to_wire())])
    for _ in range(600):
        status = await api.get(f"/v1/documents/{ids[0]}")
        if status.status_code == 200 and status.json()["stage"] == "index":
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)
    status = (await api.get(f"/v1/documents/{ids[0]}")).json()
    assert (status["stage"], status["outcome"]) == ("index", "indexed")


def test_the_api_will_not_start_open_by_accident(settings: Settings):
    with pytest.raises(ApiConfigurationError, match="API_TOKENS"):
        build_app(settings, producer=None, redis=None)  # type: ignore[arg-type]
