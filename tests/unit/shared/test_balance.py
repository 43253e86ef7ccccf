"""LeastWorkPartitioner, and the runner sending a stage's outputs where the least work waits."""

from __future__ import annotations

import pytest

from newsflow_shared.models import IngestRequest
from newsflow_shared.runtime import StageRunner
from newsflow_shared.runtime.balance import LeastWorkPartitioner
from newsflow_shared.settings import RuntimeSettings
from tests.unit.shared.test_runner import EchoStage, MemoryPublisher, record, request


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_short_document_goes_to_the_worker_that_is_not_busy_with_a_long_one():
    clock = Clock()
    balance = LeastWorkPartitioner(2, drained_per_s=100.0, clock=clock)
    long_one = balance.partition(b"long", 50.0)  # half a second of the next stage's work
    clock.now = 0.1
    assert [balance.partition(k, 5.0) for k in (b"a", b"b", b"c")] == [1 - long_one] * 3
    clock.now = 0.6  # the long one is done by now, and so are the short ones
    assert balance.partition(b"d", 5.0) == 0
    assert balance.outstanding == [5.0, 0.0]


def test_work_drains_at_the_given_rate_and_ties_go_to_the_first_partition():
    clock = Clock()
    balance = LeastWorkPartitioner(3, drained_per_s=10.0, clock=clock)
    assert [balance.partition(k, 10.0) for k in (b"a", b"b", b"c")] == [0, 1, 2]
    clock.now = 0.5
    assert balance.partition(b"d", 1.0) == 0
    assert balance.outstanding == pytest.approx([6.0, 5.0, 5.0])


def test_a_key_keeps_its_partition_while_it_is_remembered():
    clock = Clock()
    balance = LeastWorkPartitioner(2, drained_per_s=1.0, remembered=2, clock=clock)
    assert balance.partition(b"doc", 100.0) == 0
    assert balance.partition(b"doc", 1.0) == 0  # a second version follows the first, busy or not
    balance.partition(b"x", 1.0)
    balance.partition(b"y", 1.0)  # "doc" is forgotten now (two keys remembered)
    assert balance.partition(b"doc", 1.0) == 1


class WeighedEcho(EchoStage):
    downstream_work_per_s = 100.0

    def downstream_work(self, output: IngestRequest) -> float:
        return float(len(output.source))


async def test_the_runner_partitions_outputs_by_work_only_for_a_stage_that_estimates_it():
    publisher = MemoryPublisher()
    runner = StageRunner(WeighedEcho(), publisher, RuntimeSettings(), output_partitions=2)
    long_source, short_sources = "x" * 500, ["s1", "s2"]
    await runner.handle_batch([record(request(long_source, "r1"))])
    await runner.handle_batch([record(request(s, f"r{i + 2}")) for i, s in enumerate(short_sources)])
    assert [r.partition for r in publisher.sent if r.topic == "out"] == [0, 1, 1]

    keyed = MemoryPublisher()
    await StageRunner(EchoStage(), keyed, RuntimeSettings(), output_partitions=2).handle_batch([record(request("a"))])
    assert [r.partition for r in keyed.sent if r.topic == "out"] == [None]
