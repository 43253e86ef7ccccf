"""Which service is which: name → the module of its composition root (imported lazily: extract
pulls in spaCy). The pipeline's stages, plus the push API's status book and the alerts."""

from __future__ import annotations

import importlib
from typing import Any

from newsflow_shared.pipeline import STAGES
from newsflow_shared.settings import Settings
from newsflow_shared.stage import Stage

COMPOSITION_ROOTS: dict[str, str] = {
    **{stage: f"newsflow_{stage}.service" for stage in STAGES},
    "push-status": "newsflow_ingest.push_status",
    "alerts": "newsflow_index.alerting",
}
SERVICES: tuple[str, ...] = tuple(COMPOSITION_ROOTS)
"""The services ``newsflow service NAME`` runs: the pipeline's stages, then the two sinks on the
events topic: ``push-status`` (what the push API's ``GET /v1/documents/{id}`` reads) and
``alerts`` (saved searches, webhooks, and the feed behind ``GET /v1/stream``)."""


def create_stage(name: str, settings: Settings, *, standalone: bool = False) -> Stage[Any, Any]:
    """Build service ``name``'s stage from settings, through its composition root
    (``create_stage`` in its module); ``standalone``: without shared state (Redis)."""
    if name not in COMPOSITION_ROOTS:
        raise ValueError(f"unknown service {name!r}; choose one of {', '.join(SERVICES)}")
    module = importlib.import_module(COMPOSITION_ROOTS[name])
    return module.create_stage(settings, standalone=standalone)  # type: ignore[no-any-return]
