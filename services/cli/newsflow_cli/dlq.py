"""``newsflow dlq list|show|replay``: inspect dead letters and re-inject them after a fix.

Dead letters carry the original record's bytes and the topic it came from, so a replay puts the
very record back where it failed. Replays are safe to repeat: every effect downstream is
idempotent by ``doc_id`` (the index upserts, dedup claims are owned by ``doc_id``), so a replayed
document that had meanwhile been indexed replaces itself instead of doubling. An ingest item
whose payload is a URL (a page that failed to fetch) is replayed as a new ingest request for
that URL, and any other ingest item (a JSON Lines record, say) as a new request for its
``source_ref`` (``path#N``). Replayed dead letters are remembered in Redis, so ``replay`` twice does not resend
them unless ``--again`` says so.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from pydantic import ValidationError
from redis.asyncio import Redis

from newsflow_shared import topics
from newsflow_shared.kafka_admin import topic_reader
from newsflow_shared.models import DeadLetter, IngestRequest
from newsflow_shared.settings import Settings
from newsflow_shared.urls import is_web_url

REPLAYED_TTL_S = 30 * 24 * 3600
IDLE_POLLS_TO_STOP = 3


@dataclass(frozen=True)
class Letter:
    """A dead letter and where it sits on the dead-letter topic."""

    partition: int
    offset: int
    record: DeadLetter

    @property
    def ref(self) -> str:
        return f"{self.partition}:{self.offset}"


async def read_letters(settings: Settings, reason: str | None = None, stage: str | None = None) -> list[Letter]:
    """Every dead letter on the topic (optionally one reason or stage), oldest first per partition.

    Reads until the topic stays quiet for a few polls rather than trusting end offsets (the dev
    broker reports them wrong when a batch held several records)."""
    consumer = topic_reader(settings.kafka, topics.DEAD_LETTER)
    await consumer.start()
    letters: list[Letter] = []
    idle = 0
    try:
        while idle < IDLE_POLLS_TO_STOP:
            batches = await consumer.getmany(timeout_ms=500)
            idle = 0 if any(batches.values()) else idle + 1
            for partition, records in batches.items():
                for record in records:
                    try:
                        letter = DeadLetter.model_validate_json(record.value or b"")
                    except ValidationError:
                        continue  # not a dead letter of ours
                    if (reason is None or letter.reason == reason) and (stage is None or letter.stage == stage):
                        letters.append(Letter(partition.partition, record.offset, letter))
    finally:
        await consumer.stop()
    return sorted(letters, key=lambda letter: (letter.record.dead_lettered_at, letter.partition, letter.offset))


def table(letters: Sequence[Letter]) -> str:
    """One line per dead letter: where it is, when, which stage and reason, which document."""
    lines = [f"{'ref':<10} {'dead-lettered at':<20} {'stage':<8} {'reason':<26} {'doc_id':<22} error"]
    for letter in letters:
        record = letter.record
        error = " ".join(record.error.split())[:60]
        lines.append(
            f"{letter.ref:<10} {record.dead_lettered_at:%Y-%m-%d %H:%M:%S} {record.stage:<8} "
            f"{record.reason:<26} {record.doc_id or '-':<22} {error}"
        )
    return "\n".join(lines)


def detail(letter: Letter) -> str:
    """Everything about one dead letter, with the payload as text where it is text."""
    fields = letter.record.model_dump(mode="json", exclude={"payload"})
    payload = letter.record.payload
    try:
        preview = payload.decode("utf-8")
    except UnicodeDecodeError:
        preview = f"<{len(payload)} bytes of binary>"
    return (
        json.dumps({"ref": letter.ref, **fields, "payload_bytes": len(payload)}, indent=2)
        + "\npayload:\n"
        + preview[:4000]
    )


def replay_record(letter: DeadLetter) -> tuple[str, bytes, bytes] | None:
    """(topic, key, value) that re-injects ``letter``, or None when it cannot be replayed."""
    if letter.stage == "ingest" and letter.source_topic == topics.INGEST_REQUESTS:
        text = letter.payload.decode("utf-8", "replace").strip()
        if letter.source_ref:  # one item of a fan-out (a JSONL line, a feed's page): ask for it again
            request = IngestRequest(request_id=f"replay-{uuid.uuid4().hex[:12]}", source=letter.source_ref)
            return topics.INGEST_REQUESTS, request.partition_key(), request.to_wire()
        if is_web_url(text):  # a page of a feed or list that failed to fetch (a letter from before source_ref)
            request = IngestRequest(request_id=f"replay-{uuid.uuid4().hex[:12]}", source=text)
            return topics.INGEST_REQUESTS, request.partition_key(), request.to_wire()
        if letter.doc_id is None or not text.startswith("{"):
            return None
    key = (letter.doc_id or "").encode()
    return letter.source_topic, key, letter.payload


async def replay(settings: Settings, letters: Sequence[Letter], again: bool = False) -> tuple[int, int, int]:
    """Re-inject ``letters``; returns (replayed, skipped as replayed before, not replayable)."""
    redis = Redis.from_url(settings.redis.url)
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka.bootstrap_servers,
        acks="all",
        max_request_size=settings.kafka.max_request_bytes,
    )
    await producer.start()
    sent = before = impossible = 0
    try:
        for letter in letters:
            marker = f"newsflow:dlq:replayed:{letter.ref}:{letter.record.dead_lettered_at.timestamp():.6f}"
            if not again and await redis.exists(marker):
                before += 1
                continue
            target = replay_record(letter.record)
            if target is None:
                impossible += 1
                continue
            topic, key, value = target
            await producer.send_and_wait(topic, value, key=key)
            await redis.set(marker, 1, ex=REPLAYED_TTL_S)
            sent += 1
    finally:
        await producer.stop()
        await redis.aclose()
    return sent, before, impossible
