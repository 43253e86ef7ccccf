from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from newsflow_shared.models import SCHEMA_VERSION, RawDocument, StageEvent, stable_doc_id


def test_bytes_travel_as_base64_and_come_back_identical():
    doc = RawDocument(doc_id="d1", source="x.txt", content=b"\x00\xffcaf\xc3\xa9")
    assert b"\\x" not in doc.to_wire()
    assert RawDocument.model_validate_json(doc.to_wire()).content == doc.content


def test_unknown_fields_are_ignored_for_forward_compatibility():
    wire = RawDocument(doc_id="d1", source="x", content=b"a").model_dump_json()
    newer = wire[:-1] + ', "field_from_the_future": 1}'
    assert RawDocument.model_validate_json(newer).doc_id == "d1"


def test_a_newer_schema_version_is_refused():
    with pytest.raises(ValidationError, match="unsupported schema_version"):
        RawDocument(doc_id="d1", source="x", content=b"a", schema_version=SCHEMA_VERSION + 1)


def test_partition_key_is_the_doc_id_and_ids_are_stable():
    assert RawDocument(doc_id="abc", source="x", content=b"a").partition_key() == b"abc"
    assert stable_doc_id("file:/a") == stable_doc_id("file:/a") != stable_doc_id("file:/b")


def test_stamped_adds_this_stage_timestamp_and_keeps_earlier_ones():
    doc = RawDocument(doc_id="d", source="x", content=b"a", timestamps={"ingest": datetime(2024, 1, 1, tzinfo=UTC)})
    fields = doc.stamped("clean")
    assert set(fields["timestamps"]) == {"ingest", "clean"}


def test_terminal_outcomes():
    assert StageEvent(stage="index", doc_id="d", outcome="indexed").is_terminal
    assert not StageEvent(stage="clean", doc_id="d", outcome="forwarded").is_terminal
