"""``newsflow poll``: send feeds to ingest on a schedule.

Each feed has its own interval, and every poll is shifted by up to ±10% at random, so feeds
sharing an interval spread out instead of hitting their servers (and ingest) together. The
scheduler only sends ingest requests: fetching, conditional GET and item dedup are ingest's.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from newsflow_shared.urls import is_web_url

log = logging.getLogger("newsflow.poll")
JITTER = 0.1
MIN_INTERVAL_S = 30.0


@dataclass(frozen=True)
class FeedSchedule:
    """Feed URL → seconds between polls."""

    intervals: dict[str, float]

    @classmethod
    def read(cls, path: Path, default_interval_s: float) -> FeedSchedule:
        """Lines of ``URL [INTERVAL_S]``; ``#`` starts a comment. ValueError on a bad line."""
        intervals: dict[str, float] = {}
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            fields = line.split("#", 1)[0].split()
            if not fields:
                continue
            if not is_web_url(fields[0]) or len(fields) > 2:
                raise ValueError(f"{path}:{number}: expected 'URL [INTERVAL_S]', got {line.strip()!r}")
            interval = float(fields[1]) if len(fields) == 2 else default_interval_s
            intervals[fields[0]] = max(interval, MIN_INTERVAL_S)
        if not intervals:
            raise ValueError(f"{path}: no feeds")
        return cls(intervals)


def next_poll(now: float, interval: float, rng: random.Random) -> float:
    """When to poll next: ``interval`` from now, ± ``JITTER``."""
    return now + interval * (1 + rng.uniform(-JITTER, JITTER))


async def poll_forever(
    schedule: FeedSchedule,
    send: Callable[[Sequence[str]], Awaitable[None]],
    once: bool = False,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Send every feed now, then each again when its time comes (``once``: only the first round)."""
    rng = rng or random.Random()
    await send(sorted(schedule.intervals))
    if once:
        return
    now = clock()
    due = [(next_poll(now, interval, rng), url) for url, interval in schedule.intervals.items()]
    heapq.heapify(due)
    while True:
        when, url = heapq.heappop(due)
        await sleep(max(0.0, when - clock()))
        log.info("polling %s", url)
        await send([url])
        heapq.heappush(due, (next_poll(clock(), schedule.intervals[url], rng), url))
