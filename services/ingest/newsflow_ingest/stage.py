"""The ingest stage: one ingest request (a path) fans out into raw documents."""

from __future__ import annotations

from pathlib import Path

from newsflow_ingest.files import list_files, read_documents
from newsflow_shared import topics
from newsflow_shared.models import IngestRequest, RawDocument, utc_now
from newsflow_shared.settings import IngestSettings
from newsflow_shared.stage import Dropped, Rejected, Stage


class IngestStage(Stage[IngestRequest, RawDocument]):
    """Reads the files a request names and emits one raw document per file or JSON record."""

    name = "ingest"
    input_model = IngestRequest
    input_topic = topics.INGEST_REQUESTS
    output_topic = topics.RAW

    def __init__(self, settings: IngestSettings) -> None:
        self.settings = settings

    def process(self, doc: IngestRequest) -> list[RawDocument | Rejected] | Dropped:
        source = Path(doc.source)
        if not source.exists():
            raise Rejected("source_not_found", f"no such file or directory: {doc.source}")
        try:
            files = list_files(source, self.settings.max_files_per_request)
            outputs: list[RawDocument | Rejected] = []
            for path in files:
                display = doc.source if path == source else str(path)
                outputs += read_documents(path, display, doc.request_id, self.settings.max_document_bytes)
        except PermissionError as exc:
            raise Rejected("source_unreadable", str(exc)) from exc
        if not outputs:
            return Dropped("no_documents", f"{doc.source} holds no supported files")
        # The pipeline's clock starts here: every later stage adds its own stamp (latency figures).
        now = utc_now()
        return [
            out.model_copy(update={"timestamps": {self.name: now}}) if isinstance(out, RawDocument) else out
            for out in outputs
        ]
