"""One module per ``newsflow`` command; each registers its own parser and handler.

A command module has ``register(commands)``, which adds its sub-parser with
``set_defaults(handler=...)``; the handler takes the parsed arguments and returns the exit status.
Commands that only read (``search``, ``export``, ``serve``, ``status``, ``migrate``) load ``LocalSettings``,
which needs no broker or Redis address.
"""

from __future__ import annotations

import argparse
from types import ModuleType

from newsflow_cli.commands import (
    dlq,
    export,
    extract,
    ingest_api,
    migrate,
    poll,
    run,
    search,
    serve,
    service,
    status,
    submit,
)

COMMANDS: tuple[ModuleType, ...] = (
    run,
    extract,
    search,
    export,
    serve,
    ingest_api,
    poll,
    dlq,
    migrate,
    submit,
    status,
    service,
)


def register_all(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for module in COMMANDS:
        module.register(commands)
