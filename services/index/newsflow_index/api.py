"""The search API and its web page, served over any index backend.

    GET /v1/search?q=&outlet=&language=&entity=&from=&to=&page=&per_page=&collapse=
                               (anything else, or a value out of range: 422 naming the parameter)
    GET /v1/export?q=&outlet=&language=&entity=&from=&to=&format=jsonl|csv|parquet   (streamed)
    GET /v1/stories?sort=latest|largest&q=&from=&outlet=&entity=&page=&per_page=
    GET /v1/timeline?q=&outlet=&language=&entity=&from=&to=&interval=hour|day|week&by_outlet=
    GET /v1/entities/{name}
    GET /v1/documents/{doc_id}
    GET /v1/stories/{story_id}
    GET /openapi.json
    GET /                      the page: latest stories, or search results with their timeline
    GET /stories/{id}, /entities/{name}   the page's story and entity views (one static HTML + JavaScript)
    GET /healthz, /readyz      alive; ready once the index answers (probes)

Read-only, so no authentication; bind it to loopback (the default) or behind your gateway.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from newsflow_index import export, search, views
from newsflow_index.backend import IndexBackend, SearchFilters
from newsflow_shared.http_server import start_app
from newsflow_shared.search_api import (
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

BACKEND_KEY = web.AppKey("backend", IndexBackend)
Params = TypeVar("Params", bound=QueryParams)


class InvalidParameter(ValueError):
    """A query parameter that cannot be used as given (answered with 422, naming it)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter


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
        problem = exc.errors()[0]
        name = ".".join(str(part) for part in problem["loc"]) or "query"
        message = "unknown parameter" if problem["type"] == "extra_forbidden" else problem["msg"]
        raise InvalidParameter(name, message.removeprefix("Value error, ")) from exc


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
        },
        "components": {"schemas": schemas["$defs"]},
    }


def build_app(backend: IndexBackend) -> web.Application:
    """The aiohttp application (the caller runs and closes it; the backend stays the caller's)."""
    app = web.Application()
    app[BACKEND_KEY] = backend
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
    app.router.add_get("/openapi.json", _openapi)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz)
    app.router.add_get("/", _page)
    app.router.add_get("/stories/{story_id}", _page)  # the page routes these itself
    app.router.add_get("/entities/{name:.+}", _page)
    return app


async def start_api(backend: IndexBackend, host: str, port: int) -> tuple[web.AppRunner, str]:
    """Serve the API on ``host:port`` (0: a free port); returns the runner and the page's address."""
    runner, address = await start_app(build_app(backend), host, port)
    return runner, f"{address}/"
