"""Saved searches (alerts) and the feed of newly indexed documents, kept in Redis.

- ``newsflow:alerts`` (hash): every alert by id, as JSON. Written by ``POST /v1/alerts``, read
  by the ``alerts`` stage (``alerting.py``) at every batch, so a new alert applies at once.
- ``newsflow:alert:<id>:events`` (list, newest first, capped): each match and what became of
  delivering it (``GET /v1/alerts/{id}/events``).
- ``newsflow:alert:<id>:done:<doc_id>``: a notification the webhook acknowledged, so a
  redelivered document (the stage was killed after delivering, before committing) is not sent
  twice.
- ``newsflow:indexed`` (stream, capped): every newly indexed canonical document, once, for
  ``GET /v1/stream`` and the page's live refresh.

Matching is the search's own query language (``query.py``) applied to one document, over the
fields the indexes search (title, body, entity names) with the same filters.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from newsflow_index.backend import entity_names
from newsflow_index.query import ParsedQuery, matches, words
from newsflow_shared.alerts_api import Alert, AlertEvent, AlertFilters, AlertNotification, AlertRequest
from newsflow_shared.models import ExtractedDocument
from newsflow_shared.redis_errors import redis_state, text_of

ALERTS_KEY = "newsflow:alerts"
STREAM_KEY = "newsflow:indexed"
DELIVERED_TTL_S = 30 * 24 * 3600
_STREAM_SEEN_PREFIX = "newsflow:indexed:seen:"

# Add a document to the feed once: a redelivered "indexed" event must not show it twice.
_ADD_ONCE = """
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[4]) then
  return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', 'doc_id', ARGV[1], 'new_story', ARGV[2])
end
return false
"""


def events_key(alert_id: str) -> str:
    return f"newsflow:alert:{alert_id}:events"


def delivered_key(alert_id: str, doc_id: str) -> str:
    return f"newsflow:alert:{alert_id}:done:{doc_id}"


@dataclass(frozen=True)
class Searchable:
    """A document as a query sees it (computed once, then matched against every alert): the
    words of the fields the indexes search (title, body, each entity name), and what the
    filters compare."""

    fields: list[tuple[str, ...]]
    names: frozenset[str]  # entity names, lower-cased
    outlet: str  # lower-cased
    language: str

    @classmethod
    def of(cls, doc: ExtractedDocument) -> Searchable:
        names = entity_names(doc)
        return cls(
            [words(doc.title or ""), words(doc.body), *(words(n) for n in names)],
            frozenset(n.lower() for n in names),
            (doc.outlet or "").lower(),
            doc.language or "",
        )

    def matches(self, query: ParsedQuery, filters: AlertFilters) -> bool:
        """Whether a search for ``query`` with ``filters`` would find this document."""
        if filters.outlet and self.outlet != filters.outlet.lower():
            return False
        if filters.language and self.language != filters.language:
            return False
        if filters.entity and filters.entity.lower() not in self.names:
            return False
        return matches(query, self.fields)


def document_matches(doc: ExtractedDocument, query: ParsedQuery, filters: AlertFilters) -> bool:
    """Whether a search for ``query`` with ``filters`` would find ``doc`` (as both indexes do)."""
    return Searchable.of(doc).matches(query, filters)


def notification(alert: Alert, doc: ExtractedDocument) -> AlertNotification:
    return AlertNotification(
        delivery_id=f"{alert.id}:{doc.doc_id}",
        alert_id=alert.id,
        alert_name=alert.name,
        query=alert.query,
        doc_id=doc.doc_id,
        story_id=doc.story_id,
        new_story=starts_story(doc),
        title=doc.title,
        url=doc.url,
        outlet=doc.outlet,
        published=doc.published,
        language=doc.language,
    )


def starts_story(doc: ExtractedDocument) -> bool:
    """A story's id is the id of the document that started it."""
    return doc.story_id in (None, doc.doc_id)


@dataclass(frozen=True)
class StreamEntry:
    """One newly indexed document in the feed (its id in the Redis stream resumes a reader)."""

    entry_id: str
    doc_id: str
    new_story: bool


class AlertStore:
    """Alerts, their events and the feed of indexed documents, in Redis."""

    def __init__(self, redis: Redis, events_kept: int = 1000, stream_kept: int = 10_000) -> None:
        self.redis = redis
        self.events_kept = events_kept
        self.stream_kept = stream_kept
        self._add_once = redis.register_script(_ADD_ONCE)

    async def create(self, request: AlertRequest) -> Alert:
        alert = Alert(id=secrets.token_urlsafe(9), **dict(request))
        with redis_state("alerts"):
            await self.redis.hset(ALERTS_KEY, alert.id, alert.stored())
        return alert

    async def all(self) -> list[Alert]:
        with redis_state("alerts"):
            raw = await self.redis.hgetall(ALERTS_KEY)
        return sorted((Alert.model_validate_json(text_of(v)) for v in raw.values()), key=lambda a: a.created_at)

    async def get(self, alert_id: str) -> Alert | None:
        with redis_state("alerts"):
            raw = await self.redis.hget(ALERTS_KEY, alert_id)
        return Alert.model_validate_json(text_of(raw)) if raw else None

    async def delete(self, alert_id: str) -> bool:
        with redis_state("alerts"):
            removed = await self.redis.hdel(ALERTS_KEY, alert_id)
            await self.redis.delete(events_key(alert_id))
        return bool(removed)

    async def events(self, alert_id: str, limit: int = 100) -> list[AlertEvent]:
        with redis_state("alert events"):
            raw = await self.redis.lrange(events_key(alert_id), 0, limit - 1)
        return [AlertEvent.model_validate_json(text_of(r)) for r in raw]

    async def record(self, alert_id: str, events: Sequence[AlertEvent], doc_id: str, delivered: bool) -> None:
        """Log one match's attempts and, if it was ``delivered``, remember that, in one transaction:
        whoever sees the delivery in the events (``GET /v1/alerts/{id}/events``) may rely on it not
        being sent again."""
        with redis_state("alert events"):
            async with self.redis.pipeline(transaction=True) as pipe:
                for event in events:
                    pipe.lpush(events_key(alert_id), event.model_dump_json())
                pipe.ltrim(events_key(alert_id), 0, self.events_kept - 1)
                if delivered:
                    pipe.set(delivered_key(alert_id, doc_id), "1", ex=DELIVERED_TTL_S)
                await pipe.execute()

    async def delivered(self, keys: Sequence[tuple[str, str]]) -> list[bool]:
        """For each (alert id, doc id): was its notification delivered already?"""
        if not keys:
            return []
        with redis_state("alert deliveries"):
            found = await self.redis.mget([delivered_key(a, d) for a, d in keys])
        return [value is not None for value in found]

    async def publish(self, docs: Sequence[ExtractedDocument]) -> None:
        """Add newly indexed documents to the feed, each once."""
        with redis_state("the indexed-documents feed"):
            for doc in docs:
                await self._add_once(
                    keys=[STREAM_KEY, _STREAM_SEEN_PREFIX + doc.doc_id],
                    args=[doc.doc_id, int(starts_story(doc)), self.stream_kept, DELIVERED_TTL_S],
                )

    async def follow(self, after: str, block_ms: int) -> list[StreamEntry]:
        """Feed entries after ``after`` (a stream id, or ``$`` for only new ones), waiting up to
        ``block_ms`` for one."""
        with redis_state("the indexed-documents feed"):
            answer: Any = await self.redis.xread({STREAM_KEY: after}, block=block_ms, count=100)
        # RESP2 answers [[stream, items]], RESP3 {stream: items}.
        streams = answer.items() if isinstance(answer, dict) else answer or []
        entries = []
        for _stream, items in streams:
            for entry_id, fields in items:
                values = {text_of(k): text_of(v) for k, v in fields.items()}
                entries.append(StreamEntry(text_of(entry_id), values["doc_id"], values.get("new_story") == "1"))
        return entries

    async def close(self) -> None:
        await self.redis.aclose()
