"""Entry point used by ``newsflow service extract``."""

from newsflow_extract.stage import ExtractStage
from newsflow_shared.settings import Settings


def create_stage(settings: Settings, *, standalone: bool = False) -> ExtractStage:
    """Build the extract stage (no connection, standalone or not); the spaCy model loads in
    ``start()``, not here."""
    return ExtractStage(settings.extract)
