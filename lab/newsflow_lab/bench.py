"""``make bench``: the streaming pipeline against the serial script it replaces, in one run.

Corpus: the benchmark dev set's HTML pages replicated to ``--documents`` unique documents (each
copy gets its own id, URL and a visible edition marker, so exact dedup keeps them all), written
as one JSON file per document.

- **baseline**: one process doing the same per-document work back to back with the services'
  own stages (their composition roots, through the runtime's in-process chain) — ingest, clean,
  strip (Redis template learning and dedup), extract (NER on the one document), index (tantivy
  upsert and commit, Redis cache) — one document at a time.
- **pipeline**: ``newsflow run --once`` on the embedded stack (five processes, broker, Redis).
- **plain script**: what a user would write instead (``plain_script``: trafilatura, spaCy NER,
  tantivy), on the first ``--plain-documents`` documents, in one process and in two.
- **latency**: ``newsflow run --once --rate R`` at half the pipeline's measured rate; ingest→
  searchable from that run's lineage events (its summary's ``latency_ms``), and the time per hop
  from the stage timestamps in each indexed record; then the same paced run again beside a noisy
  neighbour (a process of the bench's that keeps one core busy for the whole run).

The line before the last is ``pipeline/plain-script throughput ratio: X.XX`` (against the
two-process script); the last is exactly ``pipeline/baseline throughput ratio: X.XX``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsflow_cli.progress import percentile
from newsflow_cli.stack import ServiceUsage, free_port, process_usage, redis_process, start_and_wait
from newsflow_lab.corpus import dev_set_dir, load_dev_pages
from newsflow_lab.plain_script import NoisyNeighbour, plain_script_rate
from newsflow_shared.pipeline import HOPS, STAGES

_BODY_END = re.compile(r"</body\s*>", re.I)
_TEXT_NODE = re.compile(r"(<(script|style)\b.*?</\2\s*>)|>([^<]+)<", re.I | re.S)
EDITION_WORD_EVERY = 4


def editioned(html: str, edition: int) -> str:
    """The page with an edition word after every fourth word of its visible text (edition 0 is the
    page itself): every word 5-gram then holds it, so editions are not near-duplicates of each
    other, while the text keeps its length, language and names for the NER to work on."""
    if edition == 0:
        return html
    word = f"ed{edition}x"

    def mark(match: re.Match[str]) -> str:
        if match.group(1):
            return match.group(1)
        words = match.group(3).split(" ")
        marked = [w if i % EDITION_WORD_EVERY or not w.strip() else f"{word} {w}" for i, w in enumerate(words)]
        return ">" + " ".join(marked) + "<"

    return _TEXT_NODE.sub(mark, html)


_DECLARED_URL = re.compile(
    r"<link\b[^>]*\brel\s*=\s*[\"']?canonical\b[^>]*>|<meta\b[^>]*\bproperty\s*=\s*[\"']?og:url\b[^>]*>", re.I
)


def build_corpus(out_dir: Path, documents: int) -> list[Path]:
    """``documents`` JSON files, each a dev-set page under a new id and URL with a marker line,
    copies beyond the first marked by :func:`editioned` so that dedup keeps every one. The pages'
    own canonical URLs are removed: every copy would declare its original's, and URL dedup would
    (rightly) make 1,900 of 2,000 documents duplicates."""
    root = dev_set_dir()
    assert root is not None
    pages = load_dev_pages(root)
    paths = []
    for n in range(documents):
        page = pages[n % len(pages)]
        edition = n // len(pages)
        # A visible, unique line: without it the copies would be exact duplicates of each other.
        marker = f"<p>Bench edition {edition} of page {page.page_id[:12]}.</p>"
        ends = list(_BODY_END.finditer(page.html))  # the last one: scripts can hold "</body>" strings
        at = ends[-1].start() if ends else len(page.html)
        html = _DECLARED_URL.sub("", editioned(page.html[:at] + marker + page.html[at:], edition))
        record = {"id": f"bench-{n:05d}", "url": f"https://bench{edition}.example/{page.page_id[:16]}", "html": html}
        path = out_dir / f"bench-{n:05d}.json"
        path.write_text(json.dumps(record))
        paths.append(path)
    return paths


REDIS_KEY_SPACES = ("newsflow:dedup:", "newsflow:story:", "newsflow:template:", "newsflow:cache:")


async def redis_bytes_per_document(redis: Any, documents: int) -> dict[str, float]:
    """Redis memory per document in each key space (MEMORY USAGE of every key, summed)."""
    totals = dict.fromkeys(REDIS_KEY_SPACES, 0)
    async for key in redis.scan_iter(match="newsflow:*", count=1000):
        name = key.decode()
        space = next((p for p in REDIS_KEY_SPACES if name.startswith(p)), None)
        if space is not None:
            totals[space] += await redis.memory_usage(key) or 0
    return {space: total / max(documents, 1) for space, total in totals.items()}


async def dedup_rates(bodies: list[str], redis_url: str, batch: int = 64) -> tuple[float, float]:
    """Docs/s of deduplication against Redis, one document per call and ``batch`` per call."""
    from datetime import UTC, datetime

    from redis.asyncio import Redis

    from newsflow_shared.models import StrippedDocument
    from newsflow_strip.dedup import Deduplicator, body_fingerprint

    redis = Redis.from_url(redis_url)
    rates = []
    for size in (1, batch):
        await redis.flushdb()
        dedup = Deduplicator.in_redis(redis, 3600)
        docs = [
            StrippedDocument(
                doc_id=f"d{size}-{i}", source="bench", body=body, format="text",
                fingerprint=body_fingerprint(body), fetched_at=datetime.now(UTC),
            )
            for i, body in enumerate(bodies)
        ]  # fmt: skip
        started = time.perf_counter()
        for at in range(0, len(docs), size):
            await dedup.find(docs[at : at + size])
        rates.append(len(docs) / (time.perf_counter() - started))
    await redis.flushdb()
    await redis.aclose()
    return rates[0], rates[1]


def unique_bodies(count: int) -> list[str]:
    """``count`` article bodies from the dev set's gold, editions marked like the corpus's pages."""
    root = dev_set_dir()
    assert root is not None
    golds = [p.gold for p in load_dev_pages(root)]
    return [editioned(f">{golds[n % len(golds)]}<", n // len(golds))[1:-1] for n in range(count)]


FEED_ITEMS = 1000


async def feed_ingest_rate(items: int = FEED_ITEMS) -> tuple[float, int, int]:
    """Items/s through ingest from a local RSS feed of ``items`` dev-set pages (a 127.0.0.1 server
    in this process): feed fetch and parse, then every page fetched through the guarded fetcher
    (per-host limit 8, no politeness delay: the server is ours). Returns (items/s, documents, failures)."""
    from aiohttp import web

    from newsflow_ingest.fetch import Fetcher
    from newsflow_ingest.stage import IngestStage
    from newsflow_ingest.web import InMemoryCrawlState, WebSource
    from newsflow_shared.http_server import start_app
    from newsflow_shared.models import IngestRequest, RawDocument
    from newsflow_shared.settings import IngestSettings

    root = dev_set_dir()
    assert root is not None
    pages = [p.html.encode() for p in load_dev_pages(root)]
    base = ""

    async def handler(request: web.Request) -> web.Response:
        if request.path == "/feed.xml":
            links = "".join(f"<item><title>{n}</title><link>{base}/p/{n}</link></item>" for n in range(items))
            body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>bench</title>{links}</channel></rss>'
            return web.Response(text=body, content_type="application/rss+xml")
        if request.path.startswith("/p/"):
            return web.Response(body=pages[int(request.path[3:]) % len(pages)], content_type="text/html")
        return web.Response(status=404)

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner, base = await start_app(app, "127.0.0.1", 0)
    port = int(base.rsplit(":", 1)[1])
    settings = IngestSettings(
        allowed_private_endpoints=[f"127.0.0.1:{port}"], politeness_delay_s=0, per_host_concurrency=8
    )
    stage = IngestStage(settings, WebSource(settings, Fetcher(settings), InMemoryCrawlState()))
    try:
        started = time.perf_counter()
        [result] = await stage.process_batch([IngestRequest(request_id="bench-feed", source=f"{base}/feed.xml")])
        elapsed = time.perf_counter() - started
    finally:
        await stage.stop()
        await runner.cleanup()
    outputs = result if isinstance(result, list) else []
    documents = sum(isinstance(o, RawDocument) for o in outputs)
    return items / elapsed, documents, len(outputs) - documents


async def _baseline(paths: list[Path], redis_url: str, index_dir: Path) -> tuple[float, dict[str, float]]:
    """Docs/s of the serial script (every stage's work for one document, then the next), and the
    Redis memory it left per document in each key space. The stages are the services' own, built
    by their composition roots and run through the runtime's in-process chain."""
    from redis.asyncio import Redis

    from newsflow_cli.registry import create_stage
    from newsflow_shared.models import IngestRequest
    from newsflow_shared.runtime.chain import InProcessChain
    from newsflow_shared.settings import load_settings

    settings = load_settings(
        kafka={"bootstrap_servers": "in-process.invalid:9092"},
        redis={"url": redis_url},
        index={"backend": "tantivy", "index_dir": str(index_dir)},
    )
    chain = InProcessChain([create_stage(name, settings) for name in STAGES], settings.runtime)
    await chain.start()  # model loading is not part of the timed work (nor is it for the pipeline's rate)
    started = time.perf_counter()
    for path in paths:
        await chain.run([IngestRequest(request_id=path.stem, source=str(path))])
    elapsed = time.perf_counter() - started
    await chain.stop()
    redis = Redis.from_url(redis_url)
    memory = await redis_bytes_per_document(redis, len(paths))
    await redis.aclose()
    return len(paths) / elapsed, memory


@dataclass
class PipelineRun:
    summary: dict[str, Any]
    usage: dict[str, ServiceUsage] = field(default_factory=dict)


def _watch_services(logs: Path, usage: dict[str, ServiceUsage], stop: threading.Event) -> None:
    """Poll each service's /proc entry (pids from the stack's pid files) until ``stop``."""
    while not stop.wait(0.25):
        for pid_file in logs.glob("*.pid"):
            name = pid_file.stem
            try:
                seen = process_usage(int(pid_file.read_text()))
            except ValueError:
                continue
            if seen is not None:
                usage[name] = seen


def run_pipeline(paths: list[Path], data_dir: Path, rate: float | None = None) -> PipelineRun:
    # --wait-ready: documents flow once every stage has loaded its models, as the baseline's timing
    # starts after it loaded its own.
    argv = [
        sys.executable,
        "-m",
        "newsflow_cli",
        "run",
        "--once",
        "--json",
        "--wait-ready",
        "--data-dir",
        str(data_dir),
    ]
    if rate:
        argv += ["--rate", f"{rate:.2f}"]
    usage: dict[str, ServiceUsage] = {}
    stop = threading.Event()
    watcher = threading.Thread(target=_watch_services, args=(data_dir / "logs", usage, stop), daemon=True)
    watcher.start()
    proc = subprocess.run(
        [*argv, "--input", *map(str, paths)], capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
    )
    stop.set()
    watcher.join()
    if proc.returncode != 0:
        sys.exit(f"newsflow run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    return PipelineRun(summary, {k: v for k, v in usage.items() if k.split("-")[0] in STAGES})


def latencies(index_dir: Path) -> dict[str, list[float]]:
    """Seconds per document from the stage timestamps of the indexed records: ingest→index, and
    each hop (the time from one stage's stamp to the next stage's, queueing included)."""

    from newsflow_index.tantivy_backend import TantivyBackend

    out: dict[str, list[float]] = {"ingest→index": [], **{f"{a}→{b}": [] for a, b in HOPS}}
    for record in asyncio.run(TantivyBackend(index_dir).all_records()):
        stamps = record.timestamps
        out["ingest→index"].append((stamps["index"] - stamps["ingest"]).total_seconds())
        for a, b in HOPS:
            out[f"{a}→{b}"].append((stamps[b] - stamps[a]).total_seconds())
    return out


def describe_latency(latency_ms: dict[str, float]) -> str:
    """``newsflow run``'s ingest→searchable figures (from the lineage events) as one phrase."""
    if not latency_ms:
        return "no document was indexed"
    return (
        f"p50 {latency_ms['p50']:.0f} ms, p90 {latency_ms['p90']:.0f} ms, p99 {latency_ms['p99']:.0f} ms, "
        f"max {latency_ms['max']:.0f} ms ({latency_ms['documents']:.0f} documents)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--plain-documents", type=int, default=400, help="documents the plain script runs on")
    args = parser.parse_args(argv)
    if dev_set_dir() is None:
        print("bench skipped: the dev set (../shared/eval/article-benchmark-dev or NEWSFLOW_DEV_SET) is absent")
        return 0
    with tempfile.TemporaryDirectory(prefix="newsflow-bench-") as tmp:
        work = Path(tmp)
        (work / "corpus").mkdir()
        paths = build_corpus(work / "corpus", args.documents)
        print(f"corpus: {len(paths)} unique documents from the dev set's HTML pages")

        redis_port = free_port()
        redis = redis_process(redis_port, work / "redis", work / "logs")
        asyncio.run(start_and_wait(redis, redis_port))
        try:
            redis_url = f"redis://127.0.0.1:{redis_port}/0"
            baseline, memory = asyncio.run(_baseline(paths, redis_url, work / "baseline-index"))
            one, batched = asyncio.run(dedup_rates(unique_bodies(len(paths)), redis_url))
        finally:
            redis.stop()
        print(f"baseline (one process, document by document): {baseline:.1f} docs/s")
        print(
            "Redis per document: "
            + ", ".join(f"{space.split(':')[1]} {size / 1024:.1f} KiB" for space, size in memory.items())
            + f" (per million documents: {sum(memory.values()) * 1e6 / 2**30:.1f} GiB)"
        )
        print(f"dedup against Redis: {one:.0f} docs/s one at a time, {batched:.0f} docs/s in batches of 64")
        plain_paths = paths[: args.plain_documents]
        plain_one, _ = plain_script_rate(plain_paths, work / "plain-1", processes=1)
        plain_two, plain_indexed = plain_script_rate(plain_paths, work / "plain-2", processes=2)
        print(
            f"plain script (trafilatura + spaCy NER + tantivy, {len(plain_paths)} documents, {plain_indexed} kept): "
            f"{plain_one:.1f} docs/s in one process, {plain_two:.1f} docs/s in two"
        )
        feed_rate, fetched, failed = asyncio.run(feed_ingest_rate())
        print(
            f"ingest from a local feed of {FEED_ITEMS} items: {feed_rate:.0f} items/s "
            f"({fetched} raw documents, {failed} failures; server and ingest share this machine)"
        )

        peak = run_pipeline(paths, work / "peak")
        pipeline = peak.summary["indexed"] / peak.summary["processing_s"]
        print(
            f"pipeline (newsflow run --once, 5 services): {pipeline:.1f} docs/s "
            f"({peak.summary['indexed']} indexed, {peak.summary.get('dropped', 0)} dropped, "
            f"{peak.summary.get('duplicates', 0)} duplicates, {peak.summary.get('dead_lettered', 0)} dead-lettered)"
        )
        print(
            f"embedded stack accepting documents {peak.summary['ready_s']:.2f} s after `newsflow run` started; "
            f"every stage ready (models loaded) after {peak.summary.get('services_ready_s', float('nan')):.2f} s"
        )
        for name, use in sorted(peak.usage.items(), key=lambda kv: (STAGES.index(kv[0].split("-")[0]), kv[0])):
            per_doc_ms = 1000 * use.cpu_s / max(peak.summary["indexed"], 1)  # of all documents, per process
            print(f"  {name:<10} peak RSS {use.peak_rss_mb:6.0f} MB   CPU {per_doc_ms:6.1f} ms/doc")

        half = pipeline / 2
        paced = run_pipeline(paths[: max(200, int(half * 60))], work / "paced", rate=half)
        lat = latencies(work / "paced" / "index")
        stamped = lat.pop("ingest→index")
        stored = paced.summary["indexed"] + paced.summary.get("duplicates", 0)
        assert len(stamped) == stored, "every stored record carries its timestamps"
        # From the lineage events: ingest passing a document on → the index stage's event, sent
        # after its commit (searchable). The stage stamps below end before the index write.
        print(
            f"ingest→indexed (searchable) latency at {half:.1f} docs/s (half the peak): "
            + describe_latency(paced.summary["latency_ms"])
        )
        print(
            f"  stage stamps, ingest→index stage (before its write): p50 {percentile(stamped, 50) * 1000:.0f} ms, "
            f"p99 {percentile(stamped, 99) * 1000:.0f} ms; per hop:"
        )
        for hop, values in lat.items():
            print(
                f"  {hop:<16} p50 {percentile(values, 50) * 1000:5.0f} ms   p99 {percentile(values, 99) * 1000:5.0f} ms"
            )
        with NoisyNeighbour():
            noisy = run_pipeline(paths[: max(200, int(half * 60))], work / "noisy", rate=half)
        print(
            "the same beside a noisy neighbour (one core kept busy): " + describe_latency(noisy.summary["latency_ms"])
        )
        noisy_hops = latencies(work / "noisy" / "index")
        noisy_hops.pop("ingest→index")
        worst = max(noisy_hops.items(), key=lambda kv: percentile(kv[1], 99))
        print(f"  slowest hop there: {worst[0]} p99 {percentile(worst[1], 99) * 1000:.0f} ms")
        print(f"pipeline/plain-script throughput ratio: {pipeline / plain_two:.2f}")
        print(f"pipeline/baseline throughput ratio: {pipeline / baseline:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
