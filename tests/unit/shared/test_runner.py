"""StageRunner with an in-memory publisher: every outcome of one batch, no broker."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable

import pytest

from newsflow_shared import topics
from newsflow_shared.models import DeadLetter, IngestRequest, StageEvent
from newsflow_shared.runtime import InboundRecord, OutboundRecord, StageRunner
from newsflow_shared.settings import RuntimeSettings
from newsflow_shared.stage import Dropped, Rejected, Stage, TransientError


class MemoryPublisher:
    def __init__(self, failures: int = 0) -> None:
        self.sent: list[OutboundRecord] = []
        self.failures = failures

    async def publish(self, record: OutboundRecord) -> Awaitable[object]:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("broker away")
        self.sent.append(record)
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    def on(self, topic: str) -> list[bytes]:
        return [r.value for r in self.sent if r.topic == topic]


class EchoStage(Stage[IngestRequest, IngestRequest]):
    """Drops, rejects, fails or fans out depending on the request's source."""

    name = "echo"
    input_model = IngestRequest
    input_topic = "in"
    output_topic = "out"

    def __init__(self, transient_failures: int = 0) -> None:
        self.transient_failures = transient_failures

    def process(self, doc):
        match doc.source:
            case "drop":
                return Dropped("boring")
            case "reject":
                raise Rejected("bad_source", "no good")
            case "crash":
                raise ZeroDivisionError("oops")
            case "fanout":
                return [doc, Rejected("bad_item", "one item", doc_id="item-2", payload=b"raw")]
        return doc

    async def process_batch(self, docs):
        if self.transient_failures:
            self.transient_failures -= 1
            raise TransientError("redis down")
        return await super().process_batch(docs)


def record(value: bytes) -> InboundRecord:
    return InboundRecord(value=value, topic="in", partition=0, offset=1)


def request(source: str, request_id: str = "r1") -> bytes:
    return IngestRequest(request_id=request_id, source=source).to_wire()


def runner(stage: Stage | None = None, publisher: MemoryPublisher | None = None) -> tuple[StageRunner, MemoryPublisher]:
    publisher = publisher or MemoryPublisher()
    return StageRunner(stage or EchoStage(), publisher, RuntimeSettings(transient_retry_max_s=0.01)), publisher


def letters(publisher: MemoryPublisher) -> dict[str, DeadLetter]:
    return {d.reason: d for d in map(DeadLetter.model_validate_json, publisher.on(topics.DEAD_LETTER))}


def events(publisher: MemoryPublisher) -> list[StageEvent]:
    return [StageEvent.model_validate_json(v) for v in publisher.on(topics.EVENTS)]


async def test_undecodable_records_are_dead_lettered_with_specific_reasons():
    run, out = runner()
    unsupported = json.loads(request("x")) | {"schema_version": 2}
    await run.handle_batch(
        [
            record(b"{not json"),
            record(b'{"request_id": "r9"}'),
            record(json.dumps(unsupported).encode()),
            record(b""),
        ]
    )
    assert set(letters(out)) == {"invalid_json", "schema_invalid", "unsupported_schema_version", "empty_record"}
    assert letters(out)["schema_invalid"].doc_id == "r9"
    assert letters(out)["invalid_json"].payload == b"{not json"
    assert run.counters.dead_lettered.total() == 4


async def test_every_outcome_is_routed_and_counted_with_one_event_per_input():
    run, out = runner()
    await run.handle_batch([record(request(s, f"r-{s}")) for s in ("ok", "drop", "reject", "crash")])
    assert len(out.on("out")) == 1
    assert set(letters(out)) == {"bad_source", "processing_error"}
    assert "ZeroDivisionError" in letters(out)["processing_error"].error
    assert run.counters.dropped == {"boring": 1}
    assert sorted(e.outcome for e in events(out)) == ["dead_lettered", "dead_lettered", "dropped", "forwarded"]


async def test_a_bad_item_of_a_fan_out_is_dead_lettered_alone():
    run, out = runner()
    await run.handle_batch([record(request("fanout"))])
    assert len(out.on("out")) == 1
    assert letters(out)["bad_item"].payload == b"raw"
    forwarded = next(e for e in events(out) if e.outcome == "forwarded")
    assert "item-2" in forwarded.output_ids  # so a tracker waits for the rejected item's dead letter too


async def test_transient_failures_are_retried_not_dropped():
    run, out = runner(stage=EchoStage(transient_failures=2))
    await run.handle_batch([record(request("ok"))])
    assert len(out.on("out")) == 1 and run.counters.transient_retries == 2


async def test_publish_failures_are_retried_until_acknowledged():
    run, out = runner(publisher=MemoryPublisher(failures=1))
    await run.handle_batch([record(request("ok"))])
    assert len(out.on("out")) == 1


async def test_a_stage_returning_the_wrong_number_of_results_is_a_bug_not_a_silent_loss():
    class Short(EchoStage):
        async def process_batch(self, docs):
            return []

    run, _ = runner(stage=Short())
    with pytest.raises(RuntimeError, match="returned 0 results for 1 inputs"):
        await run.handle_batch([record(request("ok"))])


async def test_a_batch_that_fails_as_a_whole_is_retried_one_by_one_and_only_the_culprit_is_dead_lettered():
    class Sink(EchoStage):
        """Like an index write: one unacceptable document fails the whole batch."""

        async def process_batch(self, docs):
            if any(d.source == "poison" for d in docs):
                raise ValueError("date out of range")
            return list(docs)

    run, out = runner(stage=Sink())
    await run.handle_batch([record(request(s, f"r-{s}")) for s in ("a", "poison", "b")])
    assert len(out.on("out")) == 2
    assert letters(out)["processing_error"].doc_id == "r-poison"
    assert "ValueError" in letters(out)["processing_error"].error


class Staged(EchoStage):
    """Processes one document per group, last first, and records what was published meanwhile."""

    def __init__(self, publisher: MemoryPublisher) -> None:
        super().__init__()
        self.publisher = publisher
        self.published_before: list[int] = []

    def release_groups(self, docs):
        return [[i] for i in reversed(range(len(docs)))]

    async def process_batch(self, docs):
        self.published_before.append(len(self.publisher.on("out")))
        return await super().process_batch(docs)


async def test_each_release_group_is_published_before_the_next_is_processed():
    publisher = MemoryPublisher()
    stage = Staged(publisher)
    run, out = runner(stage=stage, publisher=publisher)
    await run.handle_batch([record(request("ok", f"r-{n}")) for n in range(3)])
    assert stage.published_before == [0, 1, 2]
    assert [IngestRequest.model_validate_json(v).request_id for v in out.on("out")] == ["r-2", "r-1", "r-0"]
    assert run.counters.forwarded == 3 and run.counters.batches == 1


async def test_a_send_failure_between_groups_republishes_the_whole_batch_until_acknowledged():
    publisher = MemoryPublisher()
    stage = Staged(publisher)
    run, out = runner(stage=stage, publisher=publisher)
    publisher.failures = 1  # the first group's output is refused; later groups wait for the retry
    await run.handle_batch([record(request("ok", f"r-{n}")) for n in range(2)])
    assert sorted(IngestRequest.model_validate_json(v).request_id for v in out.on("out")) == ["r-0", "r-1"]
    assert run.counters.transient_retries == 1


async def test_release_groups_that_lose_or_repeat_a_document_are_a_bug_not_a_silent_loss():
    class Lossy(EchoStage):
        def release_groups(self, docs):
            return [[0], [0]]

    run, _ = runner(stage=Lossy())
    with pytest.raises(RuntimeError, match="split 2 inputs"):
        await run.handle_batch([record(request("a", "r-a")), record(request("b", "r-b"))])


def _requests(sources: list[str]) -> list[InboundRecord]:
    return [
        InboundRecord(IngestRequest(request_id=f"r{n}", source=s).to_wire(), "in", 0, n) for n, s in enumerate(sources)
    ]


async def test_a_run_of_dead_letters_stops_the_stage_before_it_dead_letters_its_whole_topic():
    from newsflow_shared.runtime.batch import DeadLetterLimitExceeded

    publisher = MemoryPublisher()
    runner = StageRunner(EchoStage(), publisher, RuntimeSettings(dead_letter_max_consecutive=3))
    await runner.handle_batch(_requests(["reject", "reject", "ok", "reject", "reject"]))  # a good one resets the run
    assert runner.halted is None
    with pytest.raises(DeadLetterLimitExceeded):
        await runner.handle_batch(_requests(["reject"]))
    assert runner.halted == "3 inputs dead-lettered in a row (limit 3)"
    assert len(publisher.on(topics.DEAD_LETTER)) == 5, "the batch that crossed the limit is out: its evidence"


async def test_a_share_of_dead_letters_over_the_window_stops_the_stage():
    from newsflow_shared.runtime.batch import DeadLetterLimitExceeded

    settings = RuntimeSettings(dead_letter_max_consecutive=None, dead_letter_max_ratio=0.5, dead_letter_window=10)
    runner = StageRunner(EchoStage(), MemoryPublisher(), settings)
    await runner.handle_batch(_requests(["ok", "reject"] * 2))  # 2 of 4: the window is not full yet
    with pytest.raises(DeadLetterLimitExceeded):
        await runner.handle_batch(_requests(["ok", "reject", "reject"] * 2))
    assert runner.halted is not None and "of the last 10 inputs" in runner.halted
