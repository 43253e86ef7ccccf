"""The ledger: every count newsflow reports, from the lineage events topic.

The tracker is pure (``observe`` events, ask ``done``); ``follow_events`` feeds it from Kafka.
Counting from the stream, not from logs or process exit codes, is what makes ``--once`` exact:
a redelivered event changes nothing because state is keyed by ``doc_id``.

One ledger for every view: the run's summary counts every document any ingest request or push
produced (not only the requests this run sent), dead letters are counted per dead-letter record
(each has exactly one ``dead_lettered`` event, so the figure is what ``newsflow dlq list``
shows), and per stage "out" is the number of outputs, as ``newsflow status`` shows it.
"""

from __future__ import annotations

import asyncio
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from newsflow_shared import topics
from newsflow_shared.kafka_admin import topic_reader
from newsflow_shared.models import StageEvent
from newsflow_shared.pipeline import STAGES
from newsflow_shared.settings import KafkaSettings


def percentile(values: list[float], q: int) -> float:
    """The ``q``-th percentile of ``values`` (inclusive method; one value is every percentile)."""
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


class ProgressTracker:
    """Follows a set of ingest requests to the terminal state of every document they produced."""

    def __init__(self, request_ids: Iterable[str]) -> None:
        self.requests: dict[str, StageEvent | None] = dict.fromkeys(request_ids)
        self.expected: set[str] = set()
        """Documents the tracked requests produced (``done`` waits for them)."""
        self.ingested: set[str] = set()
        """Documents any ingest request or push produced: what the summary counts."""
        self.dead_letters: Counter[str] = Counter()
        """Dead-letter records by reason, one per ``dead_lettered`` event."""
        self.terminal: dict[str, StageEvent] = {}
        self.per_stage: Counter[tuple[str, str]] = Counter()
        self.handed_on: dict[str, datetime] = {}
        """When ingest passed each document on (its event follows the broker's ack)."""
        self.indexed_at: dict[str, datetime] = {}
        """When each document was first indexed: the index stage sends that event after its commit,
        so the document was searchable by then. A redelivery's later event does not count."""

    def observe(self, event: StageEvent) -> None:
        """Take one lineage event into account (idempotent)."""
        self.per_stage[(event.stage, event.outcome)] += 1
        if event.outcome == "dead_lettered":
            self.dead_letters[event.reason or "unknown"] += 1
        if event.stage == "ingest" and event.doc_id in self.requests:
            self.requests[event.doc_id] = event
            if event.outcome == "forwarded":
                self.expected.update(event.output_ids)
        if event.stage == "ingest" and event.outcome == "forwarded":  # a request (or push) expanded
            self.ingested.update(event.output_ids)
            for doc_id in event.output_ids:
                self.handed_on.setdefault(doc_id, event.at)
            return
        if event.doc_id is not None and event.is_terminal:
            self.terminal[event.doc_id] = event
            if event.outcome == "indexed":
                self.indexed_at.setdefault(event.doc_id, event.at)

    @property
    def done(self) -> bool:
        """Every request expanded (or failed) and every resulting document terminal."""
        return all(self.requests.values()) and self.expected <= self.terminal.keys()

    def summary(self) -> dict[str, Any]:
        """Counts of terminal states (the ``--json`` summary), over everything in the ledger."""
        # A fan-out item dead-lettered by ingest itself (a page that could not be fetched) was
        # never passed on: it counts as a dead letter, not as ingested (`status`: ingest out).
        refused = {d for d in self.ingested if (e := self.terminal.get(d)) and e.stage == "ingest"}
        passed_on = self.ingested - refused
        finals = [self.terminal[d] for d in passed_on if d in self.terminal]
        drops = Counter(e.reason or "unknown" for e in finals if e.outcome == "dropped")
        duplicates = sum(n for reason, n in drops.items() if reason.startswith("duplicate"))
        return {
            "ingested": len(passed_on),
            "indexed": sum(1 for e in finals if e.outcome == "indexed"),
            "duplicates": duplicates,
            "dead_lettered": sum(self.dead_letters.values()),
            "dropped": sum(drops.values()) - duplicates,
            "pending": len(passed_on - self.terminal.keys()),
            "latency_ms": self.latency_ms(),
            "drop_reasons": dict(drops),
            "dead_letter_reasons": dict(self.dead_letters),
        }

    def latency_ms(self) -> dict[str, float]:
        """Ingest→searchable time of the indexed documents: p50, p90, p99 and max, in ms."""
        seconds = [
            (at - self.handed_on[doc_id]).total_seconds()
            for doc_id, at in self.indexed_at.items()
            if doc_id in self.handed_on
        ]
        if not seconds:
            return {}
        return {
            "documents": len(seconds),
            **{f"p{q}": round(percentile(seconds, q) * 1000, 1) for q in (50, 90, 99)},
            "max": round(max(seconds) * 1000, 1),
        }

    def stage_line(self) -> str:
        """One line of live progress per stage."""
        parts = []
        for stage in STAGES:
            counts = {o: n for (s, o), n in self.per_stage.items() if s == stage}
            if counts:
                parts.append(f"{stage}: " + " ".join(f"{o}={n}" for o, n in sorted(counts.items())))
        return " | ".join(parts) or "waiting for the services…"


async def follow_events(kafka: KafkaSettings, on_event: Callable[[StageEvent], None], stop: asyncio.Event) -> None:
    """Read the events topic from the beginning (no consumer group) until ``stop`` is set."""
    consumer = topic_reader(kafka, topics.EVENTS)
    await consumer.start()
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    try:
                        on_event(StageEvent.model_validate_json(record.value or b""))
                    except ValidationError:
                        continue  # not ours to judge; the events topic is informational
    finally:
        await consumer.stop()
