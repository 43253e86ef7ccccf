"""``newsflow extract PATH ...``: clean → strip → extract in-process, one JSON line per document."""

from __future__ import annotations

import argparse

from newsflow_shared.logs import configure_logging


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("extract", help="clean → strip → extract files in-process; one JSON line each")
    parser.add_argument("paths", nargs="+", metavar="PATH")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    configure_logging("ERROR")  # each failure is reported on stderr by the command itself
    from newsflow_cli.extract_cmd import run_extract

    return run_extract(args.paths)
