"""Deduplication of stripped articles, three levels, in order: URL, exact body, near-duplicate body.

It runs after boilerplate removal so that the same article under another page wrapper (a blog
republishing an agency story with its own header, comments and footer) is still caught.

- **URL**: the page's declared canonical URL (``<link rel=canonical>``/``og:url``, when
  believable), else its canonical fetched URL (``newsflow_shared.urls``), already belongs to
  another document.
- **Exact**: the fingerprint of the whitespace- and case-normalized body is claimed by another
  document.
- **Near**: MinHash over word 5-gram shingles, with LSH buckets in Redis to find candidates and
  the stored signatures to verify them (estimated Jaccard ≥ ``NEAR_DUPLICATE_THRESHOLD``).

Every level is idempotent under redelivery: state is keyed by the claiming ``doc_id``, so a
redelivered document finds itself and is never a duplicate of itself. Duplicates leave nothing in
the dedup state (no chains: a copy of a copy points at the original, if it matches it).

Several strip workers share the state without a race. URL and body claims are atomic
set-if-absent. Near-duplicates are registered before they are looked for: each document first
takes a sequence number and enters its LSH buckets in one atomic step, then looks for an
*earlier* similar document. Of two copies checked in the same instant, the later-registered one
is bound to see the earlier, and the earlier never yields to the later, so exactly one is kept.
A document found to be a duplicate then leaves the buckets.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from redis.asyncio import Redis

from newsflow_shared.models import StrippedDocument
from newsflow_shared.redis_errors import redis_state
from newsflow_shared.urls import canonical_url

SHINGLE_WORDS = 5
NUM_PERMUTATIONS = 128
LSH_BANDS = 32
"""32 bands of 4 rows: documents at Jaccard 0.5 share a band with probability 0.87, at 0.8 with
probability 1 − 1e-8; candidates are then verified on the full signature."""
NEAR_DUPLICATE_THRESHOLD = 0.5
"""Estimated 5-gram Jaccard at or above which a body is a near-duplicate (docs/decisions.md #11:
2% of words edited leaves ~0.82, 5% ~0.63, distinct articles on one event ~0.02)."""
MIN_SHINGLES = 8
"""Bodies shorter than this many shingles are deduplicated exactly only: a few shared words are
no evidence of a copy."""

_WORD = re.compile(r"\w+")
_ROWS = NUM_PERMUTATIONS // LSH_BANDS


@dataclass(frozen=True, slots=True)
class Duplicate:
    """Why a document is a duplicate, and of which document."""

    reason: str
    """``duplicate_url``, ``duplicate_exact`` or ``duplicate_near``."""
    canonical_id: str


def body_fingerprint(body: str) -> str:
    """Exact-duplicate key of an article body: case- and whitespace-insensitive."""
    return hashlib.sha256(" ".join(_WORD.findall(body.lower())).encode("utf-8")).hexdigest()[:32]


class MinHasher:
    """MinHash signatures over word shingles with fixed, seeded permutations (same everywhere).

    Each permutation is a multiply-shift hash of the shingle's 64-bit hash: ``(a·x + b) mod 2^64``
    with random odd ``a``, keeping the top 32 bits. (A linear hash mod a prime with 32-bit
    factors barely permutes 32-bit inputs: its minima all fall on the smallest inputs and the
    estimate of the Jaccard similarity collapses.)
    """

    def __init__(self, num_permutations: int = NUM_PERMUTATIONS, seed: int = 1) -> None:
        generator = np.random.default_rng(seed)
        self._a = generator.integers(0, 1 << 63, size=(num_permutations, 1), dtype=np.uint64) * np.uint64(
            2
        ) + np.uint64(1)
        self._b = generator.integers(0, 1 << 63, size=(num_permutations, 1), dtype=np.uint64)

    @staticmethod
    def shingle_hashes(text: str) -> np.ndarray:
        """64-bit hashes of the distinct word 5-grams of ``text`` (lowercased)."""
        words = _WORD.findall(text.lower())
        grams = {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(max(len(words) - SHINGLE_WORDS + 1, 0))}
        return np.fromiter(
            (int.from_bytes(hashlib.blake2b(g.encode("utf-8"), digest_size=8).digest(), "little") for g in grams),
            dtype=np.uint64,
            count=len(grams),
        )

    def signature(self, hashes: np.ndarray) -> np.ndarray:
        """The MinHash signature (uint32 per permutation) of a non-empty set of shingle hashes."""
        with np.errstate(over="ignore"):  # multiplication mod 2^64 is the point
            permuted = (self._a * hashes[np.newaxis, :] + self._b) >> np.uint64(32)
        signature: np.ndarray = permuted.min(axis=1).astype(np.uint32)
        return signature


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the two documents behind two signatures."""
    return float(np.mean(a == b))


def band_keys(signature: np.ndarray) -> list[str]:
    """One LSH bucket id per band: the band number and a hash of its rows."""
    return [
        f"{band}:{hashlib.blake2b(signature[band * _ROWS : (band + 1) * _ROWS].tobytes(), digest_size=8).hexdigest()}"
        for band in range(LSH_BANDS)
    ]


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


class RedisLshStore:
    """LSH buckets as Redis sets and signatures as ~520-byte strings, all with the dedup TTL, and
    one counter for the registration order.

    Per canonical document: one member in each of 32 sets plus one signature, ~5 KB of Redis
    memory (docs/decisions.md #11 has the sizing).
    """

    def __init__(self, redis: Redis, ttl_s: int, prefix: str = "newsflow:dedup:near") -> None:
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
        return {d: _stored_signature(bytes(v)) for d, v in zip(doc_ids, values, strict=True) if v}

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


@dataclass(frozen=True)
class _Candidate:
    doc_id: str
    signature: np.ndarray
    keys: list[str]


class Deduplicator:
    """Finds, for a batch of stripped documents, which are duplicates of which (URL, exact, near)."""

    def __init__(
        self, urls: ClaimStore, bodies: ClaimStore, near: LshStore, threshold: float = NEAR_DUPLICATE_THRESHOLD
    ) -> None:
        self.urls = urls
        self.bodies = bodies
        self.near = near
        self.threshold = threshold
        self.hasher = MinHasher()

    @classmethod
    def in_memory(cls) -> Deduplicator:
        """State in this process only (``newsflow extract``, evaluation)."""
        return cls(InMemoryClaimStore(), InMemoryClaimStore(), InMemoryLshStore())

    @classmethod
    def in_redis(cls, redis: Redis, ttl_s: int) -> Deduplicator:
        """State in Redis under ``newsflow:dedup:`` (shared by every strip worker)."""
        return cls(
            RedisClaimStore(redis, ttl_s, "newsflow:dedup:url"),
            RedisClaimStore(redis, ttl_s, "newsflow:dedup:exact"),
            RedisLshStore(redis, ttl_s),
        )

    async def find(self, docs: Sequence[StrippedDocument]) -> list[Duplicate | None]:
        """One verdict per document, in order; canonical documents are recorded as such."""
        verdicts: list[Duplicate | None] = [None] * len(docs)
        await self._by_url(docs, verdicts)
        await self._by_claim(self.bodies, "duplicate_exact", docs, verdicts, lambda d: d.fingerprint)
        await self._by_similarity(docs, verdicts)
        return verdicts

    async def _by_url(self, docs: Sequence[StrippedDocument], verdicts: list[Duplicate | None]) -> None:
        def key(doc: StrippedDocument) -> str | None:
            # The page's own canonical link decides which copies are one article (a syndicated
            # or AMP copy names its original); else the URL it was fetched from.
            canonical = doc.page.canonical_url or (canonical_url(doc.url) if doc.url else None)
            return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32] if canonical else None

        await self._by_claim(self.urls, "duplicate_url", docs, verdicts, key)

    @staticmethod
    async def _by_claim(
        store: ClaimStore, reason: str, docs: Sequence[StrippedDocument], verdicts: list[Duplicate | None], key_of
    ) -> None:  # type: ignore[no-untyped-def]
        pending = [(i, key) for i, doc in enumerate(docs) if verdicts[i] is None and (key := key_of(doc))]
        owners = await store.claim_many([(key, docs[i].doc_id) for i, key in pending])
        for (i, _), owner in zip(pending, owners, strict=True):
            if owner is not None:
                verdicts[i] = Duplicate(reason, owner)

    async def _by_similarity(self, docs: Sequence[StrippedDocument], verdicts: list[Duplicate | None]) -> None:
        candidates: dict[int, _Candidate] = {}
        for i, doc in enumerate(docs):
            if verdicts[i] is not None:  # already a URL or exact duplicate: no need to shingle it
                continue
            hashes = self.hasher.shingle_hashes(doc.body)
            if len(hashes) >= MIN_SHINGLES:
                signature = self.hasher.signature(hashes)
                candidates[i] = _Candidate(doc.doc_id, signature, band_keys(signature))
        if not candidates:
            return
        # Registered first, looked up second: see the module docstring for why no two workers can
        # then both keep a copy. The batch is registered in order, so a copy later in the same
        # batch finds the original like any other earlier document.
        order = list(candidates)
        registered = await self.near.register_many([(c.doc_id, c.signature, c.keys) for c in candidates.values()])
        seqs = dict(zip(order, registered, strict=True))
        members = await self.near.bucket_members([k for i in order for k in candidates[i].keys])
        neighbours = {
            i: set().union(*members[n * LSH_BANDS : (n + 1) * LSH_BANDS]) - {candidates[i].doc_id}
            for n, i in enumerate(order)
        }
        known = await self.near.signatures(sorted(set().union(*neighbours.values())))
        found: dict[str, _Candidate] = {}
        for i in sorted(order, key=seqs.__getitem__):
            mine = candidates[i]
            # The earliest match, not the closest: a copy of a copy then points at the original
            # whenever it matches it, however the workers interleaved.
            earlier = [
                (seq, d, similarity(mine.signature, signature))
                for d in neighbours[i]
                if d in known and d not in found
                for seq, signature in [known[d]]
                if seq < seqs[i]
            ]
            matches = sorted(match for match in earlier if match[2] >= self.threshold)
            if matches:
                _, canonical, _ = matches[0]
                verdicts[i] = Duplicate("duplicate_near", canonical)
                found[mine.doc_id] = mine
        await self.near.remove_many([(c.doc_id, c.keys) for c in found.values()])
