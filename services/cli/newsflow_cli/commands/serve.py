"""``newsflow serve``: the search API and page over the configured index."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from newsflow_cli.commands.common import add_backend_arguments, local_settings_or_exit, reader_backend
from newsflow_shared.logs import configure_logging

log = logging.getLogger("newsflow.cli")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("serve", help="serve the search API and page over the configured index")
    parser.add_argument("--host", default="127.0.0.1", help="bind address (0.0.0.0 in a container)")
    parser.add_argument("--port", type=int, default=8090)
    add_backend_arguments(parser)
    parser.set_defaults(handler=lambda args: asyncio.run(_serve(args)))


async def _serve(args: argparse.Namespace) -> int:
    from newsflow_index.alerts import AlertStore
    from newsflow_index.api import start_api

    settings = local_settings_or_exit("serve", args.data_dir, args.postgres)
    configure_logging(settings.log_level)
    backend = reader_backend("serve", args)
    alerts = None
    if settings.redis is not None:
        from redis.asyncio import Redis

        store = Redis.from_url(settings.redis.url)
        alerts = AlertStore(store, settings.alerts.events_kept, settings.alerts.stream_kept)
    else:
        log.warning("NEWSFLOW_REDIS__URL is not set: alerts and /v1/stream answer 503")
    runner, address = await start_api(backend, args.host, args.port, alerts, settings.alerts)
    log.info("search API and page at %s", address)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        await backend.close()
        if alerts is not None:
            await alerts.close()
    return 0
