"""``newsflow migrate``: create or upgrade the PostgreSQL index schema."""

from __future__ import annotations

import argparse
import asyncio
import sys

from newsflow_cli.commands.common import local_settings_or_exit


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("migrate", help="create or upgrade the PostgreSQL index schema")
    parser.add_argument("--postgres", metavar="DSN", help="default: NEWSFLOW_INDEX__POSTGRES_DSN")
    parser.set_defaults(handler=lambda args: asyncio.run(_migrate(args)))


async def _migrate(args: argparse.Namespace) -> int:
    dsn = args.postgres or local_settings_or_exit("migrate").index.postgres_dsn
    if not dsn:
        print("newsflow migrate: give --postgres DSN or set NEWSFLOW_INDEX__POSTGRES_DSN", file=sys.stderr)
        return 2
    import psycopg

    from newsflow_index.postgres_backend import migrate

    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        applied = await migrate(conn)
    print(f"applied migrations: {applied}" if applied else "schema is up to date")
    return 0
