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

from newsflow_strip.dedup.deduplicator import Deduplicator, Duplicate
from newsflow_strip.dedup.minhash import (
    LSH_BANDS,
    MIN_SHINGLES,
    NEAR_DUPLICATE_THRESHOLD,
    NUM_PERMUTATIONS,
    SHINGLE_WORDS,
    MinHasher,
    band_keys,
    body_fingerprint,
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

__all__ = [
    "LSH_BANDS", "MIN_SHINGLES", "NEAR_DUPLICATE_THRESHOLD", "NUM_PERMUTATIONS", "SHINGLE_WORDS", "ClaimStore",
    "Deduplicator", "Duplicate", "InMemoryClaimStore", "InMemoryLshStore", "LshStore", "MinHasher",
    "RedisClaimStore", "RedisLshStore", "band_keys", "body_fingerprint", "similarity",
]  # fmt: skip
