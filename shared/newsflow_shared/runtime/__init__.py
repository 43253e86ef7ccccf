"""The one runtime every service uses: ``StageRunner`` (the batch loop) driven by Faust."""

from newsflow_shared.runtime.batch import (
    InboundRecord,
    OutboundRecord,
    Publisher,
    StageCounters,
    StageRunner,
)

__all__ = ["InboundRecord", "OutboundRecord", "Publisher", "StageCounters", "StageRunner"]
