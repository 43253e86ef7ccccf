"""``newsflow poll FILE``: send each feed to ingest on its own schedule (interval ± jitter)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path

from newsflow_cli.commands.common import settings_or_exit
from newsflow_cli.sending import ingest_requests, send_requests
from newsflow_shared.logs import configure_logging


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("poll", help="send each feed in FILE to ingest on its schedule (interval ± jitter)")
    parser.add_argument("file", help='lines of "URL [INTERVAL_S]"; # starts a comment')
    parser.add_argument("--interval", type=float, default=300.0, help="seconds between polls of a feed without its own")
    parser.add_argument("--once", action="store_true", help="send every feed once and exit")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from newsflow_cli.poll import FeedSchedule, poll_forever

    settings = settings_or_exit("poll")
    try:
        schedule = FeedSchedule.read(Path(args.file), args.interval)
    except (OSError, ValueError) as exc:
        print(f"newsflow poll: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)

    async def send(sources: Sequence[str]) -> None:
        await send_requests(settings.kafka.bootstrap_servers, ingest_requests(sources))

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(poll_forever(schedule, send, once=args.once))
    return 0
