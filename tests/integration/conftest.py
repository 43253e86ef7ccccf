"""A real Kafka-protocol broker (Tansu) and a real Redis, started once per session on free ports."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from newsflow_cli.stack import (
    DEV_BROKER_KAFKA,
    ManagedProcess,
    broker_process,
    free_port,
    redis_process,
    service_argv,
    service_env,
    start_and_wait,
)
from newsflow_shared.kafka_admin import ensure_topics
from newsflow_shared.settings import ObservabilitySettings, Settings, load_settings


@pytest.fixture(scope="session")
def infra_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="newsflow-it-") as path:
        yield Path(path)


@contextmanager
def _running(process: ManagedProcess, port: int) -> Iterator[None]:
    asyncio.run(start_and_wait(process, port))
    try:
        yield
    finally:
        process.stop(grace_s=5)


@pytest.fixture(scope="session")
def broker(infra_dir: Path) -> Iterator[str]:
    """bootstrap_servers of a fresh in-memory broker."""
    port = free_port()
    with _running(broker_process(port, infra_dir), port):
        yield f"127.0.0.1:{port}"


@pytest.fixture(scope="session")
def redis_url(infra_dir: Path) -> Iterator[str]:
    """URL of a fresh, non-persistent redis-server."""
    port = free_port()
    with _running(redis_process(port, infra_dir / "redis", infra_dir), port):
        yield f"redis://127.0.0.1:{port}/0"


@pytest.fixture(scope="session")
def settings(broker: str, redis_url: str, infra_dir: Path) -> Settings:
    """Settings pointing at the session's broker and Redis, with topics created."""
    built = load_settings(
        kafka={**DEV_BROKER_KAFKA, "bootstrap_servers": broker}, redis={"url": redis_url}, data_dir=infra_dir / "data"
    )
    asyncio.run(ensure_topics(built.kafka))
    return built


class ServiceProcess:
    """``newsflow service NAME`` as a child process, for kill-and-restart tests."""

    def __init__(self, name: str, settings: Settings, log_dir: Path) -> None:
        self.managed = ManagedProcess(name, service_argv(name), log_dir / f"{name}.log", service_env(settings))

    def start(self) -> ServiceProcess:
        self.managed.start()
        return self

    def kill(self) -> None:
        assert self.managed.process is not None
        self.managed.process.kill()
        self.managed.process.wait()

    def stop(self) -> None:
        self.managed.stop()

    def log_text(self) -> str:
        return self.managed.log_path.read_text(errors="replace")


@pytest.fixture
def service_factory(settings: Settings, tmp_path: Path) -> Iterator:
    started: list[ServiceProcess] = []

    def start(name: str, observability_port: int | None = None) -> ServiceProcess:
        own = settings.model_copy(update={"observability": ObservabilitySettings(port=observability_port)})
        service = ServiceProcess(name, own, tmp_path).start()
        started.append(service)
        return service

    yield start
    for service in started:
        if service.managed.process and service.managed.process.poll() is None:
            service.stop()
