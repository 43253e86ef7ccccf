"""The deduplicator: URL, exact body, then near-duplicate body, over the stores."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from redis.asyncio import Redis

from newsflow_shared.models import StrippedDocument
from newsflow_shared.urls import canonical_url
from newsflow_strip.dedup.minhash import (
    LSH_BANDS,
    MIN_SHINGLES,
    NEAR_DUPLICATE_THRESHOLD,
    MinHasher,
    band_keys,
    similarity,
)
from newsflow_strip.dedup.stores import (
    ClaimStore,
    InMemoryClaimStore,
    InMemoryLshStore,
    LshStore,
    RedisClaimStore,
    RedisLshStore,
)


@dataclass(frozen=True, slots=True)
class Duplicate:
    """Why a document is a duplicate, and of which document."""

    reason: str
    """``duplicate_url``, ``duplicate_exact`` or ``duplicate_near``."""
    canonical_id: str


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
        store: ClaimStore,
        reason: str,
        docs: Sequence[StrippedDocument],
        verdicts: list[Duplicate | None],
        key_of: Callable[[StrippedDocument], str | None],
    ) -> None:
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
