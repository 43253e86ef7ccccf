"""The broker-independent core of the runtime: one batch in, outputs + dead letters + events out.

``StageRunner.handle_batch`` is the whole consume → validate → process → produce → dead-letter
path for one batch. It knows nothing about Faust: the driver hands it ``InboundRecord``s and a
``Publisher``, and commits the batch only after ``handle_batch`` returns, which happens only
after the broker acknowledged every record it produced. That split keeps the loop written
once, and lets unit tests drive it with an in-memory publisher.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pydantic import ValidationError

from newsflow_shared import topics
from newsflow_shared.models import DeadLetter, StageEvent, WireModel
from newsflow_shared.runtime.balance import LeastWorkPartitioner
from newsflow_shared.settings import RuntimeSettings
from newsflow_shared.stage import Dropped, Rejected, Stage, StageResult, TransientError

log = logging.getLogger("newsflow.runtime")


@dataclass(frozen=True, slots=True)
class InboundRecord:
    """One consumed record, as the driver saw it."""

    value: bytes | None
    topic: str
    partition: int | None = None
    offset: int | None = None
    timestamp: datetime | None = None


@dataclass(frozen=True, slots=True)
class OutboundRecord:
    """One record to produce."""

    topic: str
    key: bytes
    value: bytes
    partition: int | None = None
    """None: the producer's partitioner hashes ``key``."""


class Publisher(Protocol):
    """Sends records; the driver's adapter over its producer."""

    async def publish(self, record: OutboundRecord) -> Awaitable[object]:
        """Hand ``record`` to the producer; the returned awaitable completes on broker ack."""
        ...


@dataclass
class StageCounters:
    """What a stage did since start, by outcome and reason (exported as metrics)."""

    received: int = 0
    forwarded: int = 0
    outputs: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    dead_lettered: Counter[str] = field(default_factory=Counter)
    batches: int = 0
    transient_retries: int = 0
    processing_seconds: float = 0.0

    def snapshot(self) -> dict[str, object]:
        """A JSON-friendly copy."""
        return {
            "received": self.received,
            "forwarded": self.forwarded,
            "outputs": self.outputs,
            "dropped": dict(self.dropped),
            "dead_lettered": dict(self.dead_lettered),
            "batches": self.batches,
            "transient_retries": self.transient_retries,
            "processing_seconds": round(self.processing_seconds, 3),
        }


def classify_decode_error(exc: ValidationError) -> str:
    """Map a validation failure to a reason code a person can act on."""
    for error in exc.errors():
        if error["type"] == "json_invalid":
            return "invalid_json"
        if error["loc"][:1] == ("schema_version",):
            return "unsupported_schema_version"
    return "schema_invalid"


def sniff_doc_id(payload: bytes | None) -> str | None:
    """Best-effort ``doc_id`` of an undecodable record, so its dead letter can be traced."""
    if not payload:
        return None
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(data, dict):
        for key in ("doc_id", "request_id"):
            if isinstance(data.get(key), str):
                return str(data[key])
    return None


class DeadLetterLimitExceeded(RuntimeError):
    """Too many inputs in a row (or too large a share of them) were dead-lettered: the stage stops
    rather than dead-letter the rest of its topic, which would be a bad deploy's doing."""


class DeadLetterLimit:
    """Arroyo's ``DlqLimit``: counts inputs and their dead letters, and says when a limit is past."""

    def __init__(self, settings: RuntimeSettings) -> None:
        self.max_consecutive = settings.dead_letter_max_consecutive
        self.max_ratio = settings.dead_letter_max_ratio
        self.recent: deque[bool] = deque(maxlen=settings.dead_letter_window)
        self.consecutive = 0

    def record(self, dead_lettered: bool) -> None:
        self.recent.append(dead_lettered)
        self.consecutive = self.consecutive + 1 if dead_lettered else 0

    def exceeded(self) -> str | None:
        """Why the stage must stop, or None."""
        if self.max_consecutive is not None and self.consecutive >= self.max_consecutive:
            return f"{self.consecutive} inputs dead-lettered in a row (limit {self.max_consecutive})"
        if self.max_ratio is not None and len(self.recent) == self.recent.maxlen:
            ratio = sum(self.recent) / len(self.recent)
            if ratio >= self.max_ratio:
                return f"{ratio:.0%} of the last {len(self.recent)} inputs dead-lettered (limit {self.max_ratio:.0%})"
        return None


class StageRunner:
    """Runs one stage over batches of records (see module docstring)."""

    def __init__(
        self,
        stage: Stage[Any, Any],
        publisher: Publisher,
        settings: RuntimeSettings,
        on_batch: Callable[[int, float], None] | None = None,
        output_partitions: int = 1,
    ) -> None:
        self.stage = stage
        self.publisher = publisher
        self.settings = settings
        self.balancer = (
            LeastWorkPartitioner(output_partitions, stage.downstream_work_per_s)
            if stage.downstream_work_per_s > 0 and output_partitions > 1
            else None
        )
        """Partitions outputs by the next stage's work (``Stage.downstream_work``), or None: by key."""
        self.counters = StageCounters()
        self.on_batch = on_batch  # (records, processing seconds) after each batch: the histograms
        self.dead_letter_limit = DeadLetterLimit(settings)
        self.halted: str | None = None
        """Why the stage stopped (the dead-letter limit), or None while it runs."""

    async def handle_batch(self, records: Sequence[InboundRecord]) -> None:
        """Process ``records`` and return once every resulting record is acknowledged.

        The stage may split the batch (``Stage.release_groups``): each group's records go to the
        producer as soon as the group is processed, so a short document need not wait for a long
        one processed after it. The batch is still committed as a whole, after every ack.
        """
        started = time.perf_counter()
        self.counters.batches += 1
        self.counters.received += len(records)
        outbound: list[OutboundRecord] = []
        valid: list[tuple[InboundRecord, WireModel]] = []
        for record in records:
            try:
                if not record.value:
                    raise Rejected("empty_record", "record has no value")
                doc = self.stage.input_model.model_validate_json(record.value)
            except ValidationError as exc:
                outbound += self._dead_letter(record, classify_decode_error(exc), str(exc), None)
                self.dead_letter_limit.record(True)
            except Rejected as exc:
                outbound += self._dead_letter(record, exc.reason, str(exc), None)
                self.dead_letter_limit.record(True)
            else:
                valid.append((record, doc))

        acks = await self._send([], outbound)
        for group in self._release_groups([doc for _, doc in valid]):
            members = [valid[i] for i in group]
            results = await self._process_until_available([doc for _, doc in members])
            produced = [
                out
                for (record, doc), result in zip(members, results, strict=True)
                for out in self._route(record, doc, result)
            ]
            for result in results:
                self.dead_letter_limit.record(isinstance(result, BaseException))
            outbound += produced
            acks = await self._send(acks, produced)

        elapsed = time.perf_counter() - started
        self.counters.processing_seconds += elapsed
        if self.on_batch is not None:
            self.on_batch(len(records), elapsed)
        await self._publish_until_acknowledged(outbound, acks)
        if (why := self.dead_letter_limit.exceeded()) is not None:
            # Raised after the batch is out (its dead letters are the evidence) and before it is
            # committed: the driver stops consuming, so nothing after it is dead-lettered too.
            self.halted = why
            raise DeadLetterLimitExceeded(f"stage {self.stage.name} stopped: {why}")

    def _release_groups(self, docs: list[WireModel]) -> list[Sequence[int]]:
        if not docs:
            return []
        groups = self.stage.release_groups(docs)
        if sorted(i for group in groups for i in group) != list(range(len(docs))):
            raise RuntimeError(f"stage {self.stage.name} split {len(docs)} inputs into groups {groups}")
        return groups

    async def _process_until_available(self, docs: list[WireModel]) -> list[StageResult]:
        """Run the stage; on a transient failure back off and retry, holding the batch uncommitted."""
        delay = 0.2
        while True:
            try:
                results = await self.stage.process_batch(docs)
            except TransientError as exc:
                self.counters.transient_retries += 1
                log.warning(
                    "stage %s: dependency unavailable, retrying batch of %d in %.1fs: %s",
                    self.stage.name,
                    len(docs),
                    delay,
                    exc,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.settings.transient_retry_max_s)
                continue
            except Exception as exc:  # noqa: BLE001 - one bad document must not stall its partition
                # A batch-level failure (an index write refusing one document, say) would
                # otherwise crash the worker and be redelivered forever. Retry the documents one
                # by one: the one that fails alone becomes a dead letter, the rest go on.
                if len(docs) == 1:
                    return [exc]
                log.warning(
                    "stage %s: batch of %d failed (%s: %s); retrying its documents one by one",
                    self.stage.name,
                    len(docs),
                    type(exc).__name__,
                    exc,
                )
                return [result for doc in docs for result in await self._process_until_available([doc])]
            if len(results) != len(docs):
                raise RuntimeError(f"stage {self.stage.name} returned {len(results)} results for {len(docs)} inputs")
            return results

    def _route(self, record: InboundRecord, doc: WireModel, result: StageResult) -> list[OutboundRecord]:
        stage = self.stage
        doc_id = doc.record_id
        if isinstance(result, Dropped):
            self.counters.dropped[result.reason] += 1
            log.info("dropped", extra={"doc_id": doc_id, "stage": stage.name, "reason": result.reason})
            event = StageEvent(
                stage=stage.name, doc_id=doc_id, outcome="dropped", reason=result.reason, detail=result.detail or None
            )
            kept = result.kept
            excluded = [OutboundRecord(topics.EXCLUDED, kept.partition_key(), kept.to_wire())] if kept else []
            return [*excluded, *self._event_record(event)]
        if isinstance(result, Rejected):
            return self._dead_letter(record, result.reason, str(result), doc_id)
        if isinstance(result, BaseException):
            error = f"{type(result).__name__}: {result}"
            log.error("processing failed", extra={"doc_id": doc_id, "stage": stage.name, "error": error})
            return self._dead_letter(record, "processing_error", error, doc_id)

        items = result if isinstance(result, list) else [result]
        outputs = [item for item in items if isinstance(item, WireModel)]
        produced: list[OutboundRecord] = []
        # Rejected items of a fan-out are outputs too (their journey ends in the dead-letter topic),
        # so they are listed in the lineage event and a tracker waits for them.
        output_ids = [out.record_id or "" for out in outputs]
        for item in items:
            if isinstance(item, Rejected):
                item_record = InboundRecord(
                    item.payload, record.topic, record.partition, record.offset, record.timestamp
                )
                produced += self._dead_letter(item_record, item.reason, str(item), item.doc_id, item.source)
                if item.doc_id:
                    output_ids.append(item.doc_id)
        self.counters.forwarded += 1
        self.counters.outputs += len(outputs)
        if stage.output_topic is not None:
            produced += [self._output_record(stage.output_topic, out) for out in outputs]
        return [*produced, *self._event_record(stage.success_event(doc, output_ids))]

    def _output_record(self, topic: str, out: WireModel) -> OutboundRecord:
        key = out.partition_key()
        if self.balancer is None:
            return OutboundRecord(topic, key, out.to_wire())
        return OutboundRecord(topic, key, out.to_wire(), self.balancer.partition(key, self.stage.downstream_work(out)))

    def _dead_letter(
        self, record: InboundRecord, reason: str, error: str, doc_id: str | None, source_ref: str | None = None
    ) -> list[OutboundRecord]:
        doc_id = doc_id or sniff_doc_id(record.value)
        self.counters.dead_lettered[reason] += 1
        log.warning("dead-lettered", extra={"doc_id": doc_id, "stage": self.stage.name, "reason": reason})
        letter = DeadLetter(
            stage=self.stage.name,
            reason=reason,
            error=error[: self.settings.max_error_text],
            doc_id=doc_id,
            source_topic=record.topic,
            source_partition=record.partition,
            source_offset=record.offset,
            payload=record.value or b"",
            source_ref=source_ref,
            first_seen_at=record.timestamp,
        )
        event = StageEvent(stage=self.stage.name, doc_id=doc_id, outcome="dead_lettered", reason=reason)
        return [
            OutboundRecord(topics.DEAD_LETTER, letter.partition_key(), letter.to_wire()),
            *self._event_record(event),
        ]

    def _event_record(self, event: StageEvent) -> list[OutboundRecord]:
        if not self.stage.records_lineage:
            return []
        return [OutboundRecord(topics.EVENTS, event.partition_key(), event.to_wire())]

    async def _send(
        self, acks: list[Awaitable[object]] | None, records: list[OutboundRecord]
    ) -> list[Awaitable[object]] | None:
        """Hand ``records`` to the producer now; ``None`` once a send failed (the batch's whole
        output is then published again by :meth:`_publish_until_acknowledged`)."""
        if acks is None:
            return None
        try:
            return acks + [await self.publisher.publish(record) for record in records]
        except Exception as exc:  # noqa: BLE001 - retried with the rest of the batch, never dropped
            self.counters.transient_retries += 1
            log.warning("publishing %d records failed, retrying with the batch: %r", len(records), exc)
            return None

    async def _publish_until_acknowledged(
        self, outbound: list[OutboundRecord], acks: list[Awaitable[object]] | None
    ) -> None:
        """Wait for every ack of ``outbound`` (already sent when ``acks`` is given); on failure
        produce the whole set again until it is acknowledged.

        A retry may produce some records twice. That is the at-least-once contract: every
        consumer downstream is idempotent by ``doc_id``.
        """
        delay = 0.2
        while True:
            try:
                if acks is None:
                    acks = [await self.publisher.publish(record) for record in outbound]
                await asyncio.gather(*acks)
                return
            except Exception as exc:  # noqa: BLE001 - broker trouble is retried, never dropped
                acks = None
                self.counters.transient_retries += 1
                log.warning("publishing %d records failed, retrying in %.1fs: %r", len(outbound), delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.settings.transient_retry_max_s)
