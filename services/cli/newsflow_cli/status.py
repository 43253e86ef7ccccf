"""``newsflow status``: per-stage throughput, consumer lag and dead letters, live in the terminal.

It scrapes each service's Prometheus ``/metrics``: the embedded stack records their addresses
in ``<data_dir>/endpoints.json``; elsewhere (compose, Kubernetes port-forwards) pass
``--endpoint NAME=URL``. Throughput is the change in documents consumed between two scrapes.
"out" is the documents a stage produced (a feed request that became 20 pages is 1 in, 20 out),
the same count the run's summary and the lineage events give.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from newsflow_cli.stack import ENDPOINTS_FILE


@dataclass
class StageStatus:
    """One service's figures from one scrape (``up`` False when it did not answer)."""

    name: str
    up: bool = False
    received: float = 0.0
    produced: float = 0.0
    dropped: dict[str, float] = field(default_factory=dict)
    dead_lettered: dict[str, float] = field(default_factory=dict)
    lag: float = 0.0
    rate: float | None = None


def parse_metrics(name: str, text: str) -> StageStatus:
    status = StageStatus(name, up=True)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "newsflow_documents_in_total":
                status.received = sample.value
            elif sample.name == "newsflow_records_produced_total":
                status.produced = sample.value
            elif sample.name == "newsflow_dropped_total":
                status.dropped[sample.labels["reason"]] = sample.value
            elif sample.name == "newsflow_dead_lettered_total":
                status.dead_lettered[sample.labels["reason"]] = sample.value
            elif sample.name == "newsflow_consumer_lag":
                status.lag += sample.value
    return status


async def scrape(client: httpx.AsyncClient, name: str, base_url: str) -> StageStatus:
    try:
        response = await client.get(f"{base_url.rstrip('/')}/metrics")
        response.raise_for_status()
    except httpx.HTTPError:
        return StageStatus(name)
    return parse_metrics(name, response.text)


def _reasons(counts: dict[str, float]) -> str:
    return ", ".join(f"{reason} {int(n)}" for reason, n in sorted(counts.items())) or "-"


def render(statuses: list[StageStatus]) -> str:
    width = max([len("stage"), *(len(s.name) for s in statuses)]) + 2
    lines = [f"{'stage':<{width}}{'up':<5}{'in':>9}{'out':>9}{'docs/s':>9}{'lag':>7}  dropped | dead-lettered"]
    for s in statuses:
        rate = f"{s.rate:.1f}" if s.rate is not None else "-"
        lines.append(
            f"{s.name:<{width}}{'yes' if s.up else 'NO':<5}{int(s.received):>9}{int(s.produced):>9}{rate:>9}"
            f"{int(s.lag):>7}  {_reasons(s.dropped)} | {_reasons(s.dead_lettered)}"
        )
    return "\n".join(lines)


def load_endpoints(data_dir: Path, given: list[str]) -> dict[str, str]:
    if given:
        return dict(item.split("=", 1) for item in given)
    path = data_dir / ENDPOINTS_FILE
    if not path.exists():
        raise SystemExit(
            f"no embedded stack is running with data dir {data_dir.resolve()} (no {ENDPOINTS_FILE}): start one with "
            "`newsflow run`, give its --data-dir, or pass --endpoint NAME=URL"
        )
    print(f"newsflow status: the embedded stack at {data_dir.resolve()}", file=sys.stderr)
    return dict(json.loads(path.read_text()))


async def watch(endpoints: dict[str, str], interval_s: float, once: bool) -> int:
    previous: dict[str, tuple[float, float]] = {}
    async with httpx.AsyncClient(timeout=2.0) as client:
        while True:
            now = time.monotonic()
            statuses = await asyncio.gather(*(scrape(client, n, url) for n, url in endpoints.items()))
            for s in statuses:
                if s.up and s.name in previous:
                    then, count = previous[s.name]
                    s.rate = (s.received - count) / (now - then)
                if s.up:
                    previous[s.name] = (now, s.received)
            table = render(list(statuses))
            if once:
                print(table)
                return 0 if all(s.up for s in statuses) else 1
            sys.stdout.write("\x1b[H\x1b[2J" + time.strftime("%H:%M:%S  newsflow status\n") + table + "\n")
            sys.stdout.flush()
            await asyncio.sleep(interval_s)
