"""Each index backend, fresh per test: tantivy in a temporary directory, PostgreSQL in a database
created for the test and dropped after it (skipped where no PostgreSQL server answers)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest

from newsflow_index.backend import IndexBackend
from newsflow_index.postgres_backend import PostgresBackend
from newsflow_index.tantivy_backend import TantivyBackend

ADMIN_DSN = os.environ.get("NEWSFLOW_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


async def create_database() -> str:
    name = f"newsflow_test_{uuid.uuid4().hex[:12]}"
    try:
        async with await psycopg.AsyncConnection.connect(ADMIN_DSN, autocommit=True, connect_timeout=3) as admin:
            await admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL at {ADMIN_DSN}: {exc}")
    return name


async def drop_database(name: str) -> None:
    async with await psycopg.AsyncConnection.connect(ADMIN_DSN, autocommit=True) as admin:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def dsn_for(database: str) -> str:
    return ADMIN_DSN.rsplit("/", 1)[0] + f"/{database}"


@pytest.fixture(params=["tantivy", "postgres"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[IndexBackend]:
    if request.param == "tantivy":
        tantivy_backend = TantivyBackend(tmp_path / "index")
        yield tantivy_backend
        await tantivy_backend.close()
        return
    database = await create_database()
    postgres_backend = PostgresBackend(dsn_for(database))
    try:
        yield postgres_backend
    finally:
        await postgres_backend.close()
        await drop_database(database)
