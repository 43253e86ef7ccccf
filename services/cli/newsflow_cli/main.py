"""``newsflow``: run the embedded stack, extract files in-process, search, or run one service."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from newsflow_cli.registry import SERVICES
from newsflow_shared.logs import configure_logging
from newsflow_shared.settings import SettingsError, load_settings

log = logging.getLogger("newsflow.cli")

DEFAULT_DATA_DIR = ".newsflow"


def _data_dir(value: str | None) -> Path:
    return Path(value or os.environ.get("NEWSFLOW_DATA_DIR") or DEFAULT_DATA_DIR)


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(prog="newsflow", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

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
        help="let ingest fetch loopback and private addresses (local feeds); refused by default",
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

    extract = commands.add_parser("extract", help="clean → strip → extract files in-process; one JSON line each")
    extract.add_argument("paths", nargs="+", metavar="PATH")

    search = commands.add_parser("search", help='search the index (query syntax: words, "phrases", OR, -word)')
    search.add_argument("query")
    search.add_argument("--json", action="store_true", help="print the API's SearchResponse")
    search.add_argument("--limit", type=int, default=10, help="results per page")
    search.add_argument("--page", type=int, default=1)
    search.add_argument("--outlet")
    search.add_argument("--language")
    search.add_argument("--entity")
    search.add_argument("--no-collapse", action="store_true", help="list every report, not one per story")
    _add_backend_arguments(search)

    serve = commands.add_parser("serve", help="serve the search API and page over the configured index")
    serve.add_argument("--host", default="127.0.0.1", help="bind address (0.0.0.0 in a container)")
    serve.add_argument("--port", type=int, default=8090)
    _add_backend_arguments(serve)

    push = commands.add_parser(
        "ingest-api", help="serve the push API (POST /v1/documents) against the configured broker"
    )
    push.add_argument("--host", default="127.0.0.1", help="bind address (0.0.0.0 in a container)")
    push.add_argument("--port", type=int, default=8082)

    poll = commands.add_parser("poll", help="send each feed in FILE to ingest on its schedule (interval ± jitter)")
    poll.add_argument("file", help='lines of "URL [INTERVAL_S]"; # starts a comment')
    poll.add_argument("--interval", type=float, default=300.0, help="seconds between polls of a feed without its own")
    poll.add_argument("--once", action="store_true", help="send every feed once and exit")

    dlq = commands.add_parser("dlq", help="inspect and replay dead letters")
    dlq_commands = dlq.add_subparsers(dest="dlq_command", required=True)
    for verb, text in (
        ("list", "one line per dead letter"),
        ("show", "everything about one dead letter (REF is partition:offset or a doc_id)"),
        ("replay", "re-inject dead letters into the topic they failed on"),
    ):
        sub = dlq_commands.add_parser(verb, help=text)
        if verb == "show":
            sub.add_argument("ref")
        sub.add_argument("--reason", help="only this reason code")
        sub.add_argument("--stage", help="only this stage")
        sub.add_argument("--data-dir", help="a running embedded stack's data dir (else NEWSFLOW_* settings)")
        if verb == "list":
            sub.add_argument("--json", action="store_true", help="one JSON object per line")
        if verb == "replay":
            sub.add_argument("--again", action="store_true", help="also resend what was replayed before")

    migrate = commands.add_parser("migrate", help="create or upgrade the PostgreSQL index schema")
    migrate.add_argument("--postgres", metavar="DSN", help="default: NEWSFLOW_INDEX__POSTGRES_DSN")

    submit = commands.add_parser("submit", help="ask the configured ingest service to read paths (compose, Kubernetes)")
    submit.add_argument("paths", nargs="+", metavar="PATH", help="paths as the ingest service sees them")

    status = commands.add_parser("status", help="per-stage throughput, lag and dead letters, live")
    status.add_argument("--data-dir", help="the embedded stack's data dir (its endpoints.json)")
    status.add_argument(
        "--endpoint", action="append", default=[], metavar="NAME=URL", help="a service's base URL (repeatable)"
    )
    status.add_argument("--interval", type=float, default=2.0, help="seconds between refreshes")
    status.add_argument("--once", action="store_true", help="print one table and exit (1 if a service is down)")

    service = commands.add_parser("service", help="run one service against the configured broker and Redis")
    service.add_argument("name", choices=SERVICES)
    return parser


def _add_backend_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="the embedded stack's data dir (its tantivy index)")
    parser.add_argument(
        "--postgres",
        metavar="DSN",
        help="read the PostgreSQL index instead (default: NEWSFLOW_INDEX__POSTGRES_DSN "
        "when NEWSFLOW_INDEX__BACKEND=postgres)",
    )


def _reader_backend(args: argparse.Namespace) -> Any:
    """The index a reading command opens: PostgreSQL if asked for, else the data dir's tantivy."""
    dsn = args.postgres
    if dsn is None and os.environ.get("NEWSFLOW_INDEX__BACKEND") == "postgres":
        dsn = os.environ.get("NEWSFLOW_INDEX__POSTGRES_DSN")
    if dsn:
        from newsflow_index.postgres_backend import PostgresBackend

        return PostgresBackend(dsn)
    from newsflow_index.tantivy_backend import TantivyBackend

    index_dir = Path(os.environ["NEWSFLOW_INDEX__INDEX_DIR"]) if os.environ.get("NEWSFLOW_INDEX__INDEX_DIR") else None
    index_dir = index_dir or _data_dir(args.data_dir) / "index"
    if not index_dir.exists():
        raise SystemExit(f"no index at {index_dir}: run `newsflow run --input ...` first")
    return TantivyBackend(index_dir)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``newsflow`` console script."""
    args = build_parser().parse_args(argv)
    if args.command == "extract":
        configure_logging("ERROR")  # each failure is reported on stderr by the command itself
        from newsflow_cli.extract_cmd import run_extract

        return run_extract(args.paths)
    if args.command == "search":
        return asyncio.run(_search(args))
    if args.command == "serve":
        configure_logging(os.environ.get("NEWSFLOW_LOG_LEVEL", "INFO"))
        return asyncio.run(_serve(args))
    if args.command == "ingest-api":
        return _ingest_api(args.host, args.port)
    if args.command == "poll":
        return _poll(args)
    if args.command == "dlq":
        return asyncio.run(_dlq(args))
    if args.command == "migrate":
        return asyncio.run(_migrate(args.postgres or os.environ.get("NEWSFLOW_INDEX__POSTGRES_DSN")))
    if args.command == "service":
        return _service(args.name)
    if args.command == "submit":
        return _submit(args.paths)
    if args.command == "status":
        from newsflow_cli.status import load_endpoints, watch

        endpoints = load_endpoints(_data_dir(args.data_dir), args.endpoint)
        with contextlib.suppress(KeyboardInterrupt):
            return asyncio.run(watch(endpoints, args.interval, args.once))
        return 0
    configure_logging(os.environ.get("NEWSFLOW_LOG_LEVEL", "WARNING"))
    return asyncio.run(_run(args))


async def _search(args: argparse.Namespace) -> int:
    from newsflow_index.backend import SearchFilters
    from newsflow_index.search import SearchRequest, search

    backend = _reader_backend(args)
    try:
        request = SearchRequest(
            query=args.query,
            filters=SearchFilters(outlet=args.outlet, language=args.language, entity=args.entity),
            page=args.page,
            per_page=args.limit,
            collapse=not args.no_collapse,
        )
        response = await search(backend, request)
    finally:
        await backend.close()
    if args.json:
        print(response.model_dump_json())
        return 0
    print(
        f"{response.total} matching, {response.total_groups} stories"
        if response.collapsed
        else f"{response.total} matching"
    )
    for result in response.results:
        doc = result.document
        print(
            f"{result.score:7.2f}  {doc.doc_id}  {doc.title or '(untitled)'}\n         {doc.outlet or ''}  {doc.source}"
        )
        for label, group in (("same story", result.story_mates), ("duplicate", result.duplicates)):
            for other in group:
                print(f"         ↳ {label}: {other.doc_id}  {other.title or other.source}")
    return 0


async def _serve(args: argparse.Namespace) -> int:
    from newsflow_index.api import start_api

    backend = _reader_backend(args)
    runner, address = await start_api(backend, args.host, args.port)
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
    return 0


def _configured(command: str) -> Any:
    """The settings from the environment with logging set up; exits 2 with the problem if invalid."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"newsflow {command}: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    configure_logging(settings.log_level)
    return settings


def _ingest_api(host: str, port: int) -> int:
    from newsflow_ingest.push_api import ApiConfigurationError, serve_push_api

    settings = _configured("ingest-api")

    async def serve() -> None:
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        await serve_push_api(settings, host, port, stop, lambda url: log.info("push API at %s", url))

    try:
        asyncio.run(serve())
    except ApiConfigurationError as exc:
        print(f"newsflow ingest-api: {exc}", file=sys.stderr)
        return 2
    return 0


def _poll(args: argparse.Namespace) -> int:
    from newsflow_cli.poll import FeedSchedule, poll_forever

    try:
        settings = load_settings()
        schedule = FeedSchedule.read(Path(args.file), args.interval)
    except (SettingsError, OSError, ValueError) as exc:
        print(f"newsflow poll: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)

    async def send(sources: Sequence[str]) -> None:
        await _send_requests(settings.kafka.bootstrap_servers, _requests(sources))

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(poll_forever(schedule, send, once=args.once))
    return 0


def _connected_settings(data_dir: str | None) -> Any:
    """Settings from the environment, else from a running embedded stack's data dir."""
    from newsflow_cli.stack import STACK_SETTINGS_FILE

    if "NEWSFLOW_KAFKA__BOOTSTRAP_SERVERS" not in os.environ:
        stack_file = _data_dir(data_dir) / STACK_SETTINGS_FILE
        if not stack_file.exists():
            raise SettingsError(f"no NEWSFLOW_KAFKA__BOOTSTRAP_SERVERS, and no running stack at {stack_file.parent}")
        os.environ.update(json.loads(stack_file.read_text()))
    return load_settings()


async def _dlq(args: argparse.Namespace) -> int:
    from newsflow_cli import dlq

    try:
        settings = _connected_settings(args.data_dir)
    except SettingsError as exc:
        print(f"newsflow dlq: {exc}", file=sys.stderr)
        return 2
    letters = await dlq.read_letters(settings, args.reason, args.stage)
    if args.dlq_command == "list":
        if args.json:
            for letter in letters:
                print(json.dumps({"ref": letter.ref, **letter.record.model_dump(mode="json", exclude={"payload"})}))
        else:
            print(dlq.table(letters) if letters else "no dead letters")
        return 0
    if args.dlq_command == "show":
        found = [x for x in letters if args.ref in (x.ref, x.record.doc_id)]
        if not found:
            print(f"no dead letter {args.ref}", file=sys.stderr)
            return 1
        print("\n\n".join(dlq.detail(x) for x in found))
        return 0
    sent, before, impossible = await dlq.replay(settings, letters, again=args.again)
    print(f"replayed {sent}; {before} replayed before (--again resends them); {impossible} not replayable")
    return 0


async def _migrate(dsn: str | None) -> int:
    if not dsn:
        print("newsflow migrate: give --postgres DSN or set NEWSFLOW_INDEX__POSTGRES_DSN", file=sys.stderr)
        return 2
    import psycopg

    from newsflow_index.postgres_backend import migrate

    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        applied = await migrate(conn)
    print(f"applied migrations: {applied}" if applied else "schema is up to date")
    return 0


def _service(name: str) -> int:
    settings = _configured(f"service {name}")
    from newsflow_cli.registry import create_stage
    from newsflow_shared.kafka_admin import ensure_topics
    from newsflow_shared.runtime.faust_driver import run_stage

    # Waits (with backoff and a log line) for an unreachable broker instead of crash-looping.
    asyncio.run(ensure_topics(settings.kafka, attempts=None))
    asyncio.set_event_loop(asyncio.new_event_loop())
    run_stage(create_stage(name, settings), settings)
    return 0


def _submit(paths: Sequence[str]) -> int:
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"newsflow submit: {exc}", file=sys.stderr)
        return 2
    requests = _requests(paths)
    asyncio.run(_send_requests(settings.kafka.bootstrap_servers, requests))
    for request in requests:
        print(request.request_id)
    return 0


def _print_progress(line: str) -> None:
    if sys.stderr.isatty():
        sys.stderr.write("\r\x1b[2K" + line[:200])
    else:
        sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _requests(paths: Sequence[str]) -> list[Any]:
    from newsflow_shared.models import IngestRequest

    return [IngestRequest(request_id=f"req-{uuid.uuid4().hex[:12]}", source=p) for p in paths]


async def _send_requests(bootstrap: str, requests: Sequence[Any], rate: float | None = None) -> None:
    """Publish the ingest requests; with ``rate``, paced at that many per second."""
    from aiokafka import AIOKafkaProducer

    from newsflow_shared import topics

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        started = time.monotonic()
        for n, request in enumerate(requests):
            if rate:
                await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
            await producer.send_and_wait(topics.INGEST_REQUESTS, request.to_wire(), key=request.partition_key())
    finally:
        await producer.stop()


async def _run(args: argparse.Namespace) -> int:
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
    stack = EmbeddedStack(_data_dir(args.data_dir), overrides)
    stop_following = asyncio.Event()
    follower: asyncio.Task[None] | None = None
    sender: asyncio.Task[None] | None = None
    services_ready: asyncio.Task[float] | None = None
    server = reader = None
    push_api: asyncio.Task[None] | None = None
    summary: dict[str, Any] = {}
    exit_code = 0
    try:
        settings = await stack.start_infrastructure()
        await ensure_topics(settings.kafka)
        stack.start_services()
        ready_s = time.monotonic() - started
        services_ready = asyncio.create_task(stack.wait_ready())
        if args.wait_ready:
            await asyncio.shield(services_ready)
        sending_started = time.monotonic()
        requests = _requests(args.input)
        tracker = ProgressTracker([r.request_id for r in requests])
        follower = asyncio.create_task(follow_events(settings.kafka, tracker.observe, stop_following))
        sender = asyncio.create_task(_send_requests(settings.kafka.bootstrap_servers, requests, args.rate))
        if not args.once:
            from newsflow_index.api import start_api
            from newsflow_index.service import open_backend

            reader = open_backend(settings)
            server, address = await start_api(reader, "127.0.0.1", args.port)
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
        stop_following.set()
        if sender is not None and not sender.done():
            sender.cancel()
        for task in (follower, sender, services_ready, push_api):
            if task is not None:
                if not task.done():
                    task.cancel()
                await asyncio.gather(task, return_exceptions=True)
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
            + ("" if stack.data_dir.name == DEFAULT_DATA_DIR else f" --data-dir {stack.data_dir}")
        )
    else:
        print(json.dumps(summary))
