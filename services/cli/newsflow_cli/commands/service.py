"""``newsflow service NAME``: run one service against the configured broker and Redis."""

from __future__ import annotations

import argparse
import asyncio

from newsflow_cli.commands.common import settings_or_exit
from newsflow_cli.registry import SERVICES
from newsflow_shared.logs import configure_logging


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("service", help="run one service against the configured broker and Redis")
    parser.add_argument("name", choices=SERVICES)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    settings = settings_or_exit(f"service {args.name}")
    configure_logging(settings.log_level)
    from newsflow_cli.registry import create_stage
    from newsflow_shared.kafka_admin import ensure_topics
    from newsflow_shared.runtime.faust_driver import run_stage

    # Waits (with backoff and a log line) for an unreachable broker instead of crash-looping.
    asyncio.run(ensure_topics(settings.kafka, attempts=None))
    asyncio.set_event_loop(asyncio.new_event_loop())
    run_stage(create_stage(args.name, settings), settings)
    return 0
