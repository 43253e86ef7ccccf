"""``newsflow run``: the embedded stack (broker, Redis, the five services), live progress, a summary."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
import time
from pathlib import Path
from typing import Any

from newsflow_cli.commands.common import local_settings_or_exit
from newsflow_cli.registry import SERVICES
from newsflow_cli.sending import ingest_requests, send_requests
from newsflow_shared.logs import configure_logging
from newsflow_shared.pipeline import STAGES
from newsflow_shared.settings import LocalSettings

log = logging.getLogger("newsflow.cli")

DEFAULT_DATA_DIR = LocalSettings.model_fields["data_dir"].default


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser("run", help="run the embedded stack (broker, Redis, five services)")
    run.add_argument(
        "--input",
        nargs="+",
        action="extend",
        default=[],
        metavar="SOURCE",
        help="files, directories, WARC archives, .urls lists, or page, feed or sitemap URLs",
    )
    run.add_argument(
        "--allow-private-network",
        action="store_true",
        help="let ingest fetch, and alert webhooks reach, loopback and private addresses (local feeds "
        "and receivers); refused by default",
    )
    run.add_argument("--once", action="store_true", help="exit when every input reached a terminal state")
    run.add_argument("--json", action="store_true", help="print the summary as one JSON object (last line)")
    run.add_argument("--data-dir", help=f"index, logs and state (default {DEFAULT_DATA_DIR}/)")
    run.add_argument("--timeout", type=float, default=900.0, help="--once gives up after this many seconds")
    run.add_argument("--port", type=int, default=0, help="search page port without --once (default: a free port)")
    run.add_argument(
        "--postgres", metavar="DSN", help="index into this PostgreSQL database instead of the embedded tantivy index"
    )
    run.add_argument(
        "--wait-ready", action="store_true", help="send inputs only once every stage is ready (models loaded)"
    )
    run.add_argument(
        "--rate",
        type=float,
        default=None,
        metavar="PER_S",
        help="send at most this many inputs per second (paced load)",
    )
    run.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    local = local_settings_or_exit("run", args.data_dir)
    # The progress line speaks for the stack; its own log is quiet unless NEWSFLOW_LOG_LEVEL says otherwise.
    configure_logging(local.log_level if "log_level" in local.model_fields_set else "WARNING")
    return asyncio.run(_run(args, local))


async def _run(args: argparse.Namespace, local: LocalSettings) -> int:
    from newsflow_cli.progress import ProgressTracker, follow_events
    from newsflow_cli.stack import EmbeddedStack
    from newsflow_shared.kafka_admin import ensure_topics

    started = time.monotonic()
    shutdown = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, shutdown.set)

    overrides: dict[str, Any] = {}
    if args.postgres:
        overrides["index"] = {"backend": "postgres", "postgres_dsn": args.postgres}
    if args.allow_private_network:
        overrides["ingest"] = {"allow_private_network": True}
        overrides["alerts"] = {"allow_private_network": True}
    stack = EmbeddedStack(local.data_dir, overrides)
    stop_following = asyncio.Event()
    follower: asyncio.Task[None] | None = None
    sender: asyncio.Task[None] | None = None
    services_ready: asyncio.Task[float] | None = None
    server = reader = alerts = None
    push_api: asyncio.Task[None] | None = None
    summary: dict[str, Any] = {}
    exit_code = 0
    try:
        settings = await stack.start_infrastructure()
        await ensure_topics(settings.kafka)
        # The push API runs only beside a live stack, and its status book with it.
        stack.start_services(STAGES if args.once else SERVICES)
        ready_s = time.monotonic() - started
        services_ready = asyncio.create_task(stack.wait_ready())
        if args.wait_ready:
            await asyncio.shield(services_ready)
        sending_started = time.monotonic()
        requests = ingest_requests(args.input)
        tracker = ProgressTracker([r.request_id for r in requests])
        follower = asyncio.create_task(follow_events(settings.kafka, tracker.observe, stop_following))
        sender = asyncio.create_task(send_requests(settings.kafka.bootstrap_servers, requests, args.rate))
        if not args.once:
            from redis.asyncio import Redis

            from newsflow_index.alerts import AlertStore
            from newsflow_index.api import start_api
            from newsflow_index.service import open_backend

            reader = open_backend(settings)
            alerts = AlertStore(
                Redis.from_url(settings.redis.url), settings.alerts.events_kept, settings.alerts.stream_kept
            )
            server, address = await start_api(reader, "127.0.0.1", args.port, alerts, settings.alerts)
            push_api = asyncio.create_task(_embedded_push_api(settings, shutdown))
            print(f"newsflow is running. Search page: {address}  (Ctrl-C to stop)", file=sys.stderr)
        last_line, last_print = "", 0.0
        while not shutdown.is_set():
            stack.restart_exited()
            for task in (follower, sender):
                if task.done():
                    task.result()  # re-raises what stopped it
            line = tracker.stage_line()
            if line != last_line and time.monotonic() - last_print > 1.0:
                _print_progress(line)
                last_line, last_print = line, time.monotonic()
            if args.once and tracker.done:
                break
            if args.once and time.monotonic() - started > args.timeout:
                exit_code = 3
                log.error("timed out after %.0fs with documents still pending", args.timeout)
                break
            await asyncio.sleep(0.1)
        finished = time.monotonic()
        summary = {
            **tracker.summary(),
            "elapsed_s": round(finished - started, 2),
            "ready_s": round(ready_s, 2),
            "processing_s": round(finished - sending_started, 2),  # first input sent → last terminal
        }
        if services_ready.done() and services_ready.exception() is None:
            # From `newsflow run` starting to every stage having loaded its models.
            summary["services_ready_s"] = round(ready_s + services_ready.result(), 2)
        if exit_code:
            summary["timed_out"] = True
    finally:
        if server is not None:
            await server.cleanup()
        if reader is not None:
            await reader.close()
        if alerts is not None:
            await alerts.close()
        stop_following.set()
        if sender is not None and not sender.done():
            sender.cancel()
        tasks: list[asyncio.Task[Any] | None] = [follower, sender, services_ready, push_api]
        for pending in tasks:
            if pending is not None:
                if not pending.done():
                    pending.cancel()
                await asyncio.gather(pending, return_exceptions=True)
        await asyncio.to_thread(stack.stop)
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    _print_summary(summary, stack, args.json)
    return exit_code


async def _embedded_push_api(settings: Any, stop: asyncio.Event) -> None:
    """The push API beside the embedded stack, on a free loopback port, with a fresh token."""
    import secrets

    from newsflow_ingest.push_api import serve_push_api

    token = secrets.token_urlsafe(24)
    with_token = settings.model_copy(update={"ingest": settings.ingest.model_copy(update={"api_tokens": [token]})})

    def announce(url: str) -> None:
        print(f"Push API: POST {url}/v1/documents with 'Authorization: Bearer {token}'", file=sys.stderr)

    await serve_push_api(with_token, "127.0.0.1", 0, stop, announce)


def _newsflow_command() -> str:
    """How to run ``newsflow`` again from here: the bare name only if it is on PATH."""
    import shutil

    script = Path(sys.executable).parent / "newsflow"
    if shutil.which("newsflow") == str(script):
        return "newsflow"
    if script.exists():
        with contextlib.suppress(ValueError):
            return str(script.relative_to(Path.cwd()))
        return str(script)
    return f"{sys.executable} -m newsflow_cli"


def _print_summary(summary: dict[str, Any], stack: Any, as_json: bool) -> None:
    restarts = {name: s.restarts for name, s in stack.services.items() if s.restarts}
    if stack.redis is not None and stack.redis.restarts:
        restarts["redis"] = stack.redis.restarts
    if restarts:
        summary["service_restarts"] = restarts
    if stack.peak_rss_mb:
        summary["peak_rss_mb"] = stack.peak_rss_mb
    if not as_json:
        print(
            f"\nnewsflow: {summary.get('ingested', 0)} ingested, {summary.get('indexed', 0)} indexed, "
            f"{summary.get('duplicates', 0)} duplicates, {summary.get('dead_lettered', 0)} dead-lettered, "
            f"{summary.get('dropped', 0)} dropped in {summary.get('elapsed_s', 0)}s"
        )
        for key in ("drop_reasons", "dead_letter_reasons"):
            if summary.get(key):
                print(f"  {key.replace('_', ' ')}: " + ", ".join(f"{r}={n}" for r, n in summary[key].items()))
        print(f"  index: {stack.data_dir / 'index'}   logs: {stack.logs}")
        print(
            f"  search it: {_newsflow_command()} search QUERY"
            + ("" if stack.data_dir == DEFAULT_DATA_DIR else f" --data-dir {stack.data_dir}")
        )
    else:
        print(json.dumps(summary))


def _print_progress(line: str) -> None:
    if sys.stderr.isatty():
        sys.stderr.write("\r\x1b[2K" + line[:200])
    else:
        sys.stderr.write(line + "\n")
    sys.stderr.flush()
