"""The push API's status book: a sink stage on the lineage events topic.

``GET /v1/documents/{id}`` answers from Redis with the furthest stage that reported on the
document. This stage keeps that book, run by the runtime like every other stage (its consumer
group, commit after the Redis write, dead letters for records it cannot read), as the service
``newsflow service push-status``. It writes no lineage events of its own: they would feed it.
"""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis

from newsflow_shared import topics
from newsflow_shared.models import StageEvent
from newsflow_shared.pipeline import position
from newsflow_shared.redis_errors import redis_state, text_of
from newsflow_shared.settings import Settings
from newsflow_shared.stage import Stage, StageResult

STATUS_TTL_S = 7 * 24 * 3600


def status_key(doc_id: str) -> str:
    return f"newsflow:status:{doc_id}"


class PushStatusStage(Stage[StageEvent, StageEvent]):
    """Lineage events → each document's furthest stage, outcome and reason, in Redis."""

    name = "push-status"
    input_model = StageEvent
    input_topic = topics.EVENTS
    output_topic = None
    records_lineage = False

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    def process(self, doc: StageEvent) -> StageEvent:
        raise NotImplementedError("PushStatusStage writes to Redis: use process_batch")

    async def process_batch(self, docs: Sequence[StageEvent]) -> list[StageResult]:
        with redis_state("document statuses"):
            for event in docs:
                await record_status(self.redis, event)
        return list(docs)

    async def stop(self) -> None:
        await self.redis.aclose()


async def record_status(redis: Redis, event: StageEvent) -> None:
    """Keep the furthest stage that reported on a document (a redelivered earlier event never
    moves it back)."""
    if event.doc_id is None:
        return
    key = status_key(event.doc_id)
    current = await redis.hget(key, "stage")
    if current is not None and position(text_of(current)) > position(event.stage):
        return
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(
            key,
            mapping={
                "stage": event.stage,
                "outcome": event.outcome,
                "reason": event.reason or "",
                "at": event.at.isoformat(),
            },
        )
        pipe.expire(key, STATUS_TTL_S)
        await pipe.execute()


def create_stage(settings: Settings, *, standalone: bool = False) -> PushStatusStage:
    """Entry point used by ``newsflow service push-status``."""
    if standalone:
        raise ValueError("the push status book lives in Redis: it has no standalone form")
    return PushStatusStage(Redis.from_url(settings.redis.url))
