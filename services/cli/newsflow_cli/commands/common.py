"""What several commands share: settings that exit with the problem, and opening the index."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from newsflow_shared.settings import LocalSettings, Settings, SettingsError, load_local_settings, load_settings


def exit_on_bad_settings(command: str, exc: SettingsError) -> SystemExit:
    print(f"newsflow {command}: {exc}", file=sys.stderr)
    return SystemExit(2)


def settings_or_exit(command: str) -> Settings:
    """All settings from the environment; exits 2 naming what is missing or invalid."""
    try:
        return load_settings()
    except SettingsError as exc:
        raise exit_on_bad_settings(command, exc) from exc


def local_settings_or_exit(command: str, data_dir: str | None = None, postgres: str | None = None) -> LocalSettings:
    """The local settings (no broker or Redis needed), with a command's --data-dir and --postgres."""
    overrides: dict[str, Any] = {}
    if data_dir:
        overrides["data_dir"] = Path(data_dir)
    if postgres:
        overrides["index"] = {"backend": "postgres", "postgres_dsn": postgres}
    try:
        return load_local_settings(**overrides)
    except SettingsError as exc:
        raise exit_on_bad_settings(command, exc) from exc


def add_backend_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="the embedded stack's data dir (its tantivy index)")
    parser.add_argument(
        "--postgres",
        metavar="DSN",
        help="read the PostgreSQL index instead (default: NEWSFLOW_INDEX__POSTGRES_DSN "
        "when NEWSFLOW_INDEX__BACKEND=postgres)",
    )


def reader_backend(command: str, args: argparse.Namespace) -> Any:
    """The index a reading command opens (the index service's ``open_backend``)."""
    from newsflow_index.service import open_backend

    settings = local_settings_or_exit(command, args.data_dir, args.postgres)
    if settings.index.backend == "tantivy" and not settings.index_dir.exists():
        raise SystemExit(f"no index at {settings.index_dir}: run `newsflow run --input ...` first")
    return open_backend(settings)
