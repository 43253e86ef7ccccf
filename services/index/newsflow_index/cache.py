"""The Redis document cache: deduplicated documents readable by id, bounded by a TTL.

Cache keys live under ``newsflow:cache:`` and always carry a TTL. Where memory is capped, the
cache has a Redis of its own (``NEWSFLOW_REDIS__CACHE_URL``, ``allkeys-lru``) so that eviction
can only ever take cache entries, never the dedup and story state in the state Redis
(``noeviction``); see docs/decisions.md #11 for sizing.
"""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis

from newsflow_shared.models import ExtractedDocument
from newsflow_shared.redis_errors import redis_state

CACHE_PREFIX = "newsflow:cache:doc"


class DocumentCache:
    """Writes and reads cached documents by ``doc_id``."""

    def __init__(self, redis: Redis, ttl_s: int) -> None:
        self.redis = redis
        self.ttl_s = ttl_s

    async def put_many(self, docs: Sequence[ExtractedDocument]) -> None:
        """Cache every document (idempotent: same key, same value)."""
        with redis_state("the document cache"):
            async with self.redis.pipeline(transaction=False) as pipe:
                for doc in docs:
                    pipe.set(f"{CACHE_PREFIX}:{doc.doc_id}", doc.model_dump_json(), ex=self.ttl_s)
                await pipe.execute()

    async def get_many(self, doc_ids: Sequence[str]) -> list[ExtractedDocument | None]:
        """The cached documents in order (``None`` where absent or evicted), in one round trip."""
        if not doc_ids:
            return []
        with redis_state("the document cache"):
            found = await self.redis.mget([f"{CACHE_PREFIX}:{doc_id}" for doc_id in doc_ids])
        return [ExtractedDocument.model_validate_json(raw) if raw else None for raw in found]

    async def get(self, doc_id: str) -> ExtractedDocument | None:
        """The cached document, or ``None`` if absent or evicted."""
        (found,) = await self.get_many([doc_id])
        return found
