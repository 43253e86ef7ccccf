"""Canonical person names across documents: a report that only says "Biden" means the "Joe
Biden" the rest of the stream names, so facets and entity pages count one person once.

Within a document the extract stage already maps a surname to the full name used there
(``newsflow_extract.entities.canonicalize``). Across documents the index keeps, per surname, how
many documents used each full name ending in it; a document's lone surname becomes that full
name when one full name clearly dominates (``DOMINANT_SHARE`` of at least
``MIN_FULL_NAME_DOCUMENTS`` documents). An ambiguous surname ("Smith": Jane in one story, John in
another) stays as written: no merge rather than a wrong one. The surname is kept as an alias.

Counting is idempotent per ``doc_id`` (a redelivered document is counted once), and the state
lives in Redis (``newsflow:names:``) so every index worker resolves names the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Protocol

from redis.asyncio import Redis

from newsflow_shared.models import Entity, ExtractedDocument
from newsflow_shared.redis_errors import redis_state

MIN_FULL_NAME_DOCUMENTS = 2
DOMINANT_SHARE = 0.8


def _full_names(doc: ExtractedDocument) -> set[str]:
    return {e.text for e in doc.entities if e.label == "PERSON" and " " in e.text}


def _surname(name: str) -> str:
    return name.rsplit(maxsplit=1)[-1].lower()


class NameStore(Protocol):
    """How many documents used each full name, by surname."""

    async def count(self, names_by_doc: dict[str, set[str]]) -> None:
        """Count each document's full names, once per ``doc_id`` however often it is delivered."""
        ...

    async def full_names(self, surnames: Sequence[str]) -> dict[str, Counter[str]]: ...


class RedisNameStore:
    """Per surname, a hash of full name → documents; a marker per counted document (with a TTL)."""

    def __init__(self, redis: Redis, ttl_s: int, prefix: str = "newsflow:names") -> None:
        self._redis = redis
        self._ttl_s = ttl_s
        self._prefix = prefix

    async def count(self, names_by_doc: dict[str, set[str]]) -> None:
        doc_ids = [d for d, names in names_by_doc.items() if names]
        if not doc_ids:
            return
        with redis_state("names"):
            async with self._redis.pipeline(transaction=False) as pipe:
                for doc_id in doc_ids:
                    pipe.set(f"{self._prefix}:counted:{doc_id}", 1, nx=True, ex=self._ttl_s)
                first_time = await pipe.execute()
            async with self._redis.pipeline(transaction=False) as pipe:
                for doc_id, new in zip(doc_ids, first_time, strict=True):
                    for name in sorted(names_by_doc[doc_id]) if new else ():
                        key = f"{self._prefix}:surname:{_surname(name)}"
                        pipe.hincrby(key, name, 1)
                        pipe.expire(key, self._ttl_s)
                await pipe.execute()

    async def full_names(self, surnames: Sequence[str]) -> dict[str, Counter[str]]:
        if not surnames:
            return {}
        with redis_state("names"):
            async with self._redis.pipeline(transaction=False) as pipe:
                for surname in surnames:
                    pipe.hgetall(f"{self._prefix}:surname:{surname}")
                replies = await pipe.execute()
        return {
            surname: Counter({_text(k): int(v) for k, v in reply.items()})
            for surname, reply in zip(surnames, replies, strict=True)
        }


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


class InMemoryNameStore:
    """Process-local name counts (tests, evaluation)."""

    def __init__(self) -> None:
        self._counted: set[str] = set()
        self._names: dict[str, Counter[str]] = {}

    async def count(self, names_by_doc: dict[str, set[str]]) -> None:
        for doc_id, names in names_by_doc.items():
            if doc_id in self._counted or not names:
                continue
            self._counted.add(doc_id)
            for name in names:
                self._names.setdefault(_surname(name), Counter())[name] += 1

    async def full_names(self, surnames: Sequence[str]) -> dict[str, Counter[str]]:
        return {s: Counter(self._names.get(s, {})) for s in surnames}


def dominant(counts: Counter[str]) -> str | None:
    """The full name that clearly dominates its surname's uses, if one does."""
    if not counts:
        return None
    (name, top), total = counts.most_common(1)[0], sum(counts.values())
    return name if top >= MIN_FULL_NAME_DOCUMENTS and top >= DOMINANT_SHARE * total else None


class NameResolver:
    """Rewrites lone surnames to the stream's dominant full name (see the module docstring)."""

    def __init__(self, store: NameStore) -> None:
        self.store = store

    async def resolve(self, docs: Sequence[ExtractedDocument]) -> list[ExtractedDocument]:
        await self.store.count({d.doc_id: _full_names(d) for d in docs})
        lone = {
            e.text.lower()
            for d in docs
            for e in d.entities
            if e.label == "PERSON"
            and " " not in e.text
            and not any(_surname(n) == e.text.lower() for n in _full_names(d))
        }
        known = {
            s: name for s, counts in (await self.store.full_names(sorted(lone))).items() if (name := dominant(counts))
        }
        return [self._rewrite(d, known) if known else d for d in docs]

    @staticmethod
    def _rewrite(doc: ExtractedDocument, known: dict[str, str]) -> ExtractedDocument:
        merged: dict[tuple[str, str], set[str]] = {}
        for entity in doc.entities:
            full = known.get(entity.text.lower()) if entity.label == "PERSON" and " " not in entity.text else None
            key = (full, entity.label) if full else (entity.text, entity.label)
            aliases = merged.setdefault(key, set(entity.aliases))
            aliases.update(entity.aliases)
            if full:
                aliases.add(entity.text)
        entities = [Entity(text=t, label=label, aliases=tuple(sorted(a))) for (t, label), a in merged.items()]
        return doc if entities == doc.entities else doc.model_copy(update={"entities": entities})
