"""MinHash signatures over word shingles, LSH bands, and the exact-body fingerprint."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

import numpy as np

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
_POLYNOMIAL = np.uint64(0x100000001B3)  # odd: position matters, and no word's bits are lost
_MIX = np.uint64(0xBF58476D1CE4E5B9)  # splitmix64's multiplier


@lru_cache(maxsize=1 << 18)
def _word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


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
        """64-bit hashes of the distinct word 5-grams of ``text`` (lowercased).

        Each word is hashed once (BLAKE2, remembered across documents), and a 5-gram's hash is
        a polynomial of its words' hashes mod 2^64, mixed so that every input bit reaches the
        high bits the permutations keep: one pass in numpy instead of a string and a BLAKE2
        call per 5-gram (7 ms for a 1,000-word article)."""
        words = _WORD.findall(text.lower())
        count = len(words) - SHINGLE_WORDS + 1
        if count <= 0:
            return np.empty(0, dtype=np.uint64)
        hashed = np.fromiter(map(_word_hash, words), dtype=np.uint64, count=len(words))
        with np.errstate(over="ignore"):
            grams = hashed[:count].copy()
            for offset in range(1, SHINGLE_WORDS):
                grams = grams * _POLYNOMIAL + hashed[offset : offset + count]
            grams ^= grams >> np.uint64(33)
            grams *= _MIX
            grams ^= grams >> np.uint64(29)
        return np.unique(grams)

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
