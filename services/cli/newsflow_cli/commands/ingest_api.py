"""``newsflow ingest-api``: the push API (POST /v1/documents) against the configured broker."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from newsflow_cli.commands.common import settings_or_exit
from newsflow_shared.logs import configure_logging

log = logging.getLogger("newsflow.cli")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "ingest-api", help="serve the push API (POST /v1/documents) against the configured broker"
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (0.0.0.0 in a container)")
    parser.add_argument("--port", type=int, default=8082)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from newsflow_ingest.push_api import ApiConfigurationError, serve_push_api

    settings = settings_or_exit("ingest-api")
    configure_logging(settings.log_level)

    async def serve() -> None:
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        await serve_push_api(settings, args.host, args.port, stop, lambda url: log.info("push API at %s", url))

    try:
        asyncio.run(serve())
    except ApiConfigurationError as exc:
        print(f"newsflow ingest-api: {exc}", file=sys.stderr)
        return 2
    return 0
