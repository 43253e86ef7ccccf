"""An alert through the whole live stack: created over the API, fed by the push API, delivered to a
webhook server this test runs on 127.0.0.1, exactly once per matching document, also after the
alerts service is SIGKILLed and restarted; the live stream sees the same documents."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx

from newsflow_cli.stack import free_port
from tests.e2e.conftest import NEWSFLOW

VOCABULARY = (
    "harbour council river bridge school budget winter festival museum railway market farmers hospital "
    "station library stadium orchestra airport factory vineyard mountain island village bakery garden "
    "tramway ferry archive theatre forest valley workshop"
).split()


def article(n: int, *, lighthouse: bool) -> dict:
    """A pushed document of its own (no near-duplicate of another), about the lighthouse or not."""
    rng = random.Random(n)
    subject = "The lighthouse keeper" if lighthouse else "The town planner"
    paragraphs = [
        f"{subject} spoke on day {n} about the {' and the '.join(rng.sample(VOCABULARY, 3))} of the region. "
        + " ".join(
            f"Residents near the {rng.choice(VOCABULARY)} said the {rng.choice(VOCABULARY)} needed repairs."
            for _ in range(4)
        )
        for _ in range(5)
    ]
    return {"text": "\n\n".join(paragraphs), "id": f"{'lh' if lighthouse else 'other'}-{n}"}


class Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Receiver.received.append({**json.loads(body), "idempotency_key": self.headers.get("Idempotency-Key")})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


def _wait(predicate, timeout_s: float, what: str, run: subprocess.Popen[str], stderr_path: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert run.poll() is None, stderr_path.read_text()[-3000:]
        assert time.monotonic() < deadline, f"timed out waiting for {what}\n{stderr_path.read_text()[-3000:]}"
        time.sleep(0.3)


def test_an_alert_notifies_once_per_matching_document_across_a_sigkill_of_the_alerts_service(tmp_path: Path):
    Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{server.server_address[1]}/hook"
    data_dir, stderr_path = tmp_path / "data", tmp_path / "stderr.log"
    with stderr_path.open("w") as stderr:
        run = subprocess.Popen(
            [*NEWSFLOW, "run", "--json", "--allow-private-network", "--wait-ready", "--data-dir", str(data_dir)],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    streamed: list[str] = []
    try:
        _wait(lambda: "Push API: POST" in stderr_path.read_text(), 180, "the push API", run, stderr_path)
        log = stderr_path.read_text()
        push_url, token = re.search(r"Push API: POST (\S+) with 'Authorization: Bearer (\S+)'", log).groups()  # type: ignore[union-attr]
        api = re.search(r"Search page: (\S+)", log).group(1).rstrip("/")  # type: ignore[union-attr]
        created = httpx.post(f"{api}/v1/alerts", json={"query": "lighthouse keeper", "webhook_url": hook}, timeout=10)
        assert created.status_code == 201, created.text
        alert_id = created.json()["id"]

        def listen() -> None:
            try:
                with httpx.stream("GET", f"{api}/v1/stream", params={"q": "lighthouse"}, timeout=None) as response:
                    for line in response.iter_lines():
                        if line.startswith("data: "):
                            streamed.append(json.loads(line.removeprefix("data: "))["doc_id"])
            except httpx.HTTPError:  # the stack stopping ends the stream
                pass

        threading.Thread(target=listen, daemon=True).start()

        def push(docs: list[dict]) -> list[str]:
            answer = httpx.post(
                push_url, json={"documents": docs}, headers={"Authorization": f"Bearer {token}"}, timeout=10
            )
            assert answer.status_code == 202, answer.text
            return [d["doc_id"] for d in answer.json()["documents"]]

        def delivered() -> int:
            events = httpx.get(f"{api}/v1/alerts/{alert_id}/events", timeout=10).json()["events"]
            return sum(e["outcome"] == "delivered" for e in events)

        first = push([article(n, lighthouse=True) for n in range(3)] + [article(10, lighthouse=False)])
        # Killed once the deliveries are recorded, as they are acknowledged, and before the batch's
        # offsets are committed. (The receiver counting a POST is not enough: its 204 may still be
        # on the way, and no sender can rule out sending again after a crash in that window; the
        # Idempotency-Key, checked below, is how a receiver drops such a repeat.)
        _wait(lambda: delivered() >= 3, 180, "the first notifications", run, stderr_path)

        os.kill(int((data_dir / "logs" / "alerts.pid").read_text()), signal.SIGKILL)
        second = push([article(n, lighthouse=True) for n in range(3, 5)] + [article(11, lighthouse=False)])
        _wait(lambda: len(Receiver.received) >= 5, 180, "notifications after the restart", run, stderr_path)
        time.sleep(5)  # time for a duplicate to show up, if one were sent
        events = httpx.get(f"{api}/v1/alerts/{alert_id}/events", timeout=10).json()["events"]
    finally:
        run.send_signal(signal.SIGINT)
        stdout, _ = run.communicate(timeout=120)
        server.shutdown()
    matching = set(first[:3] + second[:2])
    counts = Counter(n["doc_id"] for n in Receiver.received)
    assert set(counts) == matching and max(counts.values()) == 1, counts
    assert all(
        n["alert_id"] == alert_id and n["delivery_id"] == n["idempotency_key"] == f"{alert_id}:{n['doc_id']}"
        for n in Receiver.received
    )
    assert sorted(e["doc_id"] for e in events if e["outcome"] == "delivered") == sorted(matching)
    assert set(streamed) == matching, streamed
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["service_restarts"] == {"alerts": 1}, summary
