"""ready_batches over a stand-in for a Faust stream: batching without a timer, holds, failures."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from newsflow_shared.runtime.cpu import IdleShare
from newsflow_shared.runtime.faust_driver import ready_batches


@dataclass
class FakeMessage:
    offset: int
    refcount: int = 1  # the stream's own reference, dropped when it reads the next message

    def incref(self) -> None:
        self.refcount += 1


@dataclass
class FakeEvent:
    message: FakeMessage


@dataclass
class FakeStream:
    """Delivers what is put into ``inbox``, dropping its reference as it reads the next one."""

    inbox: asyncio.Queue = field(default_factory=asyncio.Queue)

    async def events(self):
        previous = None
        while True:
            item = await self.inbox.get()
            if previous is not None:
                previous.message.refcount -= 1
            if isinstance(item, Exception):
                raise item
            previous = FakeEvent(FakeMessage(item))
            yield previous


def stream_of(*offsets: int) -> FakeStream:
    stream = FakeStream()
    for offset in offsets:
        stream.inbox.put_nowait(offset)
    return stream


async def offsets(batches, count: int) -> list[list[int]]:
    return [[event.message.offset for event in await anext(batches)] for _ in range(count)]


async def test_a_lone_record_is_handed_over_at_once_not_after_a_window():
    batches = ready_batches(stream_of(0), max_size=8)
    [batch] = await asyncio.wait_for(offsets(batches, 1), timeout=0.04)  # Faust's window was 0.05 s
    assert batch == [0]
    await batches.aclose()


async def test_records_that_arrived_together_form_one_batch_up_to_the_maximum():
    batches = ready_batches(stream_of(0, 1, 2, 3, 4), max_size=3)
    assert await offsets(batches, 2) == [[0, 1, 2], [3, 4]]
    await batches.aclose()


async def test_every_record_handed_over_is_held_until_the_agent_acks_it():
    batches = ready_batches(stream_of(0, 1, 2), max_size=3)
    batch = await anext(batches)
    # The stream read past all three (dropping its references); the holds keep them uncommitted.
    assert [event.message.refcount for event in batch] == [1, 1, 2]
    await batches.aclose()


async def test_a_failing_stream_fails_the_agent_instead_of_stalling_it():
    stream = FakeStream()
    stream.inbox.put_nowait(RuntimeError("consumer crashed"))
    batches = ready_batches(stream, max_size=4)
    with pytest.raises(RuntimeError, match="consumer crashed"):
        await asyncio.wait_for(anext(batches), timeout=1)


async def test_a_minimum_interval_spaces_batches_and_what_arrives_meanwhile_shares_the_next():
    stream = FakeStream()
    batches = ready_batches(stream, max_size=8, min_interval_s=0.2)
    loop = asyncio.get_running_loop()
    stream.inbox.put_nowait(0)
    started = loop.time()
    assert await offsets(batches, 1) == [[0]]  # the first record after a quiet spell: at once
    assert loop.time() - started < 0.1
    stream.inbox.put_nowait(1)
    loop.call_later(0.1, stream.inbox.put_nowait, 2)
    assert await offsets(batches, 1) == [[1, 2]]
    assert loop.time() - started >= 0.2
    await batches.aclose()


def test_faust_keeps_its_directory_under_the_data_dir_not_the_working_directory(tmp_path):
    from newsflow_shared.runtime.faust_driver import build_app
    from newsflow_shared.settings import Settings
    from tests.unit.shared.test_runner import EchoStage

    app, _ = build_app(
        EchoStage(),
        Settings(data_dir=tmp_path, kafka={"bootstrap_servers": "127.0.0.1:9"}, redis={"url": "redis://127.0.0.1:9"}),
    )
    assert app.conf.datadir == tmp_path / "faust" / "newsflow-echo"


class FixedIdleShare(IdleShare):
    """The machine as idle as the test says (None: unknown)."""

    def __init__(self, share: float | None) -> None:
        self.share = share

    def recent(self) -> float | None:
        return self.share


@pytest.mark.parametrize(("share", "spaced"), [(0.6, False), (0.1, True), (None, True)])
async def test_batches_are_spaced_only_while_the_machine_is_busy_or_its_load_unknown(share, spaced):
    stream = FakeStream()
    batches = ready_batches(stream, max_size=8, min_interval_s=0.2, idle=FixedIdleShare(share), spacing_idle_share=0.25)
    loop = asyncio.get_running_loop()
    stream.inbox.put_nowait(0)
    started = loop.time()
    assert await offsets(batches, 1) == [[0]]
    stream.inbox.put_nowait(1)
    assert await offsets(batches, 1) == [[1]]
    assert (loop.time() - started >= 0.2) is spaced
    await batches.aclose()


def test_the_idle_share_is_read_from_the_aggregate_cpu_line_over_the_last_seconds(tmp_path):
    stat = tmp_path / "stat"
    clock = [0.0]

    def at(seconds: float, line: str) -> None:
        clock[0] = seconds
        stat.write_text(line + "\ncpu0 1 2 3 4 5 6 7 8 9 10\n")

    # user nice system idle iowait irq softirq steal ...: idle is idle + iowait
    at(0.0, "cpu  300 0 100 350 50 0 0 0 0 0")
    idle = IdleShare(window_s=2.0, path=stat, clock=lambda: clock[0])
    at(0.1, "cpu  301 0 100 351 50 0 0 0 0 0")
    assert idle.recent() is None  # 2 ticks: too few to judge
    at(1.0, "cpu  500 0 200 400 50 0 0 0 0 0")
    assert idle.recent() == pytest.approx(50 / 350)  # since the first reading
    at(2.5, "cpu  510 0 200 500 50 0 0 0 0 0")
    assert idle.recent() == pytest.approx(149 / 458)  # from the newest reading at least 2 s old (0.1)
    at(3.5, "cpu  520 0 200 600 50 0 0 0 0 0")
    assert idle.recent() == pytest.approx(200 / 220)  # from the reading at 1.0, now 2.5 s old
    assert IdleShare(path=tmp_path / "absent").recent() is None
