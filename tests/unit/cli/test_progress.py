from newsflow_cli.progress import ProgressTracker
from newsflow_shared.models import StageEvent


def event(stage, doc_id, outcome, reason=None, outputs=()):
    return StageEvent(stage=stage, doc_id=doc_id, outcome=outcome, reason=reason, output_ids=list(outputs))


def test_done_only_when_every_document_of_every_request_is_terminal():
    tracker = ProgressTracker(["r1", "r2"])
    tracker.observe(event("ingest", "r1", "forwarded", outputs=["a", "b", "c"]))
    assert not tracker.done
    tracker.observe(event("ingest", "r2", "dead_lettered", "source_not_found"))
    for doc_id, stage, outcome, reason in [
        ("a", "index", "indexed", None),
        ("b", "clean", "dropped", "duplicate_exact"),
    ]:
        tracker.observe(event(stage, doc_id, outcome, reason))
    assert not tracker.done
    tracker.observe(event("strip", "c", "dead_lettered", "processing_error"))
    tracker.observe(event("index", "a", "indexed"))  # a redelivered event changes nothing
    assert tracker.done
    summary = tracker.summary()
    assert (summary["ingested"], summary["indexed"], summary["duplicates"], summary["dead_lettered"]) == (3, 1, 1, 2)


def test_latency_runs_from_ingest_handing_a_document_on_to_its_first_indexed_event():
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 12, 1, tzinfo=UTC)

    def at(ms, stage, doc_id, outcome, outputs=()):
        return event(stage, doc_id, outcome, outputs=outputs).model_copy(
            update={"at": start + timedelta(milliseconds=ms)}
        )

    tracker = ProgressTracker(["r1", "r2"])
    tracker.observe(at(0, "ingest", "r1", "forwarded", outputs=["a", "b"]))
    tracker.observe(at(100, "ingest", "r2", "forwarded", outputs=["c"]))
    tracker.observe(at(400, "index", "a", "indexed"))
    tracker.observe(at(900, "index", "c", "indexed"))
    tracker.observe(at(5000, "index", "a", "indexed"))  # a redelivery: a was searchable at 400 ms
    tracker.observe(at(300, "strip", "b", "dropped"))  # not indexed: not in the figures
    latency = tracker.summary()["latency_ms"]
    assert latency == {"documents": 2, "p50": 600.0, "p90": 760.0, "p99": 796.0, "max": 800.0}


def test_no_latency_figures_without_an_indexed_document():
    tracker = ProgressTracker(["r1"])
    tracker.observe(event("ingest", "r1", "dead_lettered", "source_not_found"))
    assert tracker.summary()["latency_ms"] == {}
