"""Entry point used by ``newsflow service clean``."""

from newsflow_clean.stage import CleanStage
from newsflow_shared.settings import Settings


def create_stage(settings: Settings, *, standalone: bool = False) -> CleanStage:
    """Build the clean stage (it needs no connection, standalone or not: dedup happens after stripping)."""
    return CleanStage()
