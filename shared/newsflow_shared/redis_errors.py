"""The one mapping from a Redis failure to the runtime's ``TransientError``.

Redis holds state the stages cannot work without (dedup claims, templates, stories, crawl state,
the cache): when it is unreachable the batch must be retried, not dead-lettered, so every Redis
call of a stage runs inside :func:`redis_state`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from redis.exceptions import RedisError

from newsflow_shared.stage import TransientError


def text_of(value: bytes | str) -> str:
    """A Redis reply as text (clients return bytes unless asked to decode)."""
    return value.decode() if isinstance(value, bytes) else value


@contextmanager
def redis_state(what: str) -> Iterator[None]:
    """Turn a Redis error (or a dropped connection) inside the block into a ``TransientError``
    naming ``what`` the stage needed Redis for."""
    try:
        yield
    except (RedisError, OSError) as exc:
        raise TransientError(f"redis unavailable for {what}: {exc}") from exc
