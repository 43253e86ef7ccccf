import pytest

from newsflow_ingest.stage import IngestStage
from newsflow_shared.models import IngestRequest, RawDocument
from newsflow_shared.settings import IngestSettings
from newsflow_shared.stage import Dropped, Rejected


def ingest(source, **limits):
    return IngestStage(IngestSettings(**limits)).process(IngestRequest(request_id="r", source=str(source)))


def test_a_directory_yields_one_document_per_supported_file_with_stable_ids(tmp_path):
    (tmp_path / "a.txt").write_text("hello")
    (tmp_path / "b.html").write_text("<html><body>hi</body></html>")
    (tmp_path / "ignored.png").write_bytes(b"\x89PNG")
    first, again = ingest(tmp_path), ingest(tmp_path)
    assert [d.content_type for d in first] == ["text/plain", "text/html"]
    assert [d.doc_id for d in first] == [d.doc_id for d in again]


def test_jsonl_records_become_documents_and_a_bad_line_is_rejected_alone(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_text(
        '{"url": "https://x.test/a", "html": "<p>a</p>", "title": "A"}\n{broken\n{"text": "plain"}\n{"nothing": 1}\n'
    )
    items = ingest(path)
    docs = [i for i in items if isinstance(i, RawDocument)]
    assert [d.hints.title for d in docs] == ["A", None]
    assert docs[0].url == "https://x.test/a"
    assert sorted(i.reason for i in items if isinstance(i, Rejected)) == ["invalid_json", "missing_content"]


def test_missing_source_is_rejected_and_an_empty_directory_is_a_counted_drop(tmp_path):
    with pytest.raises(Rejected) as missing:
        ingest(tmp_path / "nope")
    assert missing.value.reason == "source_not_found"
    assert ingest(tmp_path) == Dropped("no_documents", f"{tmp_path} holds no supported files")


def test_oversized_documents_are_rejected(tmp_path):
    (tmp_path / "big.txt").write_text("x" * 5000)
    [item] = ingest(tmp_path / "big.txt", max_document_bytes=1024)
    assert isinstance(item, Rejected) and item.reason == "document_too_large"
