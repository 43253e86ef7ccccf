"""``newsflow``: run the embedded stack, extract files in-process, search, or run one service.

Each command lives in its own module under ``newsflow_cli.commands`` and registers itself there.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from newsflow_cli.commands import register_all


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(prog="newsflow", description=__doc__.splitlines()[0] if __doc__ else None)
    register_all(parser.add_subparsers(dest="command", required=True))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``newsflow`` console script."""
    args = build_parser().parse_args(argv)
    status: int = args.handler(args)
    return status
