"""The feed scheduler with a fake clock: intervals, jitter, and reading the feeds file."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from newsflow_cli.poll import JITTER, FeedSchedule, next_poll, poll_forever


def test_the_feeds_file(tmp_path: Path):
    feeds = tmp_path / "feeds.txt"
    feeds.write_text("# news\nhttps://a.example/rss 600\n\nhttps://b.example/atom  # default interval\n")
    assert FeedSchedule.read(feeds, 300).intervals == {"https://a.example/rss": 600.0, "https://b.example/atom": 300.0}
    feeds.write_text("ftp://nope.example/feed\n")
    with pytest.raises(ValueError, match="expected"):
        FeedSchedule.read(feeds, 300)


def test_jitter_spreads_polls_within_ten_percent():
    rng = random.Random(1)
    times = [next_poll(0.0, 100.0, rng) for _ in range(200)]
    assert min(times) >= 100 * (1 - JITTER) and max(times) <= 100 * (1 + JITTER)
    assert max(times) - min(times) > 10, "actually spread"


async def test_each_feed_is_sent_on_its_own_schedule():
    sent: list[tuple[float, list[str]]] = []
    now = [0.0]

    async def send(urls):
        sent.append((now[0], list(urls)))
        if len(sent) >= 6:
            raise asyncio.CancelledError

    async def fake_sleep(seconds):
        now[0] += seconds

    schedule = FeedSchedule({"https://fast.example/": 60.0, "https://slow.example/": 600.0})
    with pytest.raises(asyncio.CancelledError):
        await poll_forever(schedule, send, clock=lambda: now[0], rng=random.Random(2), sleep=fake_sleep)
    assert sent[0] == (0.0, ["https://fast.example/", "https://slow.example/"])
    fast = [t for t, urls in sent[1:] if urls == ["https://fast.example/"]]
    assert len(fast) == 5 and all(54 <= b - a <= 66 for a, b in zip([0.0, *fast], fast, strict=False))


async def test_once_sends_every_feed_one_time():
    sent = []

    async def send(urls):
        sent.append(list(urls))

    await poll_forever(FeedSchedule({"https://a.example/": 60.0}), send, once=True)
    assert sent == [["https://a.example/"]]
