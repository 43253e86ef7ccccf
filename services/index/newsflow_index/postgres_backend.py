"""The server index backend: PostgreSQL full-text search, for deployments with several nodes.

Every index worker writes to and every search server reads from one database, so the index is
not tied to one pod's disk. Text is searched through a stored, generated ``tsvector`` (title
weighted above body, entities too) with a GIN index, using the ``simple`` configuration: no
stemming, the same words as the embedded backend, so both answer a query alike.

The schema is created and upgraded by numbered migrations (``MIGRATIONS``), applied in order
under an advisory lock by ``migrate()``: ``newsflow migrate`` runs them, and so does every index
service at start-up (idempotent, safe to race).
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql
from psycopg.abc import Query
from psycopg.types.json import Jsonb

from newsflow_index.backend import Match, SearchFilters, entity_names, story_order
from newsflow_index.query import Atom, ParsedQuery
from newsflow_shared.models import ExtractedDocument
from newsflow_shared.stage import TransientError

MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        1,
        """
        CREATE TABLE documents (
            doc_id        text PRIMARY KEY,
            duplicate_of  text,
            story_id      text NOT NULL,
            title         text NOT NULL DEFAULT '',
            body          text NOT NULL,
            outlet        text,
            language      text,
            entity_names  text[] NOT NULL DEFAULT '{}',
            entity_keys   text[] NOT NULL DEFAULT '{}',
            entity_text   text NOT NULL DEFAULT '',
            published     timestamptz,
            record        jsonb NOT NULL,
            indexed_at    timestamptz NOT NULL DEFAULT now(),
            tsv tsvector GENERATED ALWAYS AS (
                setweight(to_tsvector('simple', title), 'A')
                || setweight(to_tsvector('simple', left(body, 400000)), 'B')
                || setweight(to_tsvector('simple', entity_text), 'C')
            ) STORED
        );
        CREATE INDEX documents_tsv ON documents USING gin (tsv);
        CREATE INDEX documents_entity_keys ON documents USING gin (entity_keys);
        CREATE INDEX documents_duplicate_of ON documents (duplicate_of) WHERE duplicate_of IS NOT NULL;
        CREATE INDEX documents_story ON documents (story_id) WHERE duplicate_of IS NULL;
        CREATE INDEX documents_outlet ON documents (lower(outlet));
        CREATE INDEX documents_published ON documents (published);
        """,
    ),
)
_MIGRATION_LOCK = 0x6E657773  # "news": one advisory lock id for every newsflow migrator
_SNIPPET_START, _SNIPPET_STOP = "\x02", "\x03"  # markers no body contains, swapped for <b> after escaping

_UPSERT = """
INSERT INTO documents (doc_id, duplicate_of, story_id, title, body, outlet, language,
                       entity_names, entity_keys, entity_text, published, record)
VALUES (%(doc_id)s, %(duplicate_of)s, %(story_id)s, %(title)s, %(body)s, %(outlet)s, %(language)s,
        %(entity_names)s, %(entity_keys)s, %(entity_text)s, %(published)s, %(record)s)
ON CONFLICT (doc_id) DO UPDATE SET
    duplicate_of = EXCLUDED.duplicate_of, story_id = EXCLUDED.story_id, title = EXCLUDED.title,
    body = EXCLUDED.body, outlet = EXCLUDED.outlet, language = EXCLUDED.language,
    entity_names = EXCLUDED.entity_names, entity_keys = EXCLUDED.entity_keys, entity_text = EXCLUDED.entity_text,
    published = EXCLUDED.published, record = EXCLUDED.record, indexed_at = now()
"""


def _row(doc: ExtractedDocument) -> dict[str, Any]:
    names = entity_names(doc)
    return {
        "doc_id": doc.doc_id,
        "duplicate_of": doc.duplicate_of,
        "story_id": doc.story_id or doc.doc_id,
        "title": (doc.title or "").replace("\x00", ""),
        "body": doc.body.replace("\x00", ""),  # PostgreSQL text cannot hold NUL
        "outlet": doc.outlet,
        "language": doc.language,
        "entity_names": names,
        "entity_keys": [n.lower() for n in names],
        "entity_text": " ".join(names),  # array_to_string is not immutable, so the tsvector cannot use it
        "published": doc.published,
        "record": Jsonb(doc.model_dump(mode="json")),
    }


def _atom_sql(atom: Atom) -> sql.Composable:
    return sql.SQL("{}phraseto_tsquery('simple', {})").format(
        sql.SQL("!!") if atom.negated else sql.SQL(""), sql.Literal(" ".join(atom.words))
    )


def tsquery_sql(query: ParsedQuery) -> sql.Composable | None:
    """The query as a tsquery expression (``None``: match everything)."""
    if query.matches_all:
        return None
    alternatives = [
        sql.SQL("(") + sql.SQL(" && ").join(_atom_sql(a) for a in clause) + sql.SQL(")")
        for clause in query.alternatives
    ]
    return sql.SQL(" || ").join(alternatives)


class PostgresBackend:
    """Documents in one table of the configured database; one connection, used in turn."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._lock = asyncio.Lock()

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        if self._conn is None or self._conn.closed:
            try:
                self._conn = await psycopg.AsyncConnection.connect(self.dsn, autocommit=True)
            except psycopg.OperationalError as exc:
                raise TransientError(f"postgres unavailable: {exc}") from exc
            await migrate(self._conn)
        return self._conn

    async def _fetch(self, query: Query, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple[Any, ...]]:
        async with self._lock:
            conn = await self._connection()
            try:
                async with conn.cursor() as cur:
                    await cur.execute(query, params)  # type: ignore[arg-type,unused-ignore]  # psycopg's Query admits templates
                    return await cur.fetchall() if cur.description else []
            except psycopg.OperationalError as exc:
                self._conn = None
                raise TransientError(f"postgres unavailable: {exc}") from exc

    async def upsert_many(self, docs: Sequence[ExtractedDocument]) -> None:
        if not docs:
            return
        async with self._lock:
            conn = await self._connection()
            try:
                async with conn.transaction(), conn.cursor() as cur:
                    await cur.executemany(_UPSERT, [_row(d) for d in docs])
            except psycopg.OperationalError as exc:
                self._conn = None
                raise TransientError(f"postgres unavailable: {exc}") from exc

    async def match(self, query: ParsedQuery, filters: SearchFilters, limit: int) -> list[Match]:
        tsquery = tsquery_sql(query)
        conditions: list[sql.Composable] = [sql.SQL("duplicate_of IS NULL")]
        if tsquery is not None:
            conditions.append(sql.SQL("tsv @@ ({})").format(tsquery))
        if filters.outlet:
            conditions.append(sql.SQL("lower(outlet) = {}").format(sql.Literal(filters.outlet.lower())))
        if filters.language:
            conditions.append(sql.SQL("language = {}").format(sql.Literal(filters.language)))
        if filters.entity:
            conditions.append(sql.SQL("entity_keys @> ARRAY[{}]").format(sql.Literal(filters.entity.lower())))
        if filters.published_from:
            conditions.append(sql.SQL("published >= {}").format(sql.Literal(filters.published_from)))
        if filters.published_to:
            conditions.append(sql.SQL("published <= {}").format(sql.Literal(filters.published_to)))
        score = sql.SQL("ts_rank_cd(tsv, {})").format(tsquery) if tsquery is not None else sql.SQL("1.0")
        rows = await self._fetch(
            sql.SQL(
                "SELECT doc_id, {score}::float8, story_id, outlet, entity_names, published FROM documents"
                " WHERE {where} ORDER BY 2 DESC, doc_id LIMIT {limit}"
            ).format(score=score, where=sql.SQL(" AND ").join(conditions), limit=sql.Literal(limit))
        )
        return [Match(d, float(s), story, outlet, tuple(names), at) for d, s, story, outlet, names, at in rows]

    async def _records(self, where: sql.Composable) -> list[ExtractedDocument]:
        rows = await self._fetch(sql.SQL("SELECT record FROM documents WHERE {}").format(where))
        return [ExtractedDocument.model_validate(record) for (record,) in rows]

    async def documents(self, doc_ids: Sequence[str]) -> dict[str, ExtractedDocument]:
        if not doc_ids:
            return {}
        records = await self._records(sql.SQL("doc_id = ANY({})").format(sql.Literal(list(doc_ids))))
        return {doc.doc_id: doc for doc in records}

    async def snippets(self, query: ParsedQuery, doc_ids: Sequence[str]) -> dict[str, str]:
        if not doc_ids:
            return {}
        tsquery = tsquery_sql(query)
        if tsquery is None:
            rows = await self._fetch(
                sql.SQL("SELECT doc_id, left(body, 240) FROM documents WHERE doc_id = ANY({})").format(
                    sql.Literal(list(doc_ids))
                )
            )
            return {d: html.escape(text) for d, text in rows}
        options = f"StartSel={_SNIPPET_START}, StopSel={_SNIPPET_STOP}, MaxWords=40, MinWords=15"
        rows = await self._fetch(
            sql.SQL("SELECT doc_id, ts_headline('simple', body, {}, {}) FROM documents WHERE doc_id = ANY({})").format(
                tsquery, sql.Literal(options), sql.Literal(list(doc_ids))
            )
        )
        return {d: html.escape(text).replace(_SNIPPET_START, "<b>").replace(_SNIPPET_STOP, "</b>") for d, text in rows}

    async def duplicates_of(self, doc_ids: Sequence[str]) -> dict[str, list[ExtractedDocument]]:
        if not doc_ids:
            return {}
        records = await self._records(sql.SQL("duplicate_of = ANY({})").format(sql.Literal(list(doc_ids))))
        linked: dict[str, list[ExtractedDocument]] = {}
        for doc in sorted(records, key=lambda d: d.doc_id):
            linked.setdefault(doc.duplicate_of or "", []).append(doc)
        return linked

    async def story(self, story_id: str) -> list[ExtractedDocument]:
        where = sql.SQL("story_id = {} AND duplicate_of IS NULL").format(sql.Literal(story_id))
        return sorted(await self._records(where), key=story_order)

    async def count(self) -> int:
        [(n,)] = await self._fetch("SELECT count(*) FROM documents WHERE duplicate_of IS NULL")
        return int(n)

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None


async def migrate(conn: psycopg.AsyncConnection[Any]) -> list[int]:
    """Apply the migrations this database lacks, in order; returns the versions applied."""
    applied: list[int] = []
    async with conn.transaction(), conn.cursor() as cur:
        await cur.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        await cur.execute(
            "CREATE TABLE IF NOT EXISTS newsflow_migrations (version int PRIMARY KEY, applied_at timestamptz DEFAULT now())"
        )
        await cur.execute("SELECT version FROM newsflow_migrations")
        done = {v for (v,) in await cur.fetchall()}
        for version, statement in MIGRATIONS:
            if version not in done:
                await cur.execute(statement)
                await cur.execute("INSERT INTO newsflow_migrations (version) VALUES (%s)", (version,))
                applied.append(version)
    return applied
