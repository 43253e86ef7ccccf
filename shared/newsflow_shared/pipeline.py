"""The pipeline's shape, in one place: its stages in order, and the hops between them.

Every list of stages (the services a deployment runs, the order a document's status may only move
forward in, the live progress line, the bench's per-hop latencies) is read from here.
"""

from __future__ import annotations

from itertools import pairwise

STAGES: tuple[str, ...] = ("ingest", "clean", "strip", "extract", "index")
"""The five document stages, in the order a document passes them; each is a service."""

HOPS: tuple[tuple[str, str], ...] = tuple(pairwise(STAGES))
"""Each stage and the next: ("ingest", "clean"), …, ("extract", "index")."""


def position(stage: str) -> int:
    """Where ``stage`` is in the pipeline (0 for ingest); -1 for anything that is not a stage."""
    return STAGES.index(stage) if stage in STAGES else -1
