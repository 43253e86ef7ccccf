"""Drive a :class:`~newsflow_shared.stage.Stage` with a Faust app built by a factory.

Batches are whatever has arrived, taken as soon as anything has (:func:`ready_batches`): one
document alone is handled at once, and under load the records that arrived while a batch was
being handled form the next one. Faust's ``take_events`` instead waits out a timer for every
batch (half its window per hop on average) and wakes every window while idle.

Commit-after-acknowledge, concretely: the stream delivers each message with one reference and
drops it when the next message is read. :func:`ready_batches` takes an extra reference
(``message.incref()``) as soon as a message is read, and the agent acks it (``stream.ack``,
the final reference, which marks the offset safe to commit) only after
``StageRunner.handle_batch`` returned, i.e. after the broker acknowledged every output, dead
letter and lineage event. A batch interrupted by SIGTERM is never acked, so it is redelivered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, datetime
from typing import Any

import faust
from faust.tables import TableManager
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

from newsflow_shared.logs import json_logging_config
from newsflow_shared.observability import ObservabilityServer, StageMetrics
from newsflow_shared.runtime.batch import DeadLetterLimitExceeded, InboundRecord, OutboundRecord, StageRunner
from newsflow_shared.runtime.cpu import IdleShare
from newsflow_shared.settings import Settings
from newsflow_shared.stage import Stage

log = logging.getLogger("newsflow.runtime")


class _LowLatencyConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    """Faust hard-codes ``fetch_max_wait_ms=1500``; against the dev broker each hop then waits
    ~0.7 s. We set the consumer's value from settings before it starts (see docs/decisions.md)."""

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = getattr(self.app, "fetch_max_wait_ms", NewsflowApp.fetch_max_wait_ms)
        return consumer


class _LowLatencyConsumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return _LowLatencyConsumerThread(self, loop=self.loop, beacon=self.beacon)


class _LowLatencyTransport(faust_aiokafka.Transport):
    Consumer = _LowLatencyConsumer


class _TablelessTableManager(TableManager):
    """Faust's table manager sleeps 1 s at start so that tables declared late can still register
    before the first subscription. A stage app declares no tables (``build_app`` builds the whole
    app before the worker starts), so that second is pure start-up latency: skip it."""

    async def on_start(self) -> None:
        if not self.should_stop:
            await self._update_channels()
            await self.recovery.start()


class NewsflowApp(faust.App):
    """A Faust app whose consumer honours ``KafkaSettings.fetch_max_wait_ms``."""

    fetch_max_wait_ms: int = 500

    def _new_transport(self) -> Any:
        return _LowLatencyTransport(self.conf.broker_consumer, self)


class _FaustPublisher:
    """Publishes through the app's producer; the awaitable resolves on broker ack."""

    def __init__(self, app: faust.App) -> None:
        self._topics: dict[str, faust.TopicT] = {}
        self._partition_counts: dict[str, int] = {}
        self._app = app

    async def publish(self, record: OutboundRecord) -> Awaitable[object]:
        topic = self._topics.get(record.topic)
        if topic is None:
            topic = self._topics[record.topic] = self._app.topic(
                record.topic, key_serializer="raw", value_serializer="raw"
            )
        partition = record.partition
        if partition is not None:
            # The balancer counts the partitions the settings give; a topic made elsewhere with
            # fewer must not make a record unsendable.
            known = await self._partitions(record.topic)
            partition = partition % known if known else None
        # force=True: send now instead of attaching to the current event; the runtime itself
        # waits for these acks before the input may be committed.
        return await topic.send(key=record.key, value=record.value, partition=partition, force=True)

    async def _partitions(self, topic: str) -> int:
        """The topic's partition count as the producer's metadata has it (0: unknown)."""
        if topic not in self._partition_counts:
            faust_producer: Any = self._app.producer  # aiokafka's producer under Faust's
            partitions = await faust_producer._ensure_producer().partitions_for(topic)
            self._partition_counts[topic] = len(partitions or ())
        return self._partition_counts[topic]


class _ConsumerProgress:
    """Lag as far as this consumer can tell: the partition's high watermark minus the next offset
    it will read, for partitions it has read from. (The dev broker's ``latest`` offsets can be a
    few records off; issue notes say to compute from what the consumer has seen.)"""

    def __init__(self, app: faust.App) -> None:
        self._app = app
        self.next_offsets: dict[tuple[str, int], int] = {}

    def seen(self, topic: str, partition: int, offset: int) -> None:
        self.next_offsets[(topic, partition)] = offset + 1

    def lag(self) -> dict[tuple[str, int], int]:
        out = {}
        for (topic, partition), next_offset in self.next_offsets.items():
            highwater = self._app.consumer.highwater(TP(topic, partition))
            if highwater is not None:
                out[(topic, partition)] = max(0, int(highwater) - next_offset)
        return out


async def ready_batches(
    stream: Any,
    max_size: int,
    min_interval_s: float = 0.0,
    idle: IdleShare | None = None,
    spacing_idle_share: float = 1.0,
) -> AsyncIterator[list[Any]]:
    """Batches of at most ``max_size`` events from ``stream``: the first event as soon as it
    arrives, with every event that has arrived behind it (see module docstring).

    While the machine is busy (less than ``spacing_idle_share`` of its CPU time idle in the last
    seconds, as ``idle`` reads it; busy when unknown) a batch is not taken sooner than
    ``min_interval_s`` after the previous one, so that records arriving meanwhile share it."""
    arrived: asyncio.Queue[Any] = asyncio.Queue(maxsize=max_size)
    loop = asyncio.get_running_loop()
    previous_start = float("-inf")
    busy = True

    async def read_stream() -> None:
        try:
            async for event in stream.events():
                event.message.incref()  # held until the batch is handled: see module docstring
                await arrived.put(event)
        except Exception as exc:  # noqa: BLE001 - raised in the agent instead of leaving it waiting
            await arrived.put(exc)

    reader = asyncio.ensure_future(read_stream())
    try:
        while True:
            batch = [await arrived.get()]
            if min_interval_s > 0 and idle is not None:
                share = idle.recent()
                if share is not None:
                    busy = share < spacing_idle_share
            wait = previous_start + min_interval_s - loop.time() if busy else 0.0
            if wait > 0:
                await asyncio.sleep(wait)
            previous_start = loop.time()
            while len(batch) < max_size:
                if arrived.empty():
                    await asyncio.sleep(0)  # let the reader hand over what the stream already holds
                    if arrived.empty():
                        break
                batch.append(arrived.get_nowait())
            failures = [item for item in batch if isinstance(item, BaseException)]
            if failures:
                raise failures[0]
            yield batch
    finally:
        reader.cancel()


def build_app(stage: Stage[Any, Any], settings: Settings) -> tuple[faust.App, StageRunner]:
    """Build the Faust app that runs ``stage``; nothing is connected until the worker starts."""
    kafka = settings.kafka
    batch_size = min(settings.runtime.batch_size, stage.max_batch_size or settings.runtime.batch_size)
    app = NewsflowApp(
        f"newsflow-{stage.name}",
        broker=[f"kafka://{server}" for server in kafka.bootstrap_servers.split(",")],
        store="memory://",
        # Faust makes this directory at start even with no tables; its default is the working
        # directory, which scattered one per stage into wherever a service was started from.
        datadir=str(settings.data_dir / "faust" / "{conf.id}"),
        autodiscover=False,
        web_enabled=False,
        topic_disable_leader=True,
        topic_allow_declare=False,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=kafka.session_timeout_s,
        broker_heartbeat_interval=max(kafka.session_timeout_s / 5, 0.5),
        broker_commit_interval=kafka.commit_interval_s,
        producer_max_batch_size=kafka.producer_max_batch_bytes,
        producer_linger=kafka.producer_linger_ms / 1000,
        producer_max_request_size=kafka.max_request_bytes,
        consumer_max_fetch_size=kafka.consumer_fetch_bytes,
        producer_acks=-1,
        # Events waiting for the agent are whole documents (raw HTML up to megabytes each): Faust's
        # buffer and ready_batches' queue hold one batch each, not several (clean's peak RSS was
        # 390 MB with a buffer of 256).
        stream_buffer_maxsize=batch_size,
        topic_partitions=kafka.partitions,
        worker_redirect_stdouts=False,
        TableManager=_TablelessTableManager,
    )
    app.fetch_max_wait_ms = kafka.fetch_max_wait_ms
    output_partitions = kafka.topic_partitions.get(stage.output_topic, kafka.partitions) if stage.output_topic else 1
    runner = StageRunner(stage, _FaustPublisher(app), settings.runtime, output_partitions=output_partitions)
    progress = _ConsumerProgress(app)
    metrics = StageMetrics(stage.name, runner.counters, progress.lag)
    runner.on_batch = metrics.observe_batch
    ready = False  # the stage started (models loaded) ...
    assigned = False  # ... and the group gave this worker its partitions (false during a rebalance)
    observability = settings.observability
    server = (
        ObservabilityServer(
            metrics,
            lambda: ready and assigned and runner.halted is None,
            observability.host,
            observability.port,
            problem=lambda: runner.halted,
        )
        if observability.port is not None
        else None
    )
    partitions = kafka.topic_partitions.get(stage.input_topic, kafka.partitions)
    source = app.topic(stage.input_topic, key_serializer="raw", value_serializer="raw", partitions=partitions)

    @app.on_partitions_revoked.connect  # type: ignore[arg-type]
    async def on_revoked(app: faust.App, revoked: Any, **_: Any) -> None:
        nonlocal assigned
        assigned = False

    @app.on_partitions_assigned.connect  # type: ignore[arg-type]
    async def on_assigned(app: faust.App, assigned_partitions: Any, **_: Any) -> None:
        nonlocal assigned
        assigned = True

    @app.agent(source, name=f"newsflow.{stage.name}")
    async def drive(stream: Any) -> None:
        nonlocal ready
        # Started here rather than in an app task: tasks run after agents are already consuming.
        await stage.start()
        ready = True
        log.info("stage %s ready: %s -> %s", stage.name, stage.input_topic, stage.output_topic)
        idle = IdleShare() if stage.min_batch_interval_s > 0 else None  # only spacing reads it
        spacing = (stage.min_batch_interval_s, idle, settings.runtime.spacing_idle_share)
        async for events in ready_batches(stream, batch_size, *spacing):
            for event in events:
                progress.seen(event.message.topic, event.message.partition, event.message.offset)
            try:
                await runner.handle_batch(
                    [
                        InboundRecord(
                            value=event.value,
                            topic=event.message.topic,
                            partition=event.message.partition,
                            offset=event.message.offset,
                            timestamp=datetime.fromtimestamp(event.message.timestamp, UTC),
                        )
                        for event in events
                    ]
                )
            except DeadLetterLimitExceeded as exc:
                # The batch stays unacknowledged (not committed) and nothing more is consumed;
                # /healthz reports the reason, so an orchestrator restarts the worker after a fix.
                log.error("%s; consuming stopped", exc, extra={"stage": stage.name})
                await asyncio.Event().wait()
            for event in events:
                await stream.ack(event)

    @app.task  # type: ignore[untyped-decorator]
    async def serve_observability() -> None:
        if server is not None:
            await server.start()

    @app.on_before_shutdown.connect  # type: ignore[arg-type]
    async def stop_stage(app: faust.App, **_: Any) -> None:
        nonlocal ready
        ready = False
        log.info("stage %s stopping", stage.name, extra={"stage": stage.name, "counters": runner.counters.snapshot()})
        await stage.stop()
        if server is not None:
            await server.stop()

    del drive, stop_stage, serve_observability, on_revoked, on_assigned  # registered by the decorators
    return app, runner


def run_stage(stage: Stage[Any, Any], settings: Settings) -> None:
    """Run ``stage`` as a Faust worker until SIGTERM/SIGINT (what ``newsflow service`` does)."""
    app, _ = build_app(stage, settings)
    app.conf.datadir.parent.mkdir(parents=True, exist_ok=True)  # Faust makes only the last level
    worker = faust.Worker(
        app,
        loglevel=settings.log_level.lower(),
        redirect_stdouts=False,
        logging_config=json_logging_config(settings.log_level),
    )
    worker.execute_from_commandline()
