"""Starting an aiohttp application on a port (0: a free one) and learning its address."""

from __future__ import annotations

from aiohttp import web


async def start_app(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, str]:
    """Serve ``app`` on ``host:port``; returns the runner (``cleanup()`` stops it) and the base
    URL, without a trailing slash, with the port actually bound."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # aiohttp has no public accessor
    return runner, f"http://{host}:{bound}"
