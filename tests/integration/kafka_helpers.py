"""Producing to and reading back from the real broker in tests (no consumer group, no commits)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import ConsumerRecord

from newsflow_cli.stack import DEV_BROKER_KAFKA


async def produce(bootstrap: str, topic: str, values: Sequence[tuple[bytes, bytes]]) -> None:
    """Send (key, value) pairs and wait for every ack."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for key, value in values:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def read_until(
    bootstrap: str,
    topic: str,
    done: Callable[[list[ConsumerRecord]], bool],
    keep: Callable[[ConsumerRecord], bool] = lambda _: True,
    timeout_s: float = 60.0,
) -> list[ConsumerRecord]:
    """Read ``topic`` from the beginning, keeping matching records, until ``done(kept)`` or timeout."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=DEV_BROKER_KAFKA["fetch_max_wait_ms"],
    )
    await consumer.start()
    kept: list[ConsumerRecord] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                kept += [r for r in records if keep(r)]
            if done(kept):
                return kept
            await asyncio.sleep(0)
    finally:
        await consumer.stop()
    raise TimeoutError(f"{topic}: condition not met after {timeout_s}s; kept {len(kept)} records")
