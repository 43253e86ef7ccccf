"""Kafka plumbing outside the stages: topic administration, and readers for tools (progress,
dead letters, document status) that follow a topic from its beginning."""

from __future__ import annotations

import asyncio
import itertools
import logging

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, KafkaError, TopicAlreadyExistsError

from newsflow_shared import topics
from newsflow_shared.settings import KafkaSettings

log = logging.getLogger("newsflow.admin")


async def ensure_topics(
    kafka: KafkaSettings, names: tuple[str, ...] = topics.ALL_TOPICS, attempts: int | None = 30
) -> None:
    """Create any missing topic; retry with backoff while the broker is not reachable yet.

    ``attempts=None`` waits for ever (a service: better one clear log line every few seconds
    than a crash loop); a command a person runs gives up after ``attempts``."""
    delay = 0.2
    for attempt in itertools.count(1):
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap_servers, request_timeout_ms=10_000)
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [name for name in names if name not in existing]
            if missing:
                try:
                    await admin.create_topics(
                        [
                            NewTopic(name, kafka.topic_partitions.get(name, kafka.partitions), kafka.replication_factor)
                            for name in missing
                        ]
                    )
                except TopicAlreadyExistsError:
                    pass  # another process created it between list and create
                log.info("created topics: %s", ", ".join(missing))
            return
        except (KafkaConnectionError, KafkaError, OSError) as exc:
            if attempts is not None and attempt >= attempts:
                raise
            log.warning("broker %s not reachable yet (%s); retrying in %.1fs", kafka.bootstrap_servers, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
        finally:
            await admin.close()


def topic_reader(kafka: KafkaSettings, topic: str, group_id: str | None = None) -> AIOKafkaConsumer:
    """A consumer of ``topic`` from its earliest record: without a group it reads everything each
    time and commits nothing; with one, it resumes where the group left off (auto-commit)."""
    return AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka.bootstrap_servers,
        group_id=group_id,
        enable_auto_commit=group_id is not None,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=kafka.fetch_max_wait_ms,
    )
