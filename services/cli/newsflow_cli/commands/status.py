"""``newsflow status``: per-stage throughput, lag and dead letters, live."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from newsflow_cli.commands.common import local_settings_or_exit


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("status", help="per-stage throughput, lag and dead letters, live")
    parser.add_argument("--data-dir", help="the embedded stack's data dir (its endpoints.json)")
    parser.add_argument(
        "--endpoint", action="append", default=[], metavar="NAME=URL", help="a service's base URL (repeatable)"
    )
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between refreshes")
    parser.add_argument("--once", action="store_true", help="print one table and exit (1 if a service is down)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from newsflow_cli.status import load_endpoints, watch

    endpoints = load_endpoints(local_settings_or_exit("status", args.data_dir).data_dir, args.endpoint)
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(watch(endpoints, args.interval, args.once))
    return 0
