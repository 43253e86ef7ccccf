"""The embedded stack on real-world input, read by real Kafka clients, with one set of counts.

``newsflow run`` (live, not ``--once``) ingests feeds shaped like real ones (TechCrunch's, whose
pages are unreachable, UOL's in Latin-1, Google Alerts'), a feed whose pages are gone, a crawl
WARC mixing articles with junk, and documents pushed over the push API. Then:

- the summary, ``newsflow status``, ``newsflow dlq list`` and every service's ``/metrics`` give the
  same numbers (documents ingested, dead letters), pushed documents included;
- a librdkafka client (the ``confluent-kafka`` wheel) and a kafkajs client (npm) read every topic
  and join consumer groups (each skipped cleanly where it cannot be installed);
- non-articles are dropped as ``not_an_article`` while the WARC's articles are indexed;
- shutdown is quick.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from newsflow_cli.stack import ENDPOINTS_FILE, STACK_SETTINGS_FILE, free_port
from newsflow_shared import topics
from newsflow_shared.pipeline import HOPS
from tests.e2e.conftest import NEWSFLOW, last_json_line
from tests.realworld_fixture import ITEMS, RealWorldSiteThread, write_crawl_warc

pytestmark = pytest.mark.e2e
PROBE = Path(__file__).with_name("kafkajs_probe.js")
PUSHED = 3


def _metrics(endpoints: dict[str, str]) -> dict[str, dict[str, float]]:
    """Per service: documents in, records produced, dead letters (all reasons) from /metrics."""
    figures = {}
    for name, url in endpoints.items():
        text = httpx.get(f"{url}/metrics", timeout=5).text
        counts = {"in": 0.0, "produced": 0.0, "dead": 0.0}
        for line in text.splitlines():
            if line.startswith("newsflow_documents_in_total"):
                counts["in"] += float(line.rsplit(" ", 1)[1])
            elif line.startswith("newsflow_records_produced_total"):
                counts["produced"] += float(line.rsplit(" ", 1)[1])
            elif line.startswith("newsflow_dead_lettered_total"):
                counts["dead"] += float(line.rsplit(" ", 1)[1])
        figures[name] = counts
    return figures


def _caught_up(figures: dict[str, dict[str, float]]) -> bool:
    """Every stage has consumed what the stage before it produced (workers of a stage summed).

    Stillness alone is not enough: a consumer-group rebalance on a loaded machine can hold a
    stage for longer than the quiet spell, with most documents still upstream."""

    def total(stage: str, key: str) -> float:
        return sum(f[key] for name, f in figures.items() if name == stage or name.startswith(f"{stage}-"))

    return all(total(after, "in") >= total(before, "produced") for before, after in HOPS)


def _settled(endpoints: dict[str, str], requests: int, timeout_s: float = 240) -> dict[str, dict[str, float]]:
    """/metrics once ingest has taken every request, every stage has caught up with the one before
    it, and nothing has moved for a few seconds."""
    deadline, previous, still = time.monotonic() + timeout_s, None, 0
    while time.monotonic() < deadline:
        try:
            now = _metrics(endpoints)
        except httpx.HTTPError:  # still starting
            time.sleep(0.5)
            continue
        still = still + 1 if now == previous else 0
        if still >= 6 and now["ingest"]["in"] >= requests and now["index"]["in"] > 0 and _caught_up(now):
            return now
        previous = now
        time.sleep(0.5)
    raise AssertionError(f"the stack did not settle: {previous}")


def _librdkafka_reads(bootstrap: str) -> dict[str, int]:
    confluent_kafka = pytest.importorskip("confluent_kafka")
    counts = {}
    for topic in (topics.RAW, topics.CLEAN, topics.STRIPPED, topics.EXTRACTED, topics.EXCLUDED, topics.DEAD_LETTER):
        consumer = confluent_kafka.Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"probe-{topic}",
                "auto.offset.reset": "earliest",
                "session.timeout.ms": 6000,  # the dev broker holds a first join for half of it
                "enable.auto.commit": False,
            }
        )
        consumer.subscribe([topic])
        seen, idle, deadline = 0, 0, time.monotonic() + 30
        while time.monotonic() < deadline and idle < (4 if seen else 40):
            message = consumer.poll(0.25)
            if message is None or message.error():
                idle += 1
                continue
            idle, seen = 0, seen + 1
        consumer.close()
        counts[topic] = seen
    return counts


def _kafkajs_reads(bootstrap: str, tmp_path: Path) -> dict:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed")
    modules = tmp_path / "kafkajs"
    installed = subprocess.run(
        ["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(modules), "kafkajs@2"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if installed.returncode != 0:
        pytest.skip(f"kafkajs could not be installed: {installed.stderr[-300:]}")
    probe = modules / PROBE.name
    shutil.copy(PROBE, probe)
    done = subprocess.run(
        ["node", str(probe), bootstrap, "probe-kafkajs", "8", topics.EVENTS, topics.DEAD_LETTER],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
        cwd=modules,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_real_world_input_through_a_live_stack(tmp_path: Path):
    data_dir, stderr_path = tmp_path / "data", tmp_path / "stderr.log"
    article_urls, junk_urls = write_crawl_warc(tmp_path / "crawl.warc.gz")
    with RealWorldSiteThread(f"http://127.0.0.1:{free_port()}") as site:
        inputs = [site.url(p) for p in ("/techcrunch.xml", "/uol.xml", "/alerts.xml", "/broken.xml")]
        with stderr_path.open("w") as stderr:
            run = subprocess.Popen(
                [*NEWSFLOW, "run", "--json", "--allow-private-network", "--data-dir", str(data_dir), "--input",
                 *inputs, str(tmp_path / "crawl.warc.gz")],
                stdout=subprocess.PIPE, stderr=stderr, text=True,
                env={**os.environ, "NEWSFLOW_INGEST__POLITENESS_DELAY_S": "0.05"},
            )  # fmt: skip
        try:
            deadline = time.monotonic() + 120
            while "Push API: POST" not in stderr_path.read_text() and time.monotonic() < deadline:
                assert run.poll() is None, stderr_path.read_text()[-3000:]
                time.sleep(0.2)
            push_url, token = re.search(
                r"Push API: POST (\S+) with 'Authorization: Bearer (\S+)'", stderr_path.read_text()
            ).groups()  # type: ignore[union-attr]
            pushed = [
                {"text": f"Pushed report {n}. " + "The ministers met again today to talk. " * 30, "id": f"push-{n}"}
                for n in range(PUSHED)
            ]
            assert (
                httpx.post(
                    push_url, json={"documents": pushed}, headers={"Authorization": f"Bearer {token}"}, timeout=10
                ).status_code
                == 202
            )

            endpoints = json.loads((data_dir / ENDPOINTS_FILE).read_text())
            metrics = _settled(endpoints, len(inputs) + 1)
            bootstrap = json.loads((data_dir / STACK_SETTINGS_FILE).read_text())["NEWSFLOW_KAFKA__BOOTSTRAP_SERVERS"]
            status = subprocess.run(
                [*NEWSFLOW, "status", "--once", "--data-dir", str(data_dir)],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            dlq = subprocess.run(
                [*NEWSFLOW, "dlq", "list", "--json", "--data-dir", str(data_dir)],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert status.returncode == 0 and dlq.returncode == 0, status.stderr + dlq.stderr
            librdkafka = _librdkafka_reads(bootstrap)
            kafkajs = _kafkajs_reads(bootstrap, tmp_path)
        finally:
            stopping = time.monotonic()
            run.send_signal(signal.SIGINT)
            stdout, _ = run.communicate(timeout=120)
            shutdown_s = time.monotonic() - stopping
    summary = last_json_line(stdout)
    letters = [json.loads(line) for line in dlq.stdout.splitlines() if line.strip()]
    ingest_row = next(line.split() for line in status.stdout.splitlines() if line.startswith("ingest "))

    expected = 2 * ITEMS + 15 + len(article_urls) + len(junk_urls) + PUSHED
    assert summary["ingested"] == expected, summary
    # One ledger: what the summary, status, dlq list and /metrics say.
    assert int(ingest_row[3]) == metrics["ingest"]["produced"] == expected - PUSHED, (status.stdout, metrics)
    assert summary["dead_lettered"] == len(letters) == sum(m["dead"] for m in metrics.values()) == 4, (summary, letters)
    assert {letter["reason"] for letter in letters} == {"http_error"}
    assert summary["drop_reasons"].get("not_an_article", 0) >= 3, summary
    assert (
        summary["indexed"] + summary["duplicates"] + summary["dropped"] + summary["dead_lettered"] - 4
        == expected - summary["pending"]
    )
    assert summary["pending"] == 0
    # Real clients: librdkafka read every topic, kafkajs joined a group quickly and read the events.
    assert librdkafka[topics.RAW] >= expected - PUSHED and librdkafka[topics.DEAD_LETTER] == 4, librdkafka
    assert librdkafka[topics.EXCLUDED] == summary["drop_reasons"]["not_an_article"], librdkafka
    assert kafkajs["counts"][topics.EVENTS] > expected and kafkajs["counts"][topics.DEAD_LETTER] == 4, kafkajs
    assert kafkajs["joined_s"] is not None and kafkajs["joined_s"] < 6, kafkajs
    assert shutdown_s < 8, f"shutdown took {shutdown_s:.1f}s"
    assert not (data_dir / ENDPOINTS_FILE).exists(), "a stopped stack leaves no endpoints for `status` to misread"
