"""Exact-duplicate detection behind a small protocol: claim a fingerprint for a document.

``claim`` is set-if-absent with a TTL, keyed by a content fingerprint, whose value is the
claiming ``doc_id``. A document is a duplicate only when the fingerprint is held by a
*different* ``doc_id``: a redelivered document (same id, same content) re-claims its own
fingerprint and is never mistaken for a duplicate of itself.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from newsflow_shared.stage import TransientError


class DedupStore(Protocol):
    """Claims content fingerprints for documents."""

    async def claim_many(self, claims: Sequence[tuple[str, str]]) -> list[str | None]:
        """For each ``(fingerprint, doc_id)``: ``None`` if this doc owns the fingerprint
        (new, or already claimed by the same doc), else the ``doc_id`` that owns it."""
        ...


# Atomic set-if-absent-or-same-owner: one round trip per key, pipelined for a batch, and it
# works on every Redis ≥ 2.6 (SET NX GET would need 7.0).
_CLAIM_SCRIPT = """
local owner = redis.call('GET', KEYS[1])
if not owner then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return false
end
return owner
"""


class RedisDedupStore:
    """Dedup state in Redis under ``<prefix>:<fingerprint>`` (never in the cache's key space)."""

    def __init__(self, redis: Redis, ttl_s: int, prefix: str = "newsflow:dedup:exact") -> None:
        self._redis = redis
        self._ttl_s = ttl_s
        self._prefix = prefix
        self._script = redis.register_script(_CLAIM_SCRIPT)

    async def claim_many(self, claims: Sequence[tuple[str, str]]) -> list[str | None]:
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for fingerprint, doc_id in claims:
                    await self._script(keys=[f"{self._prefix}:{fingerprint}"], args=[doc_id, self._ttl_s], client=pipe)
                replies = await pipe.execute()
        except (RedisError, OSError) as exc:
            raise TransientError(f"redis unavailable for dedup: {exc}") from exc
        owners: list[str | None] = []
        for (_, doc_id), reply in zip(claims, replies, strict=True):
            owner = reply.decode() if isinstance(reply, bytes) else reply
            owners.append(None if not owner or owner == doc_id else owner)
        return owners


class InMemoryDedupStore:
    """Process-local dedup with the same semantics (used by ``newsflow extract``, which has no Redis)."""

    def __init__(self, ttl_s: int = 30 * 24 * 3600) -> None:
        self._ttl_s = ttl_s
        self._owners: dict[str, tuple[str, float]] = {}

    async def claim_many(self, claims: Sequence[tuple[str, str]]) -> list[str | None]:
        now = time.monotonic()
        owners: list[str | None] = []
        for fingerprint, doc_id in claims:
            held = self._owners.get(fingerprint)
            if held is None or held[1] < now:
                self._owners[fingerprint] = (doc_id, now + self._ttl_s)
                owners.append(None)
            else:
                owners.append(None if held[0] == doc_id else held[0])
        return owners
