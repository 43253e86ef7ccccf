"""Entry point used by ``newsflow service ingest``."""

from newsflow_ingest.stage import IngestStage
from newsflow_shared.settings import Settings


def create_stage(settings: Settings) -> IngestStage:
    """Build the ingest stage from the service's settings."""
    return IngestStage(settings.ingest)
