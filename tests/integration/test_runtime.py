"""The stage runtime against the real broker and Redis: dead letters, redelivery, no loss on SIGKILL."""

from __future__ import annotations

import json
import uuid

import pytest

from newsflow_shared import topics
from newsflow_shared.models import CleanDocument, DeadLetter, RawDocument, StrippedDocument, utc_now
from tests.integration.kafka_helpers import produce, read_until


def raw(doc_id: str, text: str) -> RawDocument:
    return RawDocument(doc_id=doc_id, source=f"test:{doc_id}", content=text.encode(), content_type="text/plain")


def wire(doc: RawDocument) -> tuple[bytes, bytes]:
    return doc.partition_key(), doc.to_wire()


async def test_bad_records_are_dead_lettered_with_reasons_and_the_stream_continues(settings, service_factory):
    tag = uuid.uuid4().hex[:8]
    good = [raw(f"{tag}-good-{i}", f"Article {tag} number {i} has enough words to be text.") for i in range(3)]
    unsupported = json.loads(good[0].to_wire()) | {"schema_version": 99, "doc_id": f"{tag}-v99"}
    records = [
        wire(good[0]),
        (b"k", f'{{"doc_id": "{tag}-broken", this is not json'.encode()),
        wire(good[1]),
        (b"k", json.dumps({"doc_id": f"{tag}-schema", "source": "no content field"}).encode()),
        (b"k", json.dumps(unsupported).encode()),
        wire(good[2]),
    ]
    await produce(settings.kafka.bootstrap_servers, topics.RAW, records)
    service_factory("clean")

    outputs = await read_until(
        settings.kafka.bootstrap_servers,
        topics.CLEAN,
        done=lambda kept: len({r.key for r in kept}) == 3,
        keep=lambda r: r.key.decode().startswith(f"{tag}-good"),
    )
    assert {CleanDocument.model_validate_json(r.value).doc_id for r in outputs} == {d.doc_id for d in good}

    letters = await read_until(
        settings.kafka.bootstrap_servers,
        topics.DEAD_LETTER,
        done=lambda kept: len(kept) >= 3,
        keep=lambda r: tag.encode() in DeadLetter.model_validate_json(r.value).payload,
    )
    by_reason = {
        DeadLetter.model_validate_json(r.value).reason: DeadLetter.model_validate_json(r.value) for r in letters
    }
    assert set(by_reason) == {"invalid_json", "schema_invalid", "unsupported_schema_version"}
    assert all(letter.stage == "clean" and letter.source_topic == topics.RAW for letter in by_reason.values())
    assert all(letter.first_seen_at is not None for letter in by_reason.values())
    assert by_reason["schema_invalid"].doc_id == f"{tag}-schema"
    assert b"this is not json" in by_reason["invalid_json"].payload  # the original bytes, for replay


def article(tag: str) -> str:
    """Prose the strip stage keeps as an article body, unique to ``tag``."""
    return "\n\n".join(
        f"The council of district {tag} met on day {i} to discuss the budget, and the mayor said that "
        f"the plan for the {tag} bridge would be published after the vote on Thursday evening."
        for i in range(8)
    )


def cleaned(doc_id: str, text: str) -> CleanDocument:
    return CleanDocument(
        doc_id=doc_id, source=f"test:{doc_id}", content=text, format="text", fingerprint=doc_id, fetched_at=utc_now()
    )


async def test_a_redelivered_document_is_not_a_duplicate_of_itself(settings, service_factory):
    """Dedup (in strip, with Redis) marks a copy under another id, never a redelivery of the same id."""
    tag = uuid.uuid4().hex[:8]
    original, copy = cleaned(f"{tag}-a", article(tag)), cleaned(f"{tag}-b", article(tag))
    service_factory("strip")
    bootstrap = settings.kafka.bootstrap_servers
    ours = lambda r: r.key.decode().startswith(tag)  # noqa: E731

    await produce(bootstrap, topics.CLEAN, [(original.partition_key(), original.to_wire())] * 2)  # a redelivery
    await read_until(bootstrap, topics.STRIPPED, done=lambda k: len(k) >= 2, keep=ours)
    await produce(bootstrap, topics.CLEAN, [(copy.partition_key(), copy.to_wire())])  # same body, another document
    stripped = [
        StrippedDocument.model_validate_json(r.value)
        for r in await read_until(bootstrap, topics.STRIPPED, done=lambda k: len(k) >= 3, keep=ours)
    ]
    assert [(d.doc_id, d.duplicate_of, d.duplicate_reason) for d in stripped] == [
        (f"{tag}-a", None, None),
        (f"{tag}-a", None, None),
        (f"{tag}-b", f"{tag}-a", "duplicate_exact"),
    ]


async def clean_under_way(settings, service_factory):
    """600 documents on the raw topic and a clean worker 50 documents into them."""
    tag = uuid.uuid4().hex[:8]
    docs = [raw(f"{tag}-{i:04d}", f"Document {i} of run {tag}: some words to clean.") for i in range(600)]
    await produce(settings.kafka.bootstrap_servers, topics.RAW, [wire(d) for d in docs])
    ours = lambda r: r.key.decode().startswith(tag)  # noqa: E731
    worker = service_factory("clean")
    await read_until(settings.kafka.bootstrap_servers, topics.CLEAN, done=lambda kept: len(kept) >= 50, keep=ours)
    return docs, ours, worker


async def test_sigkill_mid_stream_loses_nothing(settings, service_factory):
    """Offsets are committed only after outputs are acknowledged: a killed worker's batch comes back."""
    docs, ours, first = await clean_under_way(settings, service_factory)
    bootstrap = settings.kafka.bootstrap_servers
    first.kill()
    service_factory("clean")
    outputs = await read_until(
        bootstrap, topics.CLEAN, done=lambda kept: len({r.key for r in kept}) == len(docs), keep=ours, timeout_s=120
    )
    assert {r.key.decode() for r in outputs} == {d.doc_id for d in docs}


async def test_sigterm_drains_the_batch_in_flight_and_commits(settings, service_factory):
    """A graceful stop finishes and commits what it took: the next worker redoes nothing."""
    docs, ours, first = await clean_under_way(settings, service_factory)
    bootstrap = settings.kafka.bootstrap_servers
    assert first.managed.process is not None
    first.managed.process.terminate()
    assert first.managed.process.wait(30) == 0, first.log_text()[-2000:]
    assert "stopping" in first.log_text()
    service_factory("clean")
    await read_until(
        bootstrap, topics.CLEAN, done=lambda kept: len({r.key for r in kept}) == len(docs), keep=ours, timeout_s=120
    )
    with pytest.raises(TimeoutError):  # nothing beyond one output per document shows up
        await read_until(bootstrap, topics.CLEAN, done=lambda kept: len(kept) > len(docs), keep=ours, timeout_s=5)
