"""A small HTTP search endpoint served while ``newsflow run`` keeps running (127.0.0.1 only)."""

from __future__ import annotations

import html
from pathlib import Path

from aiohttp import web

from newsflow_index.search_index import SearchIndex

_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>newsflow search</title></head>
<body><form action="/"><input name="q" value="{q}" autofocus><button>Search</button></form>{results}</body></html>"""


async def start_search_server(index_dir: Path, port: int) -> tuple[web.AppRunner, str]:
    """Serve ``GET /v1/search?q=`` (JSON) and ``GET /`` (a page); returns the runner and address."""
    index = SearchIndex(index_dir)

    async def api(request: web.Request) -> web.Response:
        query = request.query.get("q", "").strip()
        if not query:
            return web.json_response({"error": "missing q"}, status=400)
        try:
            hits = index.search(query, int(request.query.get("limit", "10")))
        except ValueError as exc:
            return web.json_response({"error": f"bad query: {exc}"}, status=400)
        return web.json_response({"query": query, "hits": [vars(h) for h in hits]})

    async def page(request: web.Request) -> web.Response:
        query = request.query.get("q", "").strip()
        items = ""
        if query:
            try:
                hits = index.search(query, 20)
            except ValueError as exc:
                hits, items = [], f"<p>bad query: {html.escape(str(exc))}</p>"
            items += "".join(
                f"<li><b>{html.escape(h.title or '(untitled)')}</b> <i>{html.escape(h.outlet)}</i><br>{h.snippet}</li>"
                for h in hits
            )
            items = f"<ol>{items}</ol>"
        return web.Response(text=_PAGE.format(q=html.escape(query), results=items), content_type="text/html")

    app = web.Application()
    app.router.add_get("/v1/search", api)
    app.router.add_get("/", page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{bound}/"
