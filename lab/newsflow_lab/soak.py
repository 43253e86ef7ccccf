"""``make soak``: documents at a fixed rate for N minutes through the embedded stack.

Prints throughput, ingest→searchable latency p50/p99, the largest consumer lag each stage showed
(scraped from its /metrics every two seconds), peak RSS per service, and the lost and doubled
counts, which must both be 0 (counted from the index, not from logs): exit status 1 otherwise.
Documents are the dev set's pages (or, without it, the seeds), each copy made unique like
``make bench``'s corpus so that dedup keeps every one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import threading
from collections import Counter
from pathlib import Path

import httpx

from newsflow_cli.stack import ENDPOINTS_FILE
from newsflow_cli.status import parse_metrics
from newsflow_lab.bench import build_corpus, describe_latency, editioned, run_pipeline
from newsflow_lab.corpus import SEEDS_DIR, dev_set_dir
from newsflow_shared.pipeline import STAGES


def seed_corpus(out_dir: Path, documents: int) -> list[Path]:
    """``documents`` text files from the seeds, each copy marked as its own edition."""
    seeds = sorted(SEEDS_DIR.glob("*.txt"))
    paths = []
    for n in range(documents):
        text = seeds[n % len(seeds)].read_text("utf-8")
        path = out_dir / f"soak-{n:06d}.txt"
        path.write_text(editioned(f">{text}<", n // len(seeds))[1:-1], encoding="utf-8")
        paths.append(path)
    return paths


def _sample_lag(data_dir: Path, peaks: dict[str, float], stop: threading.Event) -> None:
    with httpx.Client(timeout=1.0) as client:
        while not stop.wait(2.0):
            endpoints_file = data_dir / ENDPOINTS_FILE
            if not endpoints_file.exists():
                continue
            for name, base in json.loads(endpoints_file.read_text()).items():
                try:
                    status = parse_metrics(name, client.get(f"{base}/metrics").text)
                except (httpx.HTTPError, ValueError):
                    continue
                peaks[name] = max(peaks.get(name, 0.0), status.lag)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=3.0, help="documents per second")
    args = parser.parse_args(argv)
    documents = max(int(args.minutes * 60 * args.rate), 1)
    with tempfile.TemporaryDirectory(prefix="newsflow-soak-") as tmp:
        work = Path(tmp)
        (work / "corpus").mkdir()
        paths = build_corpus(work / "corpus", documents) if dev_set_dir() else seed_corpus(work / "corpus", documents)
        print(f"soak: {documents} documents at {args.rate:g}/s for {args.minutes:g} min")
        lag: dict[str, float] = {}
        stop = threading.Event()
        sampler = threading.Thread(target=_sample_lag, args=(work / "run", lag, stop), daemon=True)
        sampler.start()
        run = run_pipeline(paths, work / "run", rate=args.rate)
        stop.set()
        sampler.join()
        from newsflow_index.tantivy_backend import TantivyBackend

        stored = Counter(d.doc_id for d in asyncio.run(TantivyBackend(work / "run" / "index").all_records()))
        summary = run.summary
        # A document is lost when it never reached a terminal state (indexed, duplicate, dropped
        # or dead-lettered with a reason): the tracker's pending count, each document once.
        lost = summary["pending"]
        doubled = sum(n - 1 for n in stored.values() if n > 1)
        print(
            f"throughput: {summary['indexed'] / summary['processing_s']:.2f} docs/s indexed over {summary['processing_s']:.0f} s"
        )
        print("ingest→searchable latency: " + describe_latency(summary["latency_ms"]))
        print("largest consumer lag: " + ", ".join(f"{n} {lag.get(n, 0):.0f}" for n in STAGES))
        print("peak RSS: " + ", ".join(f"{n} {u.peak_rss_mb:.0f} MB" for n, u in run.usage.items()))
        print(
            f"outcomes: {summary['indexed']} indexed, {summary['duplicates']} duplicates, "
            f"{summary['dead_lettered']} dead-lettered, {summary['dropped']} dropped"
        )
        print(f"lost: {lost}  doubled: {doubled}")
    return 1 if lost or doubled else 0


if __name__ == "__main__":
    raise SystemExit(main())
