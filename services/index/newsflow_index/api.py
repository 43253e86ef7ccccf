"""The search API and its web page, served over any index backend.

    GET /v1/search?q=&outlet=&language=&entity=&from=&to=&page=&per_page=&collapse=
                               (anything else, or a value out of range: 422 naming the parameter)
    GET /v1/export?q=&outlet=&language=&entity=&from=&to=&format=jsonl|csv|parquet   (streamed)
    GET /v1/stories?sort=latest|largest&q=&from=&outlet=&entity=&page=&per_page=
    GET /v1/timeline?q=&outlet=&language=&entity=&from=&to=&interval=hour|day|week&by_outlet=
    GET /v1/entities/{name}
    GET /v1/documents/{doc_id}
    GET /v1/stories/{story_id}
    POST /v1/alerts            {query, filters, webhook_url, on}: a saved search (201); GET lists them
    GET/DELETE /v1/alerts/{id}, GET /v1/alerts/{id}/events   an alert, and its matches and deliveries
    GET /v1/stream?q=&outlet=&language=&entity=   server-sent events: newly indexed matching documents
    GET /openapi.json
    GET /                      the page: latest stories, or search results with their timeline
    GET /stories/{id}, /entities/{name}   the page's story and entity views (one static HTML + JavaScript)
    GET /healthz, /readyz      alive; ready once the index answers (probes)

The search is read-only; alerts write, and their webhooks pass the same SSRF guard as fetching.
No authentication: bind it to loopback (the default) or put it behind your gateway. Alerts and
the stream need Redis (``NEWSFLOW_REDIS__URL``); without it they answer 503 saying so.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any, TypeVar
from urllib.parse import urlsplit

from aiohttp import web
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from newsflow_index import export, search, views
from newsflow_index.alerting import webhook_policy
from newsflow_index.alerts import AlertStore, document_matches
from newsflow_index.backend import IndexBackend, SearchFilters
from newsflow_index.query import nothing_to_match, parse_query
from newsflow_shared.alerts_api import (
    Alert,
    AlertEventsResponse,
    AlertFilters,
    AlertNotification,
    AlertRequest,
    AlertsResponse,
)
from newsflow_shared.guard import BlockedAddressError, vetted_addresses
from newsflow_shared.http_server import start_app
from newsflow_shared.search_api import (
    DocumentBrief,
    DocumentResponse,
    EntityResponse,
    ExportParams,
    QueryParams,
    SearchParams,
    SearchResponse,
    StoriesParams,
    StoriesResponse,
    StoryResponse,
    TimelineParams,
    TimelineResponse,
)
from newsflow_shared.settings import AlertSettings
from newsflow_shared.stage import TransientError

log = logging.getLogger("newsflow.api")

BACKEND_KEY = web.AppKey("backend", IndexBackend)
ALERTS_KEY = web.AppKey("alerts", AlertStore)
ALERT_SETTINGS_KEY = web.AppKey("alert_settings", AlertSettings)
STREAMS_KEY: web.AppKey[set[asyncio.Task[Any]]] = web.AppKey("streams")
STREAM_HEARTBEAT_S = 15.0
STREAM_WAIT_MS = 3000
"""One wait for the feed: under the Redis client's 5 s socket timeout."""
Params = TypeVar("Params", bound=QueryParams)


class InvalidParameter(ValueError):
    """A query parameter that cannot be used as given (answered with 422, naming it)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter

    @classmethod
    def of(cls, exc: ValidationError, whole: str, unknown: str) -> InvalidParameter:
        """The first problem pydantic found, naming its parameter (``whole`` when it is no one
        field's; ``unknown`` is what an unexpected name is called)."""
        problem = exc.errors()[0]
        name = ".".join(str(part) for part in problem["loc"]) or whole
        message = unknown if problem["type"] == "extra_forbidden" else problem["msg"]
        return cls(name, message.removeprefix("Value error, "))


def query_params(request: web.Request, model: type[Params]) -> Params:
    """The validated query string of a request (an empty value counts as absent)."""
    given: dict[str, str] = {}
    for name, value in request.query.items():
        if name in given:
            raise InvalidParameter(name, "given more than once")
        given[name] = value
    try:
        return model.model_validate({k: v for k, v in given.items() if v.strip()})
    except ValidationError as exc:
        raise InvalidParameter.of(exc, "query", "unknown parameter") from exc


def filters_of(params: QueryParams) -> SearchFilters:
    """The backend's filters from the request's (the same names in both)."""
    return SearchFilters(**{f.name: getattr(params, f.name) for f in dataclasses.fields(SearchFilters)})


def search_request(params: SearchParams) -> search.SearchRequest:
    """The search request validated parameters describe."""
    return search.SearchRequest(
        query=params.q,
        filters=filters_of(params),
        page=params.page,
        per_page=params.per_page,
        collapse=params.collapse,
    )


def _json(model: BaseModel) -> web.Response:
    return web.Response(text=model.model_dump_json(), content_type="application/json")


def _not_found(what: str) -> web.Response:
    return web.json_response({"error": f"{what} not found"}, status=404)


def _invalid(exc: InvalidParameter) -> web.Response:
    return web.json_response({"error": str(exc), "parameter": exc.parameter}, status=422)


async def _search(request: web.Request) -> web.Response:
    return await _answer(request, SearchParams, lambda p: search.search(request.app[BACKEND_KEY], search_request(p)))


async def _export(request: web.Request) -> web.StreamResponse:
    try:
        params = query_params(request, ExportParams)
    except InvalidParameter as exc:
        return _invalid(exc)
    response = web.StreamResponse(
        headers={
            "Content-Type": export.MEDIA_TYPES[params.format],
            "Content-Disposition": f'attachment; filename="newsflow-export.{params.format}"',
        }
    )
    await response.prepare(request)
    async for chunk, _ in export.export_bytes(request.app[BACKEND_KEY], params.q, filters_of(params), params.format):
        if chunk:
            await response.write(chunk)
    await response.write_eof()
    return response


async def _timeline(request: web.Request) -> web.Response:
    return await _answer(
        request,
        TimelineParams,
        lambda p: views.timeline(request.app[BACKEND_KEY], p.q, filters_of(p), p.interval, p.by_outlet),
    )


async def _stories(request: web.Request) -> web.Response:
    return await _answer(
        request,
        StoriesParams,
        lambda p: views.stories(request.app[BACKEND_KEY], p.q, filters_of(p), p.sort, p.page, p.per_page),
    )


async def _answer(
    request: web.Request, model: type[Params], view: Callable[[Params], Awaitable[BaseModel]]
) -> web.Response:
    """``view``'s answer to the validated query string, or the 422 naming the bad parameter."""
    try:
        params = query_params(request, model)
    except InvalidParameter as exc:
        return _invalid(exc)
    return _json(await view(params))


async def _entity(request: web.Request) -> web.Response:
    found = await views.entity(request.app[BACKEND_KEY], request.match_info["name"])
    return _json(found) if found else _not_found("entity")


async def _document(request: web.Request) -> web.Response:
    found = await search.document(request.app[BACKEND_KEY], request.match_info["doc_id"])
    return _json(found) if found else _not_found("document")


async def _story(request: web.Request) -> web.Response:
    found = await search.story(request.app[BACKEND_KEY], request.match_info["story_id"])
    return _json(found) if found else _not_found("story")


def _alerts(request: web.Request) -> AlertStore | None:
    return request.app.get(ALERTS_KEY)


def _no_redis() -> web.Response:
    return web.json_response({"error": "alerts and the stream need Redis: set NEWSFLOW_REDIS__URL"}, status=503)


async def _create_alert(request: web.Request) -> web.Response:
    store = _alerts(request)
    if store is None:
        return _no_redis()
    try:
        body = await request.json()
        alert = AlertRequest.model_validate(body)
    except json.JSONDecodeError as exc:
        return _invalid(InvalidParameter("body", f"not JSON: {exc}"))
    except ValidationError as exc:
        return _invalid(InvalidParameter.of(exc, "body", "unknown field"))
    try:
        await _check_alert(alert, request.app[ALERT_SETTINGS_KEY])
    except InvalidParameter as exc:
        return _invalid(exc)
    created = await store.create(alert)
    return web.Response(text=created.model_dump_json(), content_type="application/json", status=201)


async def _check_alert(alert: AlertRequest, settings: AlertSettings) -> None:
    """An alert must be able to match something, and its webhook must be allowed to be called."""
    why = nothing_to_match(alert.query, parse_query(alert.query))
    if why:
        raise InvalidParameter("query", why)
    if not alert.query.strip() and alert.filters == AlertFilters():
        raise InvalidParameter("query", "an alert needs words to match or a filter (outlet, language, entity)")
    if alert.webhook_url is not None:
        parts = urlsplit(alert.webhook_url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            await vetted_addresses(parts.hostname or "", port, webhook_policy(settings), timeout=5.0)
        except BlockedAddressError as exc:
            raise InvalidParameter("webhook_url", f"refused by the network guard: {exc}") from exc
        except OSError as exc:
            raise InvalidParameter("webhook_url", str(exc)) from exc


async def _list_alerts(request: web.Request) -> web.Response:
    store = _alerts(request)
    return _json(AlertsResponse(alerts=await store.all())) if store else _no_redis()


async def _get_alert(request: web.Request) -> web.Response:
    store = _alerts(request)
    if store is None:
        return _no_redis()
    found = await store.get(request.match_info["alert_id"])
    return _json(found) if found else _not_found("alert")


async def _delete_alert(request: web.Request) -> web.Response:
    store = _alerts(request)
    if store is None:
        return _no_redis()
    return web.Response(status=204) if await store.delete(request.match_info["alert_id"]) else _not_found("alert")


async def _alert_events(request: web.Request) -> web.Response:
    store = _alerts(request)
    if store is None:
        return _no_redis()
    alert_id = request.match_info["alert_id"]
    if await store.get(alert_id) is None:
        return _not_found("alert")
    return _json(AlertEventsResponse(alert_id=alert_id, events=await store.events(alert_id)))


async def _stream(request: web.Request) -> web.StreamResponse:
    """Server-sent events: each newly indexed document that matches (``event: document``, its
    brief and ``new_story`` as data, the feed's entry id as ``id``, so a client reconnecting
    with ``Last-Event-ID`` misses nothing still kept). A comment every 15 s keeps proxies open."""
    store = _alerts(request)
    if store is None:
        return _no_redis()
    try:
        params = query_params(request, QueryParams)
    except InvalidParameter as exc:
        return _invalid(exc)
    query = parse_query(params.q)
    if why := nothing_to_match(params.q, query):
        return _invalid(InvalidParameter("q", why))
    filters = AlertFilters(outlet=params.outlet, language=params.language, entity=params.entity)
    backend = request.app[BACKEND_KEY]
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
    await response.prepare(request)
    after = request.headers.get("Last-Event-ID") or "$"
    # Open streams never end by themselves: the app cancels them when it shuts down.
    streams = request.app[STREAMS_KEY]
    task = asyncio.current_task()
    assert task is not None  # a request handler runs in a task
    streams.add(task)
    try:
        await response.write(b": streaming newly indexed documents\n\n")
        quiet_since = time.monotonic()
        while True:
            entries = await store.follow(after, block_ms=STREAM_WAIT_MS)
            if not entries:
                if time.monotonic() - quiet_since >= STREAM_HEARTBEAT_S:
                    await response.write(b": keepalive\n\n")
                    quiet_since = time.monotonic()
                continue
            quiet_since = time.monotonic()
            after = entries[-1].entry_id
            found = await backend.documents([e.doc_id for e in entries])
            for entry in entries:
                doc = found.get(entry.doc_id)
                if doc is None or not document_matches(doc, query, filters):
                    continue
                data = {**DocumentBrief.of(doc).model_dump(mode="json"), "new_story": entry.new_story}
                event = f"id: {entry.entry_id}\nevent: document\ndata: {json.dumps(data)}\n\n"
                await response.write(event.encode())
    except ConnectionResetError:  # the client went away
        pass
    except TransientError as exc:  # Redis went away: the client reconnects with Last-Event-ID
        log.warning("stream ended: %s", exc)
    finally:
        streams.discard(task)
    return response


async def _end_streams(app: web.Application) -> None:
    open_streams: set[asyncio.Task[Any]] = app[STREAMS_KEY]
    for task in list(open_streams):
        task.cancel()


async def _healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _readyz(request: web.Request) -> web.Response:
    try:
        documents = await request.app[BACKEND_KEY].count()
    except Exception as exc:  # noqa: BLE001 - any failure to read the index means not ready
        return web.json_response({"status": "index unavailable", "error": str(exc)[:500]}, status=503)
    return web.json_response({"status": "ready", "documents": documents})


async def _page(_: web.Request) -> web.Response:
    page = resources.files("newsflow_index").joinpath("web/app.html").read_text(encoding="utf-8")
    return web.Response(text=page, content_type="text/html")


def query_parameters(model: type[QueryParams]) -> list[dict[str, Any]]:
    """A route's query parameters, from the one model that validates them."""
    properties = model.model_json_schema(by_alias=True)["properties"]
    return [
        {"name": name, "in": "query", "required": False, "description": schema.pop("description", ""), "schema": schema}
        for name, schema in properties.items()
    ]


def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 description of this API (schemas from the shared response models)."""
    _, schemas = models_json_schema(
        [
            (m, "serialization")
            for m in (
                SearchResponse,
                DocumentResponse,
                StoryResponse,
                StoriesResponse,
                TimelineResponse,
                EntityResponse,
                AlertRequest,
                Alert,
                AlertsResponse,
                AlertEventsResponse,
                AlertNotification,
            )
        ],
        ref_template="#/components/schemas/{model}",
    )

    def param(name: str, description: str, kind: str = "string", where: str = "query") -> dict[str, Any]:
        return {
            "name": name,
            "in": where,
            "required": where == "path",
            "description": description,
            "schema": {"type": kind},
        }

    def ref(model: type[BaseModel]) -> dict[str, str]:
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    def answer(model: type[BaseModel], missing: str) -> dict[str, Any]:
        return {
            "200": {
                "description": "OK",
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}},
            },
            "422" if missing.startswith("a parameter") else "404": {"description": missing},
        }

    def listing(summary: str, model: type[QueryParams], response: type[BaseModel]) -> dict[str, Any]:
        return {
            "get": {
                "summary": summary,
                "parameters": query_parameters(model),
                "responses": answer(response, "a parameter is invalid or unknown (422, naming it)"),
            }
        }

    return {
        "openapi": "3.1.0",
        "info": {"title": "newsflow search", "version": "1"},
        "paths": {
            "/v1/search": {
                "get": {
                    "summary": "Search the corpus",
                    "parameters": query_parameters(SearchParams),
                    "responses": answer(SearchResponse, "a parameter is invalid or unknown (422, naming it)"),
                }
            },
            "/v1/export": {
                "get": {
                    "summary": "Every matching document, one row each (doc_id, url, outlet, title, published, "
                    "language, story_id, duplicate_of, body, entities, quotes), streamed",
                    "parameters": query_parameters(ExportParams),
                    "responses": {
                        "200": {
                            "description": "The file, streamed",
                            "content": {media: {} for media in export.MEDIA_TYPES.values()},
                        },
                        "422": {"description": "a parameter is invalid or unknown (422, naming it)"},
                    },
                }
            },
            "/v1/stories": listing(
                "The stories with a matching report, latest (by last report) or largest first",
                StoriesParams,
                StoriesResponse,
            ),
            "/v1/timeline": listing(
                "Matching documents and stories per hour, day or week (per outlet optionally)",
                TimelineParams,
                TimelineResponse,
            ),
            "/v1/entities/{name}": {
                "get": {
                    "summary": "An entity: mentions per day, its largest stories, who it appears with, its quotes",
                    "parameters": [param("name", "the entity's canonical name (case-insensitive)", where="path")],
                    "responses": answer(EntityResponse, "no document names this entity"),
                }
            },
            "/v1/documents/{doc_id}": {
                "get": {
                    "summary": "A document with its duplicates and its story",
                    "parameters": [param("doc_id", "document id", where="path")],
                    "responses": answer(DocumentResponse, "no such document"),
                }
            },
            "/v1/stories/{story_id}": {
                "get": {
                    "summary": "Every report of a story",
                    "parameters": [param("story_id", "story id", where="path")],
                    "responses": answer(StoryResponse, "no such story"),
                }
            },
            "/v1/alerts": {
                "post": {
                    "summary": "Save a search: each newly indexed matching document (or new story) is POSTed to the "
                    "webhook as an AlertNotification (retried with backoff) and logged in the alert's events",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": ref(AlertRequest)}}},
                    "responses": {
                        "201": {"description": "Created", "content": {"application/json": {"schema": ref(Alert)}}},
                        "422": {
                            "description": "a field is invalid, the query matches nothing, or the guard refuses the webhook"
                        },
                        "503": {"description": "no Redis configured"},
                    },
                },
                "get": {
                    "summary": "Every saved alert",
                    "responses": answer(AlertsResponse, "no Redis configured (503)"),
                },
            },
            "/v1/alerts/{alert_id}": {
                "get": {
                    "summary": "One alert",
                    "parameters": [param("alert_id", "alert id", where="path")],
                    "responses": answer(Alert, "no such alert"),
                },
                "delete": {
                    "summary": "Delete an alert and its events",
                    "parameters": [param("alert_id", "alert id", where="path")],
                    "responses": {"204": {"description": "Deleted"}, "404": {"description": "no such alert"}},
                },
            },
            "/v1/alerts/{alert_id}/events": {
                "get": {
                    "summary": "An alert's matches and every delivery attempt with its outcome, newest first",
                    "parameters": [param("alert_id", "alert id", where="path")],
                    "responses": answer(AlertEventsResponse, "no such alert"),
                }
            },
            "/v1/stream": {
                "get": {
                    "summary": "Server-sent events: each newly indexed document matching the query (event "
                    "'document', data: a DocumentBrief plus new_story; resumable with Last-Event-ID)",
                    "parameters": [
                        p for p in query_parameters(QueryParams) if p["name"] in ("q", "outlet", "language", "entity")
                    ],
                    "responses": {
                        "200": {"description": "the stream", "content": {"text/event-stream": {}}},
                        "422": {"description": "a parameter is invalid, or the query matches nothing"},
                        "503": {"description": "no Redis configured"},
                    },
                }
            },
        },
        "components": {"schemas": schemas["$defs"]},
    }


def build_app(
    backend: IndexBackend, alerts: AlertStore | None = None, alert_settings: AlertSettings | None = None
) -> web.Application:
    """The aiohttp application (the caller runs and closes it; the backend and the alert store
    stay the caller's). Without an alert store, alerts and the stream answer 503."""
    app = web.Application()
    app[BACKEND_KEY] = backend
    if alerts is not None:
        app[ALERTS_KEY] = alerts
    app[ALERT_SETTINGS_KEY] = alert_settings or AlertSettings()
    app[STREAMS_KEY] = set()
    app.on_shutdown.append(_end_streams)
    spec = openapi()

    async def _openapi(_: web.Request) -> web.Response:
        return web.json_response(spec)

    app.router.add_get("/v1/search", _search)
    app.router.add_get("/v1/export", _export)
    app.router.add_get("/v1/timeline", _timeline)
    app.router.add_get("/v1/stories", _stories)
    app.router.add_get("/v1/entities/{name:.+}", _entity)  # names may hold a slash ("RFE/RL")
    app.router.add_get("/v1/documents/{doc_id}", _document)
    app.router.add_get("/v1/stories/{story_id}", _story)
    app.router.add_post("/v1/alerts", _create_alert)
    app.router.add_get("/v1/alerts", _list_alerts)
    app.router.add_get("/v1/alerts/{alert_id}", _get_alert)
    app.router.add_delete("/v1/alerts/{alert_id}", _delete_alert)
    app.router.add_get("/v1/alerts/{alert_id}/events", _alert_events)
    app.router.add_get("/v1/stream", _stream)
    app.router.add_get("/openapi.json", _openapi)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz)
    app.router.add_get("/", _page)
    app.router.add_get("/stories/{story_id}", _page)  # the page routes these itself
    app.router.add_get("/entities/{name:.+}", _page)
    return app


async def start_api(
    backend: IndexBackend,
    host: str,
    port: int,
    alerts: AlertStore | None = None,
    alert_settings: AlertSettings | None = None,
) -> tuple[web.AppRunner, str]:
    """Serve the API on ``host:port`` (0: a free port); returns the runner and the page's address."""
    runner, address = await start_app(build_app(backend, alerts, alert_settings), host, port)
    return runner, f"{address}/"
