"""Story clusters: reports of the same event from different outlets share one ``story_id``.

Two reports of one event rarely share text (seeds 001 and 003: 5-gram Jaccard 0.016), so text
hashing cannot group them. Two weak signals together can:

- **who**: cosine of the documents' person-mention counts (surnames, so "Joe Biden" and
  "Biden" are one person): the protagonists of an event are named again and again;
- **what**: Jaccard of the leads' content words (the first ``LEAD_WORDS`` words of four
  letters or more of title and body): reports of one event open with the same facts;
- **when**: two documents that both carry a publication date more than ``MAX_DAYS_APART``
  apart are never one story.

``score = (who + what) / 2``; a document joins the story of its best-scoring candidate when the
score reaches ``STORY_THRESHOLD``, else it starts its own story (``story_id`` = its ``doc_id``).
On the seeds the same-event pair scores 0.47 and the best other pair 0.27 (docs/decisions.md #12).

Candidates are the most recent documents naming any of the document's most-mentioned people,
kept in Redis (``newsflow:story:``) so that every index worker sees the same stories.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from redis.asyncio import Redis

from newsflow_shared.models import ExtractedDocument
from newsflow_shared.redis_errors import redis_state

LEAD_WORDS = 80
KEY_PEOPLE = 5
"""Candidates come from the documents naming one of a document's five most-mentioned people."""
CANDIDATES_PER_PERSON = 200
STORY_THRESHOLD = 0.35
MAX_DAYS_APART = 4.0

_CONTENT_WORD = re.compile(r"[^\W\d_]{4,}")


@dataclass(frozen=True)
class StorySignature:
    """What a document contributes to story matching (small: stored per document in Redis)."""

    doc_id: str
    story_id: str
    lead: frozenset[str]
    people: dict[str, int] = field(default_factory=dict)
    published: float | None = None

    @classmethod
    def of(cls, doc: ExtractedDocument) -> StorySignature:
        """The signature of a document, in a story of its own until matched."""
        words = _CONTENT_WORD.findall(f"{doc.title or ''} {doc.body[:4000]}".lower())[:LEAD_WORDS]
        people = Counter(e.text.split()[-1].lower() for e in doc.entities if e.label == "PERSON" and e.text.split())
        return cls(
            doc_id=doc.doc_id,
            story_id=doc.doc_id,
            lead=frozenset(words),
            people=dict(people),
            published=doc.published.timestamp() if isinstance(doc.published, datetime) else None,
        )

    def key_people(self) -> list[str]:
        """The most-mentioned people, most first."""
        return [name for name, _ in Counter(self.people).most_common(KEY_PEOPLE)]

    def to_json(self) -> str:
        return json.dumps(
            {"d": self.doc_id, "s": self.story_id, "l": sorted(self.lead), "p": self.people, "t": self.published}
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> StorySignature:
        data = json.loads(raw)
        return cls(data["d"], data["s"], frozenset(data["l"]), data["p"], data["t"])


def story_score(a: StorySignature, b: StorySignature) -> float:
    """How likely two documents report one event, in [0, 1] (0 when dated too far apart)."""
    if a.published is not None and b.published is not None and abs(a.published - b.published) > MAX_DAYS_APART * 86400:
        return 0.0
    shared = set(a.people) & set(b.people)
    dot = sum(a.people[p] * b.people[p] for p in shared)
    norms = math.sqrt(sum(v * v for v in a.people.values()) * sum(v * v for v in b.people.values()))
    who = dot / norms if norms else 0.0
    what = len(a.lead & b.lead) / len(a.lead | b.lead) if a.lead | b.lead else 0.0
    return (who + what) / 2


class StoryStore(Protocol):
    """Signatures of indexed documents and, per person, the documents naming them."""

    async def signatures(self, doc_ids: Sequence[str]) -> dict[str, StorySignature]: ...

    async def naming(self, people: Sequence[str]) -> set[str]:
        """Recent doc_ids naming any of ``people``."""
        ...

    async def add_many(self, signatures: Sequence[StorySignature]) -> None: ...


class RedisStoryStore:
    """Story state in Redis, with a TTL: a story older than that is closed to new reports."""

    def __init__(self, redis: Redis, ttl_s: int, prefix: str = "newsflow:story") -> None:
        self._redis = redis
        self._ttl_s = ttl_s
        self._prefix = prefix

    async def signatures(self, doc_ids: Sequence[str]) -> dict[str, StorySignature]:
        if not doc_ids:
            return {}
        with redis_state("stories"):
            values = await self._redis.mget([f"{self._prefix}:sig:{d}" for d in doc_ids])
        return {d: StorySignature.from_json(v) for d, v in zip(doc_ids, values, strict=True) if v}

    async def naming(self, people: Sequence[str]) -> set[str]:
        with redis_state("stories"):
            async with self._redis.pipeline(transaction=False) as pipe:
                for person in people:
                    pipe.zrevrange(f"{self._prefix}:person:{person}", 0, CANDIDATES_PER_PERSON - 1)
                replies = await pipe.execute()
        return {m.decode() if isinstance(m, bytes) else m for reply in replies for m in reply}

    async def add_many(self, signatures: Sequence[StorySignature]) -> None:
        now = time.time()
        with redis_state("stories"):
            async with self._redis.pipeline(transaction=False) as pipe:
                for sig in signatures:
                    pipe.set(f"{self._prefix}:sig:{sig.doc_id}", sig.to_json(), ex=self._ttl_s)
                    for person in sig.key_people():
                        key = f"{self._prefix}:person:{person}"
                        pipe.zadd(key, {sig.doc_id: now})
                        pipe.zremrangebyrank(key, 0, -5 * CANDIDATES_PER_PERSON - 1)  # keep the newest
                        pipe.expire(key, self._ttl_s)
                await pipe.execute()


class InMemoryStoryStore:
    """Process-local story state (tests, evaluation)."""

    def __init__(self) -> None:
        self._signatures: dict[str, StorySignature] = {}
        self._naming: dict[str, list[str]] = {}

    async def signatures(self, doc_ids: Sequence[str]) -> dict[str, StorySignature]:
        return {d: self._signatures[d] for d in doc_ids if d in self._signatures}

    async def naming(self, people: Sequence[str]) -> set[str]:
        return {d for p in people for d in self._naming.get(p, [])[-CANDIDATES_PER_PERSON:]}

    async def add_many(self, signatures: Sequence[StorySignature]) -> None:
        for sig in signatures:
            self._signatures[sig.doc_id] = sig
            for person in sig.key_people():
                self._naming.setdefault(person, []).append(sig.doc_id)


class StoryClusterer:
    """Assigns a ``story_id`` to each canonical document of a batch (idempotent per ``doc_id``)."""

    def __init__(self, store: StoryStore, threshold: float = STORY_THRESHOLD) -> None:
        self.store = store
        self.threshold = threshold

    async def assign(self, docs: Sequence[ExtractedDocument]) -> list[str]:
        """One story_id per document, in order."""
        known = await self.store.signatures([d.doc_id for d in docs])
        mine = [StorySignature.of(d) for d in docs]
        candidate_ids = await self.store.naming(sorted({p for s in mine for p in s.key_people()}))
        candidates = await self.store.signatures(sorted(candidate_ids - known.keys()))
        story_ids: list[str] = []
        added: list[StorySignature] = []
        for doc, sig in zip(docs, mine, strict=True):
            if doc.doc_id in known:  # redelivered: keep the story it was given
                story_ids.append(known[doc.doc_id].story_id)
                continue
            pool = [c for c in [*candidates.values(), *added] if set(c.people) & set(sig.people)]
            best = max(pool, key=lambda c: story_score(sig, c), default=None)
            joined = best is not None and story_score(sig, best) >= self.threshold
            filed = dataclasses.replace(sig, story_id=best.story_id) if joined and best is not None else sig
            added.append(filed)
            story_ids.append(filed.story_id)
        await self.store.add_many(added)
        return story_ids
