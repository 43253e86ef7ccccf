"""A service's /healthz, /readyz and /metrics, its JSON logs, and `newsflow status`, for real."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx

from newsflow_cli.stack import free_port
from newsflow_cli.status import parse_metrics, render
from newsflow_shared import topics
from newsflow_shared.models import RawDocument
from tests.integration.kafka_helpers import produce


async def _poll(url: str, accept, timeout_s: float = 90.0) -> httpx.Response:
    deadline = asyncio.get_running_loop().time() + timeout_s
    async with httpx.AsyncClient(timeout=2.0) as client:
        while True:
            try:
                response = await client.get(url)
                if accept(response):
                    return response
            except httpx.HTTPError:
                pass
            assert asyncio.get_running_loop().time() < deadline, f"{url} never became acceptable"
            await asyncio.sleep(0.3)


async def test_a_service_reports_health_readiness_metrics_and_logs_json(settings, service_factory):
    port = free_port()
    service = service_factory("clean", observability_port=port)
    base = f"http://127.0.0.1:{port}"
    health = await _poll(f"{base}/healthz", lambda r: r.status_code == 200)
    assert health.json()["stage"] == "clean"
    await _poll(f"{base}/readyz", lambda r: r.status_code == 200)

    tag = uuid.uuid4().hex[:8]
    good = RawDocument(doc_id=f"{tag}-ok", source=tag, content=b"Enough words to be a document here.")
    await produce(
        settings.kafka.bootstrap_servers,
        topics.RAW,
        [(good.partition_key(), good.to_wire()), (b"k", f'{{"doc_id": "{tag}", not json'.encode())],
    )

    def counted(response: httpx.Response) -> bool:
        status = parse_metrics("clean", response.text)
        return status.dead_lettered.get("invalid_json", 0) >= 1 and status.produced >= 1

    metrics = await _poll(f"{base}/metrics", counted)
    assert "newsflow_batch_processing_seconds_bucket" in metrics.text
    assert "newsflow_consumer_lag" in metrics.text
    table = render([parse_metrics("clean", metrics.text)])
    assert "clean" in table and "invalid_json" in table

    service.stop()
    lines = [line for line in service.log_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line, Faust's and aiokafka's included
    assert any(r.get("logger") == "newsflow.runtime" and "ready" in r["msg"] for r in records)
    letters = [r for r in records if r.get("reason") == "invalid_json"]
    assert letters and letters[0].get("stage") == "clean"
