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
