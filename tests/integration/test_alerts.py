"""Alerts against a real Redis, a real webhook server and the real HTTP API (loopback ports).

The stage is driven batch by batch here (``process_batch``, as the runtime calls it); the whole
stack, with a SIGKILL of the alerts service, is ``tests/e2e/test_alerts.py``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from redis.asyncio import Redis

from newsflow_index.alerting import NOT_CACHED, AlertStage, create_stage
from newsflow_index.alerts import AlertStore
from newsflow_index.api import start_api
from newsflow_index.tantivy_backend import TantivyBackend
from newsflow_shared.alerts_api import AlertRequest
from newsflow_shared.http_server import start_app
from newsflow_shared.models import StageEvent
from newsflow_shared.settings import AlertSettings, Settings
from newsflow_shared.stage import Rejected
from tests.contract.corpus import doc

pytestmark = pytest.mark.integration


@dataclass
class Webhook:
    """A receiver on 127.0.0.1 that records every POST; the first ``failures`` answer 503."""

    url: str = ""
    endpoint: str = ""
    received: list[dict] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    signed: list[tuple[bytes, str]] = field(default_factory=list)  # (body, X-Newsflow-Signature)
    failures: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        if self.failures > 0:
            self.failures -= 1
            return web.Response(status=503)
        body = await request.read()
        self.received.append(json.loads(body))
        self.keys.append(request.headers.get("Idempotency-Key", ""))
        if "X-Newsflow-Signature" in request.headers:
            self.signed.append((body, request.headers["X-Newsflow-Signature"]))
        return web.Response(status=204)


@pytest.fixture
async def webhook() -> AsyncIterator[Webhook]:
    hook = Webhook()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner, address = await start_app(app, "127.0.0.1", 0)
    hook.url, hook.endpoint = f"{address}/hook", address.removeprefix("http://")
    try:
        yield hook
    finally:
        await runner.cleanup()


def _alert_settings(webhook: Webhook, **more: object) -> AlertSettings:
    return AlertSettings(allowed_private_endpoints=[webhook.endpoint], delivery_backoff_s=0.01, **more)


@pytest.fixture
async def stage(settings: Settings, webhook: Webhook) -> AsyncIterator[AlertStage]:
    built = create_stage(settings.model_copy(update={"alerts": _alert_settings(webhook)}))
    try:
        yield built
    finally:
        await built.stop()


def indexed(*doc_ids: str) -> list[StageEvent]:
    return [StageEvent(stage="index", doc_id=d, outcome="indexed") for d in doc_ids]


LIGHTHOUSE = [
    doc(f"lh-{n}", f"The lighthouse keeper number {n} reported a storm on the coast.", title=f"Storm {n}")
    for n in range(3)
]
OTHER = doc("market-1", "The market closed higher on Tuesday after a quiet session.", title="Markets")


async def test_each_matching_document_is_posted_once_even_when_its_batch_comes_again(stage, webhook, redis_url):
    await stage.cache.put_many([*LIGHTHOUSE, OTHER])
    alert = await stage.store.create(AlertRequest(query="lighthouse storm", webhook_url=webhook.url))
    events = [
        *indexed(*(d.doc_id for d in LIGHTHOUSE), OTHER.doc_id),
        StageEvent(stage="strip", doc_id="x", outcome="forwarded"),
    ]
    assert await stage.process_batch(events) == events, "a sink: every event passes, none is dead-lettered"
    await stage.process_batch(events)  # redelivered after a crash before the commit
    mine = [n for n in webhook.received if n["alert_id"] == alert.id]
    assert sorted(n["doc_id"] for n in mine) == ["lh-0", "lh-1", "lh-2"]
    assert webhook.keys[-3:] == [n["delivery_id"] for n in webhook.received[-3:]]
    logged = await stage.store.events(alert.id)
    assert sorted((e.doc_id, e.outcome, e.status) for e in logged) == [(d.doc_id, "delivered", 204) for d in LIGHTHOUSE]


async def test_an_alert_with_a_secret_signs_each_post_and_never_shows_the_secret(stage, webhook):
    signed = doc("lh-signed", "A lighthouse keeper signed the log.")
    await stage.cache.put_many([signed])
    secret = "a-long-shared-secret-for-hmac"
    alert = await stage.store.create(AlertRequest(query="lighthouse", webhook_url=webhook.url, secret=secret))
    await stage.process_batch(indexed("lh-signed"))
    body, signature = webhook.signed[-1]
    assert signature == "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert secret not in (await stage.store.get(alert.id)).model_dump_json()  # type: ignore[union-attr]


async def test_a_failing_webhook_is_retried_with_backoff_and_every_attempt_is_logged(stage, webhook):
    story_start = doc("lh-new", "A lighthouse storm began a new story.", story_id="lh-new")
    await stage.cache.put_many([story_start])
    alert = await stage.store.create(AlertRequest(query="lighthouse", webhook_url=webhook.url, on="story"))
    webhook.failures = 2
    await stage.process_batch(indexed("lh-new"))
    logged = list(reversed(await stage.store.events(alert.id)))
    assert [(e.outcome, e.attempt, e.status) for e in logged] == [
        ("retrying", 1, 503),
        ("retrying", 2, 503),
        ("delivered", 3, 204),
    ]
    assert [n["doc_id"] for n in webhook.received if n["alert_id"] == alert.id] == ["lh-new"]


async def test_a_story_alert_ignores_reports_that_join_an_existing_story(stage, webhook):
    joined = doc("lh-joined", "Another lighthouse report.", story_id="lh-new")
    await stage.cache.put_many([joined])
    alert = await stage.store.create(AlertRequest(query="lighthouse", webhook_url=webhook.url, on="story"))
    await stage.process_batch(indexed("lh-joined"))
    assert await stage.store.events(alert.id) == []


async def test_a_webhook_inside_the_network_is_not_called_unless_allowed(settings, webhook):
    guarded = create_stage(settings.model_copy(update={"alerts": AlertSettings(delivery_backoff_s=0.01)}))
    try:
        await guarded.cache.put_many([LIGHTHOUSE[0]])
        alert = await guarded.store.create(AlertRequest(query="lighthouse", webhook_url=webhook.url))
        await guarded.process_batch(indexed(LIGHTHOUSE[0].doc_id))
        (event,) = await guarded.store.events(alert.id)
        assert event.outcome == "failed" and event.attempt == 1 and "blocked" in (event.error or "")
        assert not [n for n in webhook.received if n["alert_id"] == alert.id]
    finally:
        await guarded.stop()


async def test_a_document_missing_from_the_cache_is_a_dead_letter_not_a_silent_miss(stage):
    (result,) = await stage.process_batch(indexed("never-cached"))
    assert isinstance(result, Rejected) and result.reason == NOT_CACHED


@pytest.fixture
async def api(
    tmp_path: Path, redis_url: str, webhook: Webhook
) -> AsyncIterator[tuple[httpx.AsyncClient, TantivyBackend, AlertStore]]:
    backend = TantivyBackend(tmp_path / "index")
    store = AlertStore(Redis.from_url(redis_url))
    runner, address = await start_api(backend, "127.0.0.1", 0, store, _alert_settings(webhook))
    try:
        async with httpx.AsyncClient(base_url=address, timeout=20) as client:
            yield client, backend, store
    finally:
        await runner.cleanup()
        await backend.close()
        await store.close()


async def test_alerts_are_created_listed_logged_and_deleted_over_http(api, webhook):
    client, _, _ = api
    created = await client.post("/v1/alerts", json={"query": "lighthouse", "webhook_url": webhook.url, "name": "coast"})
    assert created.status_code == 201, created.text
    alert_id = created.json()["id"]
    assert alert_id in {a["id"] for a in (await client.get("/v1/alerts")).json()["alerts"]}
    assert (await client.get(f"/v1/alerts/{alert_id}")).json()["name"] == "coast"
    assert (await client.get(f"/v1/alerts/{alert_id}/events")).json() == {"alert_id": alert_id, "events": []}
    assert (await client.delete(f"/v1/alerts/{alert_id}")).status_code == 204
    assert (await client.get(f"/v1/alerts/{alert_id}")).status_code == 404
    assert (await client.get("/v1/alerts/nope/events")).status_code == 404


@pytest.mark.parametrize(
    ("body", "field_name"),
    [
        ({"query": "((("}, "query"),
        ({"query": ""}, "query"),
        ({"query": "x", "webhook_url": "ftp://a.example/"}, "webhook_url"),
        ({"query": "x", "webhook_url": "http://10.1.2.3/hook"}, "webhook_url"),
        ({"query": "x", "unknown": 1}, "unknown"),
        ({"query": "x", "on": "often"}, "on"),
        ({"filters": {"outlet": "X"}}, "query"),
        ({"query": "x", "secret": "too short"}, "secret"),
    ],
)
async def test_a_bad_alert_is_422_naming_the_field(api, body: dict, field_name: str):
    client, _, _ = api
    answer = await client.post("/v1/alerts", json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["parameter"] == field_name


async def test_a_webhook_on_loopback_is_refused_by_the_guard_unless_allowed(tmp_path: Path, redis_url: str):
    backend, store = TantivyBackend(tmp_path / "index"), AlertStore(Redis.from_url(redis_url))
    runner, address = await start_api(backend, "127.0.0.1", 0, store, AlertSettings())
    try:
        async with httpx.AsyncClient(base_url=address) as client:
            answer = await client.post("/v1/alerts", json={"query": "x", "webhook_url": "http://127.0.0.1:9/hook"})
        assert answer.status_code == 422 and "network guard" in answer.json()["error"]
    finally:
        await runner.cleanup()
        await backend.close()
        await store.close()


async def test_the_stream_sends_each_newly_indexed_matching_document(api):
    client, backend, store = api
    # Ids of their own: the feed adds a document once per Redis, and other tests published LIGHTHOUSE.
    fresh = [d.model_copy(update={"doc_id": f"stream-{d.doc_id}"}) for d in [*LIGHTHOUSE, OTHER]]
    await backend.upsert_many(fresh)
    received: list[dict] = []

    async def listen() -> None:
        async with client.stream("GET", "/v1/stream", params={"q": "lighthouse"}) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            async for line in response.aiter_lines():
                if line.startswith("data: "):
                    received.append(json.loads(line.removeprefix("data: ")))
                    if len(received) == len(LIGHTHOUSE):
                        return

    listener = asyncio.create_task(listen())
    await asyncio.sleep(0.5)  # the client is reading from "now"
    await store.publish(fresh)
    await store.publish(fresh[:3])  # a redelivered batch adds nothing to the feed
    await asyncio.wait_for(listener, 15)
    assert [r["doc_id"] for r in received] == [d.doc_id for d in fresh[:3]]
    assert (await client.get("/v1/stream", params={"q": "((("})).status_code == 422
