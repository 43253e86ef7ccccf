"""``newsflow dlq``: list, show and replay dead letters against the real broker and Redis."""

from __future__ import annotations

import uuid

import pytest

from newsflow_cli import dlq
from newsflow_shared import topics
from newsflow_shared.models import DeadLetter, IngestRequest, RawDocument
from newsflow_shared.settings import Settings
from tests.integration.kafka_helpers import produce, read_until

pytestmark = pytest.mark.integration


async def test_list_filter_show_and_replay_once(settings: Settings):
    tag = uuid.uuid4().hex[:8]
    raw = RawDocument(doc_id=f"{tag}-doc", source="x", content=b"some text", content_type="text/plain")
    letters = [
        DeadLetter(stage="clean", reason=f"{tag}_broken", error="boom", doc_id=raw.doc_id, source_topic=topics.RAW, payload=raw.to_wire()),
        DeadLetter(
            stage="ingest", reason=f"{tag}_fetch", error="HTTP 503", doc_id=f"{tag}-page",
            source_topic=topics.INGEST_REQUESTS, payload=f"https://news.example/{tag}".encode(),
        ),
        DeadLetter(stage="ingest", reason=f"{tag}_json", error="bad line", doc_id=None, source_topic=topics.INGEST_REQUESTS, payload=b"not json"),
    ]  # fmt: skip
    await produce(
        settings.kafka.bootstrap_servers,
        topics.DEAD_LETTER,
        [(letter.partition_key(), letter.to_wire()) for letter in letters],
    )

    found = [x for x in await dlq.read_letters(settings) if x.record.reason.startswith(tag)]
    assert sorted(x.record.reason for x in found) == sorted(letter.reason for letter in letters)
    assert [x.record.doc_id for x in await dlq.read_letters(settings, reason=f"{tag}_broken")] == [raw.doc_id]
    assert f"{tag}_fetch" in dlq.table(found)
    assert f"https://news.example/{tag}" in "".join(dlq.detail(x) for x in found)  # the payload, as text

    assert await dlq.replay(settings, found) == (2, 0, 1)  # the bad JSON line cannot be replayed
    assert await dlq.replay(settings, found) == (0, 2, 1), "a second replay resends nothing"
    replayed = await read_until(
        settings.kafka.bootstrap_servers,
        topics.RAW,
        done=lambda k: len(k) >= 1,
        keep=lambda r: r.key == raw.doc_id.encode(),
    )
    assert RawDocument.model_validate_json(replayed[0].value) == raw
    requests = await read_until(
        settings.kafka.bootstrap_servers,
        topics.INGEST_REQUESTS,
        done=lambda k: len(k) >= 1,
        keep=lambda r: tag.encode() in (r.value or b""),
    )
    assert IngestRequest.model_validate_json(requests[0].value).source == f"https://news.example/{tag}"


async def test_a_rejected_jsonl_record_is_replayed_as_a_request_for_that_record(
    settings: Settings, service_factory, tmp_path
):
    """Against the real broker and a real ingest service: the bad line's dead letter names
    ``path#N``; after the file is mended, a replay makes ingest read that record alone."""
    tag = uuid.uuid4().hex[:8]
    records = tmp_path / f"{tag}.jsonl"
    records.write_text(f'{{"id": "{tag}-1", "text": "first record"}}\n{{"id": "{tag}-2", "txt": "typo"}}\n')
    service_factory("ingest")
    request = IngestRequest(request_id=f"req-{tag}", source=str(records))
    await produce(
        settings.kafka.bootstrap_servers, topics.INGEST_REQUESTS, [(request.partition_key(), request.to_wire())]
    )

    def mine(letters):
        return [x for x in letters if x.record.source_ref and tag in x.record.source_ref]

    found = []
    for _ in range(40):
        found = mine(await dlq.read_letters(settings, stage="ingest"))
        if found:
            break
    assert [x.record.reason for x in found] == ["missing_content"]
    assert found[0].record.source_ref == f"{records}#2"

    records.write_text(f'{{"id": "{tag}-1", "text": "first record"}}\n{{"id": "{tag}-2", "text": "mended"}}\n')
    assert await dlq.replay(settings, found) == (1, 0, 0)
    raws = await read_until(
        settings.kafka.bootstrap_servers,
        topics.RAW,
        done=lambda k: any(RawDocument.model_validate_json(r.value).content == b"mended" for r in k),
        keep=lambda r: tag.encode() in (r.value or b"") or b"mended" in (r.value or b""),
    )
    mended = [doc for doc in (RawDocument.model_validate_json(r.value) for r in raws) if doc.content == b"mended"]
    assert len(mended) == 1 and mended[0].source == f"{records}#2", "that record alone, read again"
