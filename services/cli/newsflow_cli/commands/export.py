"""``newsflow export [QUERY]``: every matching document, one row each, to JSON lines, CSV or Parquet."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from newsflow_cli.commands.common import add_backend_arguments, reader_backend


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "export", help="write every document matching a query (default: all) as jsonl, csv or parquet"
    )
    parser.add_argument("query", nargs="?", default="", help='search syntax: words, "phrases", OR, -word')
    parser.add_argument("--format", choices=("jsonl", "csv", "parquet"), default="jsonl")
    parser.add_argument("--output", required=True, help="the file to write ('-' for standard output)")
    parser.add_argument("--outlet")
    parser.add_argument("--language")
    parser.add_argument("--entity")
    parser.add_argument("--from", dest="published_from", metavar="DATE", help="published at or after (ISO 8601)")
    parser.add_argument("--to", dest="published_to", metavar="DATE", help="published at or before (ISO 8601)")
    add_backend_arguments(parser)
    parser.set_defaults(handler=lambda args: asyncio.run(_export(args)))


def _date(value: str | None, flag: str) -> object:
    from newsflow_shared.dates import parse_iso

    if value is None:
        return None
    parsed = parse_iso(value)
    if parsed is None:
        print(f"newsflow export: {flag}: not an ISO 8601 date or datetime: {value!r}", file=sys.stderr)
        raise SystemExit(2)
    return parsed


async def _export(args: argparse.Namespace) -> int:
    from newsflow_index.backend import SearchFilters
    from newsflow_index.export import export_bytes

    filters = SearchFilters(
        outlet=args.outlet,
        language=args.language,
        entity=args.entity,
        published_from=_date(args.published_from, "--from"),  # type: ignore[arg-type]
        published_to=_date(args.published_to, "--to"),  # type: ignore[arg-type]
    )
    backend = reader_backend("export", args)
    to_stdout = args.output == "-"
    target = sys.stdout.buffer if to_stdout else Path(args.output).open("wb")
    show_progress = sys.stderr.isatty()
    rows = 0
    try:
        async for chunk, count in export_bytes(backend, args.query, filters, args.format):
            target.write(chunk)
            rows += count
            if show_progress and count:
                print(f"\rexported {rows} rows", end="", file=sys.stderr, flush=True)
    finally:
        await backend.close()
        if not to_stdout:
            target.close()
    if show_progress:
        print(file=sys.stderr)
    print(f"newsflow export: {rows} rows to {args.output} ({args.format})", file=sys.stderr)
    return 0
