"""Entry point used by ``newsflow service strip``."""

from newsflow_shared.settings import Settings
from newsflow_strip.stage import StripStage


def create_stage(settings: Settings) -> StripStage:
    """Build the strip stage (it needs no settings yet)."""
    del settings
    return StripStage()
