"""Health, readiness and Prometheus metrics for one stage process.

Every service serves ``/healthz`` (the process and its event loop answer), ``/readyz`` (the stage
has started — models loaded, consumer running — and is not shutting down) and ``/metrics``.
Counters are read at scrape time from the runner's ``StageCounters``, so there is one book of
what a stage did; only the histograms, which need every observation, are recorded as batches
finish. Each process gets its own registry: nothing is registered at import time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from newsflow_shared.runtime.batch import StageCounters

log = logging.getLogger("newsflow.observability")

LagSource = Callable[[], dict[tuple[str, int], int]]
"""Returns consumer lag per (topic, partition), as far as the consumer can tell."""

_BATCH_SECONDS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


class _CountersCollector(Collector):
    def __init__(self, stage: str, counters: StageCounters, lag: LagSource | None) -> None:
        self._stage = stage
        self._counters = counters
        self._lag = lag

    def collect(self) -> Iterator[Metric]:
        c, stage = self._counters, self._stage
        received = CounterMetricFamily("newsflow_documents_in", "Records consumed.", labels=["stage"])
        received.add_metric([stage], c.received)
        out = CounterMetricFamily(
            "newsflow_documents_out", "Input documents by terminal outcome at this stage.", labels=["stage", "outcome"]
        )
        out.add_metric([stage, "forwarded"], c.forwarded)
        out.add_metric([stage, "dropped"], sum(c.dropped.values()))
        out.add_metric([stage, "dead_lettered"], sum(c.dead_lettered.values()))
        dropped = CounterMetricFamily("newsflow_dropped", "Documents dropped, by reason.", labels=["stage", "reason"])
        for reason, n in sorted(c.dropped.items()):
            dropped.add_metric([stage, reason], n)
        dead = CounterMetricFamily(
            "newsflow_dead_lettered", "Records dead-lettered, by reason.", labels=["stage", "reason"]
        )
        for reason, n in sorted(c.dead_lettered.items()):
            dead.add_metric([stage, reason], n)
        records = CounterMetricFamily("newsflow_records_produced", "Output records produced.", labels=["stage"])
        records.add_metric([stage], c.outputs)
        retries = CounterMetricFamily(
            "newsflow_transient_retries", "Batches retried on an unavailable dependency.", labels=["stage"]
        )
        retries.add_metric([stage], c.transient_retries)
        yield from (received, out, dropped, dead, records, retries)
        if self._lag is not None:
            lag = GaugeMetricFamily(
                "newsflow_consumer_lag", "Records not yet consumed.", labels=["stage", "topic", "partition"]
            )
            for (topic, partition), value in sorted(self._lag().items()):
                lag.add_metric([stage, topic, str(partition)], value)
            yield lag


class StageMetrics:
    """The Prometheus registry of one stage process."""

    def __init__(self, stage: str, counters: StageCounters, lag: LagSource | None = None) -> None:
        self.stage = stage
        self.registry = CollectorRegistry()
        self.registry.register(_CountersCollector(stage, counters, lag))
        self._seconds = Histogram(
            "newsflow_batch_processing_seconds",
            "Time to process one batch, decode to routed (publishing excluded).",
            ["stage"],
            buckets=_BATCH_SECONDS,
            registry=self.registry,
        ).labels(stage)
        self._sizes = Histogram(
            "newsflow_batch_size", "Records per batch.", ["stage"], buckets=_BATCH_SIZES, registry=self.registry
        ).labels(stage)

    def observe_batch(self, size: int, seconds: float) -> None:
        self._sizes.observe(size)
        self._seconds.observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class ObservabilityServer:
    """``/healthz``, ``/readyz`` and ``/metrics`` over aiohttp, on the stage's own event loop."""

    def __init__(
        self,
        metrics: StageMetrics,
        ready: Callable[[], bool],
        host: str,
        port: int,
        problem: Callable[[], str | None] = lambda: None,
    ) -> None:
        self._metrics = metrics
        self._ready = ready
        self._problem = problem  # why the stage is unhealthy (it stopped consuming), or None
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics_handler)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        log.info("observability on http://%s:%d (/healthz /readyz /metrics)", self._host, self._port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _healthz(self, _: web.Request) -> web.Response:
        problem = self._problem()
        if problem is not None:
            return web.json_response({"status": "stopped", "stage": self._metrics.stage, "why": problem}, status=503)
        return web.json_response({"status": "ok", "stage": self._metrics.stage})

    async def _readyz(self, _: web.Request) -> web.Response:
        ready = self._ready()
        return web.json_response({"ready": ready, "stage": self._metrics.stage}, status=200 if ready else 503)

    async def _metrics_handler(self, _: web.Request) -> web.Response:
        return web.Response(body=self._metrics.exposition(), content_type="text/plain", charset="utf-8")
