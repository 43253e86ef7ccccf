"""The plain script a user would write instead of newsflow, for ``make bench`` to race.

For each JSON record: skip it if its extracted body's hash was seen, ``trafilatura.extract(html,
favor_precision=True)``, spaCy ``en_core_web_sm`` NER only (``nlp.pipe``, batch 32), a tantivy
add, a commit every 256 documents. Run in one process, and split over N processes with
``multiprocessing`` (each with its own index shard and its own seen-hashes, as a user would).
Model loading is not timed (nor is it for the pipeline, which starts its clock when every stage is
ready): the clock starts when every worker has loaded its model.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import time
from pathlib import Path
from typing import Any

BATCH = 32
COMMIT_EVERY = 256


def _load_nlp() -> Any:
    import spacy

    from newsflow_extract.entities import FALLBACK_MODEL

    for name in ("en_core_web_sm", FALLBACK_MODEL):
        try:
            return spacy.load(name, exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"])
        except OSError:
            continue
    raise RuntimeError("no English spaCy model installed")


def _index(directory: Path) -> Any:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("doc_id", stored=True, tokenizer_name="raw")
    builder.add_text_field("body", stored=True)
    builder.add_text_field("entity", stored=True)
    directory.mkdir(parents=True, exist_ok=True)
    return tantivy.Index(builder.build(), path=str(directory))


def _work(paths: list[Path], index_dir: Path, ready: Any, go: Any, done: Any) -> None:
    import tantivy
    import trafilatura

    nlp = _load_nlp()
    index = _index(index_dir)
    writer = index.writer()
    ready.put(True)
    go.wait()
    seen: set[str] = set()
    pending: list[tuple[str, str]] = []
    indexed = since_commit = 0

    def flush() -> None:
        nonlocal indexed, since_commit
        for (doc_id, body), doc in zip(pending, nlp.pipe([b for _, b in pending], batch_size=BATCH), strict=True):
            entities = [e.text for e in doc.ents]
            writer.add_document(tantivy.Document(doc_id=doc_id, body=body, entity=entities or [""]))
            indexed += 1
            since_commit += 1
            if since_commit >= COMMIT_EVERY:
                writer.commit()
                since_commit = 0
        pending.clear()

    for path in paths:
        record = json.loads(path.read_text())
        body = trafilatura.extract(record["html"], favor_precision=True) or ""
        digest = hashlib.sha256(body.encode()).hexdigest()
        if not body or digest in seen:
            continue
        seen.add(digest)
        pending.append((record["id"], body))
        if len(pending) >= BATCH:
            flush()
    flush()
    writer.commit()
    done.put(indexed)


def plain_script_rate(paths: list[Path], work_dir: Path, processes: int = 1) -> tuple[float, int]:
    """(docs/s, documents indexed) of the plain script over ``paths`` in ``processes`` processes."""
    context = multiprocessing.get_context("spawn")
    ready, done = context.Queue(), context.Queue()
    go = context.Event()
    shards = [paths[n::processes] for n in range(processes)]
    workers = [
        context.Process(target=_work, args=(shard, work_dir / f"shard-{n}", ready, go, done))
        for n, shard in enumerate(shards)
    ]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.get(timeout=300)
    started = time.perf_counter()
    go.set()
    indexed = sum(done.get(timeout=3600) for _ in workers)
    elapsed = time.perf_counter() - started
    for worker in workers:
        worker.join(timeout=60)
    return indexed / elapsed, indexed


def _spin(stop: Any) -> None:
    while not stop.is_set():
        for _ in range(100_000):
            pass


class NoisyNeighbour:
    """A process that keeps one core busy while it is open (a neighbour's batch job)."""

    def __enter__(self) -> NoisyNeighbour:
        context = multiprocessing.get_context("spawn")
        self._stop = context.Event()
        self._process = context.Process(target=_spin, args=(self._stop,), daemon=True)
        self._process.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.kill()
