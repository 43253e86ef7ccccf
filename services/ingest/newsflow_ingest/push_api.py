"""The push API: clients POST documents, and ask how far each one got.

    POST /v1/documents         one document, or {"documents": [...]}; returns their ids (202)
    GET  /v1/documents/{id}    the last stage that reported on it: forwarded / indexed / dropped /
                               dead_lettered, with the reason
    GET  /openapi.json, /healthz, /readyz

Writes need ``Authorization: Bearer <token>`` (``NEWSFLOW_INGEST__API_TOKENS``) unless auth is
explicitly disabled for local use; reads need it too, since a status names documents. A request
body is capped (``api_max_request_bytes``, 413 beyond), so is the batch (``api_max_batch``) and
each document (``max_document_bytes``). Accepted documents go straight to the raw topic, keyed
by a stable id (the client's id, else the canonical URL, else the content's hash), so pushing the
same document twice updates it instead of doubling it. Document status comes from the lineage
events topic, which this server follows in its own consumer group and keeps in Redis.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import uuid
from datetime import datetime
from typing import Any

from aiohttp import web
from aiokafka import AIOKafkaProducer
from pydantic import ValidationError
from pydantic.json_schema import models_json_schema
from redis.asyncio import Redis

from newsflow_ingest.files import record_document
from newsflow_ingest.push_status import status_key
from newsflow_shared import topics
from newsflow_shared.http_server import start_app
from newsflow_shared.ingest_api import Accepted, DocumentStatus, PushedDocument, PushRequest, PushResponse
from newsflow_shared.models import RawDocument, StageEvent, stable_doc_id, utc_now
from newsflow_shared.redis_errors import text_of
from newsflow_shared.settings import Settings
from newsflow_shared.stage import Rejected
from newsflow_shared.urls import url_doc_id

log = logging.getLogger("newsflow.ingest.api")

PRODUCER_KEY = web.AppKey("producer", AIOKafkaProducer)
SETTINGS_KEY = web.AppKey("settings", Settings)
REDIS_KEY = web.AppKey("redis", Redis)


class ApiConfigurationError(RuntimeError):
    """The API would start without authentication nobody asked to disable."""


def pushed_doc_id(doc: PushedDocument) -> str:
    """Stable identity: the client's id, else the canonical URL, else the content."""
    if doc.id:
        return stable_doc_id(f"id:{doc.id}")
    if doc.url:
        return url_doc_id(doc.url)
    return stable_doc_id(f"push:{hashlib.sha256((doc.html or doc.text or '').encode()).hexdigest()}")


def raw_document(doc: PushedDocument, request_id: str, max_bytes: int) -> RawDocument | Rejected:
    """The pushed document as a raw document, by the same JSON-record mapping files use."""
    record = doc.model_dump(exclude_none=True, mode="json")
    raw = record_document(
        record,
        source=doc.url or f"push:{doc.id or request_id}",
        fallback_id=pushed_doc_id(doc),
        request_id=request_id,
        max_bytes=max_bytes,
    )
    if isinstance(raw, Rejected):
        return raw
    return raw.model_copy(update={"timestamps": {"ingest": utc_now()}})


def _error(status: int, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


@web.middleware
async def _bearer_auth(request: web.Request, handler: Any) -> web.StreamResponse:
    settings = request.app[SETTINGS_KEY].ingest
    if request.path in ("/healthz", "/readyz", "/openapi.json") or settings.api_auth_disabled:
        response: web.StreamResponse = await handler(request)
        return response
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not any(hmac.compare_digest(token.strip(), t) for t in settings.api_tokens):
        return web.json_response(
            {"error": "missing or invalid bearer token"}, status=401, headers={"WWW-Authenticate": "Bearer"}
        )
    authorized: web.StreamResponse = await handler(request)
    return authorized


async def _push(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS_KEY]
    try:
        payload = json.loads(await request.read())
    except web.HTTPRequestEntityTooLarge:
        raise
    except (ValueError, UnicodeDecodeError) as exc:
        return _error(400, f"body is not JSON: {exc}")
    try:
        batch = PushRequest.model_validate(
            payload
            if isinstance(payload, dict) and "documents" in payload
            else {"documents": payload if isinstance(payload, list) else [payload]}
        )
    except ValidationError as exc:
        problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:20]]
        return _error(400, "invalid documents", problems=problems)
    if len(batch.documents) > settings.ingest.api_max_batch:
        return _error(413, f"{len(batch.documents)} documents > {settings.ingest.api_max_batch} per request")
    request_id = f"push-{uuid.uuid4().hex[:12]}"
    mapped = [raw_document(doc, request_id, settings.ingest.max_document_bytes) for doc in batch.documents]
    too_large = [i for i, raw in enumerate(mapped) if isinstance(raw, Rejected)]
    if too_large:
        return _error(413, f"documents {too_large} exceed {settings.ingest.max_document_bytes} bytes")
    raws = [raw for raw in mapped if isinstance(raw, RawDocument)]
    producer = request.app[PRODUCER_KEY]
    sends = [await producer.send(topics.RAW, raw.to_wire(), key=raw.partition_key()) for raw in raws]
    # The lineage ledger learns of pushed documents as of any ingested ones: one ingest event for
    # the push request, listing what it became (the summary, status and metrics count from it).
    event = StageEvent(stage="ingest", doc_id=request_id, outcome="forwarded", output_ids=[r.doc_id for r in raws])
    sends.append(await producer.send(topics.EVENTS, event.to_wire(), key=event.partition_key()))
    await asyncio.gather(*sends)  # acknowledged by the broker before we answer
    log.info("accepted %d pushed documents", len(raws), extra={"stage": "ingest"})
    response = PushResponse(documents=[Accepted(doc_id=r.doc_id, status_url=f"/v1/documents/{r.doc_id}") for r in raws])
    return web.Response(status=202, text=response.model_dump_json(), content_type="application/json")


async def _status(request: web.Request) -> web.Response:
    doc_id = request.match_info["doc_id"]
    stored = await request.app[REDIS_KEY].hgetall(status_key(doc_id))
    if not stored:
        return _error(404, "no such document (or not seen by any stage yet)")
    fields = {text_of(k): text_of(v) for k, v in stored.items()}
    status = DocumentStatus(
        doc_id=doc_id,
        stage=fields["stage"],
        outcome=fields["outcome"],
        reason=fields.get("reason") or None,
        at=datetime.fromisoformat(fields["at"]),
    )
    return web.Response(text=status.model_dump_json(), content_type="application/json")


def openapi() -> dict[str, Any]:
    _, schemas = models_json_schema(
        [(PushRequest, "validation"), (PushResponse, "serialization"), (DocumentStatus, "serialization")],
        ref_template="#/components/schemas/{model}",
    )

    def ref(name: str) -> dict[str, str]:
        return {"$ref": f"#/components/schemas/{name}"}

    auth: list[dict[str, list[str]]] = [{"bearer": []}]
    return {
        "openapi": "3.1.0",
        "info": {"title": "newsflow push API", "version": "1"},
        "components": {
            "schemas": schemas["$defs"],
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "paths": {
            "/v1/documents": {
                "post": {
                    "summary": "Push one document or a batch",
                    "security": auth,
                    "requestBody": {"content": {"application/json": {"schema": ref("PushRequest")}}},
                    "responses": {
                        "202": {
                            "description": "accepted",
                            "content": {"application/json": {"schema": ref("PushResponse")}},
                        },
                        "400": {"description": "not JSON, or invalid documents"},
                        "401": {"description": "missing or invalid bearer token"},
                        "413": {"description": "request, batch or document too large"},
                    },
                }
            },
            "/v1/documents/{doc_id}": {
                "get": {
                    "summary": "How far a document got",
                    "security": auth,
                    "parameters": [{"name": "doc_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {
                        "200": {
                            "description": "its status",
                            "content": {"application/json": {"schema": ref("DocumentStatus")}},
                        },
                        "401": {"description": "missing or invalid bearer token"},
                        "404": {"description": "unknown"},
                    },
                }
            },
        },
    }


def build_app(settings: Settings, producer: AIOKafkaProducer, redis: Redis) -> web.Application:
    """The push API application (the caller owns the producer and the Redis client)."""
    if not settings.ingest.api_auth_disabled and not settings.ingest.api_tokens:
        raise ApiConfigurationError(
            "the push API needs NEWSFLOW_INGEST__API_TOKENS (a JSON list of bearer tokens), "
            "or NEWSFLOW_INGEST__API_AUTH_DISABLED=true for local use"
        )
    app = web.Application(middlewares=[_bearer_auth], client_max_size=settings.ingest.api_max_request_bytes)
    app[SETTINGS_KEY], app[PRODUCER_KEY], app[REDIS_KEY] = settings, producer, redis
    spec = openapi()

    async def _openapi(_: web.Request) -> web.Response:
        return web.json_response(spec)

    async def _healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})  # the producer is started before the server is

    app.router.add_post("/v1/documents", _push)
    app.router.add_get("/v1/documents/{doc_id}", _status)
    app.router.add_get("/openapi.json", _openapi)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _healthz)
    return app


async def serve_push_api(settings: Settings, host: str, port: int, stop: asyncio.Event, on_ready: Any = None) -> None:
    """Run the push API until ``stop`` is set. Document statuses are kept by the push-status
    service (``newsflow_ingest.push_status``), which must run beside it."""
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka.bootstrap_servers,
        acks="all",
        max_request_size=settings.kafka.max_request_bytes,
        linger_ms=settings.kafka.producer_linger_ms,
    )
    redis = Redis.from_url(settings.redis.url)
    app = build_app(settings, producer, redis)
    await producer.start()
    runner: web.AppRunner | None = None
    try:
        runner, address = await start_app(app, host, port)
        if on_ready is not None:
            on_ready(address)
        await stop.wait()
    finally:
        stop.set()
        if runner is not None:
            await runner.cleanup()
        await producer.stop()
        await redis.aclose()
