"""``newsflow submit PATH ...``: ask the configured ingest service to read paths."""

from __future__ import annotations

import argparse
import asyncio

from newsflow_cli.commands.common import settings_or_exit
from newsflow_cli.sending import ingest_requests, send_requests


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("submit", help="ask the configured ingest service to read paths (compose, Kubernetes)")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="paths as the ingest service sees them")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    settings = settings_or_exit("submit")
    requests = ingest_requests(args.paths)
    asyncio.run(send_requests(settings.kafka.bootstrap_servers, requests))
    for request in requests:
        print(request.request_id)
    return 0
