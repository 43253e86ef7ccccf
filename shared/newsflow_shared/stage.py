"""What a service implements: a small ``Stage`` with a ``process()`` method.

The runtime (:mod:`newsflow_shared.runtime`) owns everything else: consuming, validating the
input against ``input_model``, batching, producing outputs, dead-lettering, counting, and
committing offsets only after every output of a batch is acknowledged by the broker.

A stage signals outcomes without knowing about Kafka:

- return an output model (or a list of them, for fan-out) → forwarded to ``output_topic``;
- return :class:`Dropped` → counted under its reason, recorded as a terminal lineage event (and,
  with ``kept``, the document written to the excluded-documents topic);
- raise :class:`Rejected` → the input is dead-lettered with the given reason code;
- raise :class:`TransientError` → a dependency is unavailable; the batch is retried with
  backoff and nothing is committed meanwhile (back-pressure instead of loss);
- any other exception → dead-lettered with reason ``processing_error`` (never a crash).
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

from newsflow_shared.models import StageEvent, WireModel

InT = TypeVar("InT", bound=WireModel)
OutT = TypeVar("OutT", bound=WireModel)


@dataclass(frozen=True, slots=True)
class Dropped:
    """A deliberate, counted drop (e.g. a duplicate). ``reason`` is a short snake_case code.

    ``kept``: the document as the stage would have passed it on, for a drop a person may want to
    look at or overrule (a page judged not to be an article): the runtime writes it to the
    excluded-documents topic instead of forgetting it."""

    reason: str
    detail: str = ""
    kept: WireModel | None = None


class Rejected(Exception):
    """The input is bad and retrying will not help: dead-letter it under ``reason``."""

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        doc_id: str | None = None,
        payload: bytes | None = None,
        source: str | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.doc_id = doc_id
        self.payload = payload
        """For one item of a fan-out (e.g. a bad JSONL line): its id and bytes for the dead letter."""
        self.source = source
        """For one item of a fan-out: where ingest can read it again (``path#N``, a URL), which is
        what ``newsflow dlq replay`` requests."""


class TransientError(Exception):
    """A dependency (Redis, the index, the network) is unavailable: retry later, do not drop."""


StageResult = WireModel | list[WireModel | Rejected] | Dropped | BaseException
"""What a stage produced for one input: output(s), a drop, or the exception it raised.

A fan-out list may contain :class:`Rejected` items: each is dead-lettered on its own while the
rest are forwarded (one bad line of a JSONL file does not sink the file)."""


class Stage(ABC, Generic[InT, OutT]):
    """One pipeline step. Subclasses set the class attributes and implement :meth:`process`."""

    name: ClassVar[str]
    """Short service name; also the consumer group suffix and the dead-letter ``stage`` field."""
    input_model: ClassVar[type[WireModel]]
    input_topic: ClassVar[str]
    output_topic: ClassVar[str | None]
    """``None`` for a sink (index): its effect is the output."""
    success_outcome: ClassVar[str] = "forwarded"
    """Lineage outcome recorded when ``process`` succeeds (a sink records ``indexed``)."""
    records_lineage: ClassVar[bool] = True
    """False for a stage that consumes the lineage events themselves (its own events would feed
    it for ever); its dead letters are still written."""
    max_batch_size: ClassVar[int | None] = None
    """A cap on ``RuntimeSettings.batch_size`` for stages whose inputs are whole web pages: a
    batch's memory is its documents' size times the copies each step makes."""
    min_batch_interval_s: float = 0.0
    """Least time between the starts of two batches while the machine's CPU is busy
    (``RuntimeSettings.spacing_idle_share``). Batches are otherwise taken as soon as a record
    arrives; a stage whose every batch has a fixed cost (the index's commit) sets this so that
    under load the records arriving meanwhile share one batch, while a record arriving after a
    quiet spell, or while CPU is to spare, is still taken at once."""

    downstream_work_per_s: ClassVar[float] = 0.0
    """How much of :meth:`downstream_work`'s unit the next stage gets through in a second, per
    worker (0: the stage gives no estimate, and outputs are partitioned by key)."""

    def downstream_work(self, output: OutT) -> float:
        """An estimate of the next stage's work for ``output``, in the unit of
        ``downstream_work_per_s``. With such an estimate the runtime sends each output to the
        output topic's partition with the least work outstanding (``runtime.balance``) instead
        of hashing its key: the next stage's workers then share the work, not only the records."""
        return 0.0

    async def start(self) -> None:
        """Open resources (connections, models). Called once before the first batch."""

    async def stop(self) -> None:
        """Release resources. Called once at shutdown, after the last batch."""

    @abstractmethod
    def process(self, doc: InT) -> OutT | list[OutT | Rejected] | Dropped:
        """Turn one input into its output(s), or a :class:`Dropped`. Pure: no broker I/O."""

    async def process_batch(self, docs: Sequence[InT]) -> list[StageResult]:
        """Process a batch; one result per input, in order.

        The default runs :meth:`process` for each document in a worker thread, so CPU-heavy
        stages do not starve the event loop (which must keep the consumer group heartbeat
        going). Stages with batched I/O (dedup claims, index writes) override this.
        """
        return await asyncio.to_thread(self.process_each, docs)

    def process_each(self, docs: Sequence[InT]) -> list[StageResult]:
        """Call :meth:`process` on every document, capturing each one's exception as its result."""
        results: list[StageResult] = []
        for doc in docs:
            try:
                results.append(self.process(doc))  # type: ignore[arg-type]
            except TransientError:
                raise
            except Exception as exc:  # noqa: BLE001 - becomes a dead letter, never a crash
                results.append(exc)
        return results

    def release_groups(self, docs: Sequence[InT]) -> list[Sequence[int]]:
        """How a batch is split for processing, as groups of indexes into ``docs``: each group is
        handed to :meth:`process_batch` on its own and its outputs are produced as soon as it is
        done, while the batch is committed as a whole after every ack.

        The default is the whole batch as one group, which stages with batched I/O (dedup claims,
        index writes) need. A CPU-bound stage that tags one document after another can release
        each as it is done, shortest first, so that a short document never waits for a long one.
        """
        return [range(len(docs))]

    def success_event(self, doc: WireModel, output_ids: Sequence[str]) -> StageEvent:
        """The lineage event for a successfully processed input (``output_ids``: what it became)."""
        return StageEvent(
            stage=self.name,
            doc_id=doc.record_id,
            outcome=self.success_outcome,
            output_ids=list(output_ids),
        )
