"""Stages chained in one process, through the same ``StageRunner`` the services run.

No broker: an in-memory publisher catches what each stage's runner produces, and the records a
stage wrote to its output topic become the next stage's input batch. Drops, dead letters and
lineage events are therefore made exactly as in the services (one place interprets
``Dropped``, ``Rejected`` and exceptions: the runner). ``newsflow extract`` runs ingest → clean →
strip → extract this way; the lab's serial baseline runs all five stages per document.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from newsflow_shared import topics
from newsflow_shared.models import DeadLetter, StageEvent, WireModel
from newsflow_shared.runtime.batch import InboundRecord, OutboundRecord, StageRunner
from newsflow_shared.settings import RuntimeSettings
from newsflow_shared.stage import Stage


class MemoryPublisher:
    """A ``Publisher`` that keeps every record and acknowledges it at once."""

    def __init__(self) -> None:
        self.records: list[OutboundRecord] = []

    async def publish(self, record: OutboundRecord) -> asyncio.Future[None]:
        self.records.append(record)
        acked: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        acked.set_result(None)
        return acked

    def take(self) -> list[OutboundRecord]:
        taken, self.records = self.records, []
        return taken


@dataclass
class ChainRun:
    """What one pass through the chain produced, by kind, in the order it was produced."""

    outputs: dict[str, list[bytes]] = field(default_factory=dict)
    """Record values per output topic (the last stage's topic holds the chain's result)."""
    dead_letters: list[DeadLetter] = field(default_factory=list)
    events: list[StageEvent] = field(default_factory=list)
    excluded: list[bytes] = field(default_factory=list)

    def of(self, topic: str, model: type[Any]) -> list[Any]:
        """The records written to ``topic``, read back as ``model``."""
        return [model.model_validate_json(value) for value in self.outputs.get(topic, [])]


class InProcessChain:
    """``stages`` in pipeline order, each consuming what the one before it wrote."""

    def __init__(self, stages: Sequence[Stage[Any, Any]], settings: RuntimeSettings | None = None) -> None:
        self.stages = list(stages)
        self.publisher = MemoryPublisher()
        self.runners = [StageRunner(stage, self.publisher, settings or RuntimeSettings()) for stage in self.stages]

    async def start(self) -> None:
        for stage in self.stages:
            await stage.start()

    async def stop(self) -> None:
        for stage in self.stages:
            await stage.stop()

    async def run(self, inputs: Sequence[WireModel]) -> ChainRun:
        """Send ``inputs`` (records for the first stage's topic) through every stage."""
        result = ChainRun()
        pending = [InboundRecord(doc.to_wire(), self.stages[0].input_topic) for doc in inputs]
        for stage, runner in zip(self.stages, self.runners, strict=True):
            if not pending:
                break
            await runner.handle_batch(pending)
            pending = []
            for offset, record in enumerate(self.publisher.take()):
                if record.topic == topics.DEAD_LETTER:
                    result.dead_letters.append(DeadLetter.model_validate_json(record.value))
                elif record.topic == topics.EVENTS:
                    result.events.append(StageEvent.model_validate_json(record.value))
                elif record.topic == topics.EXCLUDED:
                    result.excluded.append(record.value)
                else:
                    result.outputs.setdefault(record.topic, []).append(record.value)
                    if record.topic == stage.output_topic:
                        pending.append(InboundRecord(record.value, record.topic, 0, offset))
        return result
