"""Where dedup state lives: URL and body claims, and near-duplicate LSH buckets, in Redis or in
memory (one protocol each, so the deduplicator and its tests run against either)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Protocol

import numpy as np
from redis.asyncio import Redis

from newsflow_shared.redis_errors import redis_state
from newsflow_strip.dedup.minhash import NUM_PERMUTATIONS


class ClaimStore(Protocol):
    """Claims keys (a fingerprint, a URL) for documents: the first claimant owns the key."""

    async def claim_many(self, claims: Sequence[tuple[str, str]]) -> list[str | None]:
        """For each ``(key, doc_id)``: ``None`` if this doc owns the key (new, or already
        claimed by the same doc), else the ``doc_id`` that owns it."""
        ...


class LshStore(Protocol):
    """LSH buckets and signatures of canonical documents, each with its registration order."""

    async def register_many(self, entries: Sequence[tuple[str, np.ndarray, list[str]]]) -> list[int]:
        """For each ``(doc_id, signature, bucket keys)``, in order and each atomically: store the
        signature and enter the buckets, and return the document's sequence number, taken from one
        counter shared by every worker (a document registered before keeps its number)."""
        ...

    async def bucket_members(self, keys: Sequence[str]) -> list[set[str]]:
        """The doc_ids in each bucket."""
        ...

    async def signatures(self, doc_ids: Sequence[str]) -> dict[str, tuple[int, np.ndarray]]:
        """The sequence number and stored signature of each doc_id that still has one."""
        ...

    async def remove_many(self, entries: Sequence[tuple[str, list[str]]]) -> None:
        """Take ``(doc_id, bucket keys)`` out of the buckets and forget its signature."""
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


class RedisClaimStore:
    """Claims in Redis under ``<prefix>:<key>`` (dedup key space, never the cache's)."""

    def __init__(self, redis: Redis, ttl_s: int, prefix: str) -> None:
        self._redis = redis
        self._ttl_s = ttl_s
        self._prefix = prefix
        self._script = redis.register_script(_CLAIM_SCRIPT)

    async def claim_many(self, claims: Sequence[tuple[str, str]]) -> list[str | None]:
        if not claims:
            return []
        with redis_state("dedup"):
            async with self._redis.pipeline(transaction=False) as pipe:
                for key, doc_id in claims:
                    await self._script(keys=[f"{self._prefix}:{key}"], args=[doc_id, self._ttl_s], client=pipe)
                replies = await pipe.execute()
        owners: list[str | None] = []
        for (_, doc_id), reply in zip(claims, replies, strict=True):
            owner = reply.decode() if isinstance(reply, bytes) else reply
            owners.append(None if not owner or owner == doc_id else owner)
        return owners


# One document's registration, atomic so that no other worker can look between the sequence
# number being taken and the buckets being entered (the ordering argument in the module docstring
# needs both to be visible at once). The stored value is "<seq>:<signature bytes>".
_REGISTER_SCRIPT = """
local stored = redis.call('GET', KEYS[2])
local seq = nil
if stored then
  seq = tonumber(string.match(stored, '^(%d+):'))
end
if not seq or #stored == tonumber(ARGV[4]) then
  seq = redis.call('INCR', KEYS[1])
  redis.call('SET', KEYS[2], seq .. ':' .. ARGV[2], 'EX', ARGV[3])
end
for i = 3, #KEYS do
  redis.call('SADD', KEYS[i], ARGV[1])
  redis.call('EXPIRE', KEYS[i], ARGV[3])
end
return seq
"""
_SIGNATURE_BYTES = NUM_PERMUTATIONS * 4


def _stored_signature(value: bytes) -> tuple[int, np.ndarray]:
    """(sequence number, signature) of a stored value. A bare signature, as written before
    registration had an order, counts as registered first."""
    if len(value) == _SIGNATURE_BYTES:
        return 0, np.frombuffer(value, dtype=np.uint32)
    seq, signature = value.split(b":", 1)
    return int(seq), np.frombuffer(signature, dtype=np.uint32)


NEAR_PREFIX = "newsflow:dedup:near2"
"""Versioned with the signatures: ``near`` held those of the per-5-gram BLAKE2 hashes, which
the current shingle hashes do not match (the old keys expire with their TTL)."""


class RedisLshStore:
    """LSH buckets as Redis sets and signatures as ~520-byte strings, all with the dedup TTL, and
    one counter for the registration order.

    Per canonical document: one member in each of 32 sets plus one signature, ~5 KB of Redis
    memory (docs/decisions.md #11 has the sizing).
    """

    def __init__(self, redis: Redis, ttl_s: int, prefix: str = NEAR_PREFIX) -> None:
        self._redis = redis
        self._ttl_s = ttl_s
        self._prefix = prefix
        self._register = redis.register_script(_REGISTER_SCRIPT)

    async def register_many(self, entries: Sequence[tuple[str, np.ndarray, list[str]]]) -> list[int]:
        if not entries:
            return []
        with redis_state("dedup"):
            async with self._redis.pipeline(transaction=False) as pipe:
                for doc_id, signature, keys in entries:
                    await self._register(
                        keys=[
                            f"{self._prefix}:clock",
                            f"{self._prefix}:sig:{doc_id}",
                            *(f"{self._prefix}:lsh:{key}" for key in keys),
                        ],
                        args=[doc_id, signature.tobytes(), self._ttl_s, _SIGNATURE_BYTES],
                        client=pipe,
                    )
                replies = await pipe.execute()
        return [int(reply) for reply in replies]

    async def bucket_members(self, keys: Sequence[str]) -> list[set[str]]:
        with redis_state("dedup"):
            async with self._redis.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.smembers(f"{self._prefix}:lsh:{key}")
                replies = await pipe.execute()
        return [{m.decode() if isinstance(m, bytes) else m for m in reply} for reply in replies]

    async def signatures(self, doc_ids: Sequence[str]) -> dict[str, tuple[int, np.ndarray]]:
        if not doc_ids:
            return {}
        with redis_state("dedup"):
            values = await self._redis.mget([f"{self._prefix}:sig:{d}" for d in doc_ids])
        return {
            d: _stored_signature(v.encode("latin-1") if isinstance(v, str) else bytes(v))
            for d, v in zip(doc_ids, values, strict=True)
            if v
        }

    async def remove_many(self, entries: Sequence[tuple[str, list[str]]]) -> None:
        if not entries:
            return
        with redis_state("dedup"):
            async with self._redis.pipeline(transaction=False) as pipe:
                for doc_id, keys in entries:
                    pipe.delete(f"{self._prefix}:sig:{doc_id}")
                    for key in keys:
                        pipe.srem(f"{self._prefix}:lsh:{key}", doc_id)
                await pipe.execute()


class InMemoryClaimStore:
    """Process-local claims with the same semantics (``newsflow extract``, tests, evaluation)."""

    def __init__(self, ttl_s: int = 30 * 24 * 3600) -> None:
        self._ttl_s = ttl_s
        self._owners: dict[str, tuple[str, float]] = {}

    async def claim_many(self, claims: Sequence[tuple[str, str]]) -> list[str | None]:
        now = time.monotonic()
        owners: list[str | None] = []
        for key, doc_id in claims:
            held = self._owners.get(key)
            if held is None or held[1] < now:
                self._owners[key] = (doc_id, now + self._ttl_s)
                owners.append(None)
            else:
                owners.append(None if held[0] == doc_id else held[0])
        return owners


class InMemoryLshStore:
    """Process-local LSH buckets and signatures."""

    def __init__(self) -> None:
        self._buckets: dict[str, set[str]] = {}
        self._signatures: dict[str, tuple[int, np.ndarray]] = {}
        self._clock = 0

    async def register_many(self, entries: Sequence[tuple[str, np.ndarray, list[str]]]) -> list[int]:
        seqs = []
        for doc_id, signature, keys in entries:
            if doc_id not in self._signatures:
                self._clock += 1
                self._signatures[doc_id] = (self._clock, signature)
            for key in keys:
                self._buckets.setdefault(key, set()).add(doc_id)
            seqs.append(self._signatures[doc_id][0])
        return seqs

    async def bucket_members(self, keys: Sequence[str]) -> list[set[str]]:
        return [set(self._buckets.get(key, ())) for key in keys]

    async def signatures(self, doc_ids: Sequence[str]) -> dict[str, tuple[int, np.ndarray]]:
        return {d: self._signatures[d] for d in doc_ids if d in self._signatures}

    async def remove_many(self, entries: Sequence[tuple[str, list[str]]]) -> None:
        for doc_id, keys in entries:
            self._signatures.pop(doc_id, None)
            for key in keys:
                self._buckets.get(key, set()).discard(doc_id)
