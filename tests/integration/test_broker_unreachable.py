"""A service started before its broker waits with backoff and a clear log line, then runs."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from newsflow_cli.stack import ManagedProcess, broker_process, free_port, service_argv, service_env, start_and_wait
from newsflow_shared.settings import ObservabilitySettings, Settings

pytestmark = pytest.mark.integration


async def test_a_service_waits_for_a_broker_that_is_not_there_yet(settings: Settings, tmp_path: Path):
    broker_port, metrics_port = free_port(), free_port()
    own = settings.model_copy(
        update={
            "kafka": settings.kafka.model_copy(update={"bootstrap_servers": f"127.0.0.1:{broker_port}"}),
            "observability": ObservabilitySettings(port=metrics_port),
        }
    )
    service = ManagedProcess("clean", service_argv("clean"), tmp_path / "clean.log", service_env(own))
    broker = broker_process(broker_port, tmp_path)
    service.start()
    try:
        deadline = time.monotonic() + 30
        while "not reachable yet" not in service.log_path.read_text() and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        await asyncio.sleep(2)
        assert service.process is not None and service.process.poll() is None, "it must wait, not exit"
        log = service.log_path.read_text()
        assert f"broker 127.0.0.1:{broker_port} not reachable yet" in log and "retrying in" in log

        await start_and_wait(broker, broker_port)
        async with httpx.AsyncClient(timeout=2) as client:
            for _ in range(300):
                try:
                    if (await client.get(f"http://127.0.0.1:{metrics_port}/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
            else:
                pytest.fail("the service never became ready after the broker came up:\n" + log[-2000:])
        assert service.process.poll() is None
    finally:
        service.stop()
        broker.stop()
