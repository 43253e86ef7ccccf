"""Which service is which: name → its stage factory (imported lazily: extract pulls in spaCy)."""

from __future__ import annotations

import importlib

from newsflow_shared.pipeline import STAGES
from newsflow_shared.settings import Settings
from newsflow_shared.stage import Stage

SERVICES: tuple[str, ...] = STAGES
"""The services ``newsflow service NAME`` runs: the pipeline's stages."""


def create_stage(name: str, settings: Settings, *, standalone: bool = False) -> Stage:
    """Build service ``name``'s stage from settings, through its composition root
    (``newsflow_<name>.service.create_stage``); ``standalone``: without shared state (Redis)."""
    if name not in SERVICES:
        raise ValueError(f"unknown service {name!r}; choose one of {', '.join(SERVICES)}")
    module = importlib.import_module(f"newsflow_{name}.service")
    return module.create_stage(settings, standalone=standalone)  # type: ignore[no-any-return]
