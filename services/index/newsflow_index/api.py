"""The search API and its web page, served over any index backend.

    GET /v1/search?q=&outlet=&language=&entity=&from=&to=&page=&per_page=&collapse=
    GET /v1/documents/{doc_id}
    GET /v1/stories/{story_id}
    GET /openapi.json
    GET /                      the search page (static HTML + a little JavaScript over /v1/search)
    GET /healthz, /readyz      alive; ready once the index answers (probes)

Read-only, so no authentication; bind it to loopback (the default) or behind your gateway.
"""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from newsflow_index import search
from newsflow_index.backend import IndexBackend, SearchFilters
from newsflow_shared.dates import parse_iso
from newsflow_shared.http_server import start_app
from newsflow_shared.search_api import DocumentResponse, SearchResponse, StoryResponse

BACKEND_KEY = web.AppKey("backend", IndexBackend)


class BadRequest(ValueError):
    """A request parameter that cannot be understood (answered with 400 and the reason)."""


def _date(request: web.Request, name: str) -> datetime | None:
    value = request.query.get(name, "").strip()
    if not value:
        return None
    parsed = parse_iso(value)
    if parsed is None:
        raise BadRequest(f"{name}: not an ISO 8601 date or datetime: {value!r}")
    return parsed  # a date without a zone is UTC, as every wire timestamp is


def _int(request: web.Request, name: str, default: int) -> int:
    value = request.query.get(name, "").strip()
    try:
        return int(value) if value else default
    except ValueError as exc:
        raise BadRequest(f"{name}: not an integer: {value!r}") from exc


def search_request(request: web.Request) -> search.SearchRequest:
    """The search request a query string describes."""
    query = request.query
    return search.SearchRequest(
        query=query.get("q", ""),
        filters=SearchFilters(
            outlet=query.get("outlet") or None,
            language=query.get("language") or None,
            entity=query.get("entity") or None,
            published_from=_date(request, "from"),
            published_to=_date(request, "to"),
        ),
        page=_int(request, "page", 1),
        per_page=_int(request, "per_page", 10),
        collapse=query.get("collapse", "true").lower() not in ("false", "0", "no"),
    )


def _json(model: BaseModel) -> web.Response:
    return web.Response(text=model.model_dump_json(), content_type="application/json")


def _not_found(what: str) -> web.Response:
    return web.json_response({"error": f"{what} not found"}, status=404)


async def _search(request: web.Request) -> web.Response:
    try:
        wanted = search_request(request)
    except BadRequest as exc:
        return web.json_response({"error": str(exc)}, status=400)
    return _json(await search.search(request.app[BACKEND_KEY], wanted))


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
    page = resources.files("newsflow_index").joinpath("web/search.html").read_text(encoding="utf-8")
    return web.Response(text=page, content_type="text/html")


def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 description of this API (schemas from the shared response models)."""
    _, schemas = models_json_schema(
        [(m, "serialization") for m in (SearchResponse, DocumentResponse, StoryResponse)],
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
            "400" if missing == "bad request" else "404": {"description": missing},
        }

    return {
        "openapi": "3.1.0",
        "info": {"title": "newsflow search", "version": "1"},
        "paths": {
            "/v1/search": {
                "get": {
                    "summary": "Search the corpus",
                    "parameters": [
                        param("q", 'words (AND), "phrases", OR between alternatives, -excluded'),
                        param("outlet", "only this outlet (case-insensitive)"),
                        param("language", "only this ISO 639-1 language"),
                        param("entity", "only documents naming this entity (case-insensitive)"),
                        param("from", "published at or after (ISO 8601)"),
                        param("to", "published at or before (ISO 8601)"),
                        param("page", "1-based page", "integer"),
                        param("per_page", f"results per page (≤ {search.MAX_PER_PAGE})", "integer"),
                        param("collapse", "one result per story (default true)", "boolean"),
                    ],
                    "responses": answer(SearchResponse, "bad request"),
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
    app.router.add_get("/v1/documents/{doc_id}", _document)
    app.router.add_get("/v1/stories/{story_id}", _story)
    app.router.add_get("/openapi.json", _openapi)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz)
    app.router.add_get("/", _page)
    return app


async def start_api(backend: IndexBackend, host: str, port: int) -> tuple[web.AppRunner, str]:
    """Serve the API on ``host:port`` (0: a free port); returns the runner and the page's address."""
    runner, address = await start_app(build_app(backend), host, port)
    return runner, f"{address}/"
