"""Cross-document template learning: lines a source repeats on page after page are boilerplate.

Navigation, footers, "Sign up to read this article", an outlet's "About us" paragraph: each recurs
across a source's documents, whatever the article. Every document's lines are counted per source
(the URL's host, else the outlet hint), once per document, and a line becomes template when it
occurs in at least ``min_documents`` documents *and* in at least ``min_share`` of that source's
documents. The share keeps a sentence that two or three articles quote from being removed, since
a source's quotes are spread thin while its furniture is on nearly every page.

Counting is idempotent per ``doc_id`` (a redelivered document is not counted again): the Redis
script increments only when the document joins the source's document set.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis

from newsflow_shared.redis_errors import redis_state

_DIGITS = re.compile(r"\d+")


def line_key(line: str) -> str:
    """A short hash of a line, insensitive to case, spacing and numbers ("3 comments" = "5 comments")."""
    normal = _DIGITS.sub("0", " ".join(line.lower().split()))
    return hashlib.blake2b(normal.encode(), digest_size=8).hexdigest()


@dataclass(frozen=True)
class Observation:
    """One document's distinct line keys under its source."""

    source: str
    doc_id: str
    keys: frozenset[str]


class TemplateStore(Protocol):
    """Counts line keys per source and says which of a document's lines are template."""

    async def observe_many(self, observations: Sequence[Observation]) -> list[frozenset[str]]:
        """Count each document (once per doc_id); return, per document, its keys that are template."""
        ...


@dataclass(frozen=True)
class TemplatePolicy:
    min_documents: int
    min_share: float

    def is_template(self, count: int, documents: int) -> bool:
        return count >= self.min_documents and count >= self.min_share * documents


# KEYS: the source's document set, its line-count hash. ARGV: doc_id, ttl, line keys...
# Returns the number of documents, then each key's count, counting this document once.
_OBSERVE_SCRIPT = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then
  for i = 3, #ARGV do redis.call('HINCRBY', KEYS[2], ARGV[i], 1) end
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
local counts = {redis.call('SCARD', KEYS[1])}
if #ARGV >= 3 then
  local values = redis.call('HMGET', KEYS[2], unpack(ARGV, 3))
  for i = 1, #values do counts[#counts + 1] = tonumber(values[i]) or 0 end
end
return counts
"""


class RedisTemplateStore:
    """Per-source counts under ``newsflow:template:<source>:{docs,lines}`` (a key space of its
    own, so the document cache's eviction never touches it)."""

    def __init__(self, redis: Redis, policy: TemplatePolicy, ttl_s: int, prefix: str = "newsflow:template") -> None:
        self._redis = redis
        self._policy = policy
        self._ttl_s = ttl_s
        self._prefix = prefix
        self._script = redis.register_script(_OBSERVE_SCRIPT)

    async def observe_many(self, observations: Sequence[Observation]) -> list[frozenset[str]]:
        ordered = [sorted(o.keys) for o in observations]
        with redis_state("template learning"):
            async with self._redis.pipeline(transaction=False) as pipe:
                for obs, keys in zip(observations, ordered, strict=True):
                    base = f"{self._prefix}:{obs.source}"
                    await self._script(
                        keys=[f"{base}:docs", f"{base}:lines"], args=[obs.doc_id, self._ttl_s, *keys], client=pipe
                    )
                replies = await pipe.execute()
        return [_template_keys(self._policy, keys, reply) for keys, reply in zip(ordered, replies, strict=True)]


def _template_keys(policy: TemplatePolicy, keys: list[str], reply: list[int]) -> frozenset[str]:
    documents, counts = int(reply[0]), reply[1:]
    return frozenset(k for k, c in zip(keys, counts, strict=True) if policy.is_template(int(c), documents))


class InMemoryTemplateStore:
    """The same counting in one process (``newsflow extract`` and unit tests)."""

    def __init__(self, policy: TemplatePolicy) -> None:
        self._policy = policy
        self._documents: dict[str, set[str]] = defaultdict(set)
        self._counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    async def observe_many(self, observations: Sequence[Observation]) -> list[frozenset[str]]:
        out = []
        for obs in observations:
            counts = self._counts[obs.source]
            if obs.doc_id not in self._documents[obs.source]:
                self._documents[obs.source].add(obs.doc_id)
                for key in obs.keys:
                    counts[key] += 1
            keys = sorted(obs.keys)
            out.append(
                _template_keys(self._policy, keys, [len(self._documents[obs.source]), *(counts[k] for k in keys)])
            )
        return out


def observation(source: str | None, doc_id: str, lines: Iterable[str]) -> Observation | None:
    """What a document contributes; None when it has no source to learn under."""
    if not source:
        return None
    return Observation(source.lower(), doc_id, frozenset(line_key(line) for line in lines))
