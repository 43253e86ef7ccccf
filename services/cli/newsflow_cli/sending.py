"""Ingest requests onto the requests topic: what ``run``, ``submit`` and ``poll`` send."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from newsflow_shared import topics
from newsflow_shared.models import IngestRequest


def ingest_requests(sources: Sequence[str]) -> list[IngestRequest]:
    """One request per source, each with a fresh id."""
    return [IngestRequest(request_id=f"req-{uuid.uuid4().hex[:12]}", source=s) for s in sources]


async def send_requests(bootstrap: str, requests: Sequence[IngestRequest], rate: float | None = None) -> None:
    """Publish the ingest requests; with ``rate``, paced at that many per second."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        started = time.monotonic()
        for n, request in enumerate(requests):
            if rate:
                await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
            await producer.send_and_wait(topics.INGEST_REQUESTS, request.to_wire(), key=request.partition_key())
    finally:
        await producer.stop()
