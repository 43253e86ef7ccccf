"""Entry point used by ``newsflow service clean``."""

from newsflow_clean.stage import CleanStage
from newsflow_shared.settings import Settings


def create_stage(settings: Settings) -> CleanStage:  # noqa: ARG001 - every service takes its settings
    """Build the clean stage (it needs no connection: dedup happens after stripping)."""
    return CleanStage()
