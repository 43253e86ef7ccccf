"""Every Kafka topic newsflow uses, in one place.

Names are dot-separated and carry a major version: a breaking change to a topic's payload gets
a new topic (``.v2``) rather than an in-place change, so old and new consumers can coexist
during a rollout.
"""

from __future__ import annotations

INGEST_REQUESTS = "newsflow.ingest.requests.v1"
"""Sources to ingest (a file, directory, WARC archive, URL list, or a page, feed or sitemap URL): input of *ingest*."""

RAW = "newsflow.documents.raw.v1"
"""Raw documents as fetched or read (bytes plus declared type): ingest → clean."""

CLEAN = "newsflow.documents.clean.v1"
"""Decoded, normalized, language-tagged documents: clean → strip (dedup comes after stripping)."""

STRIPPED = "newsflow.documents.stripped.v1"
"""Article body with boilerplate removed, plus page metadata hints: strip → extract."""

EXTRACTED = "newsflow.documents.extracted.v1"
"""Title, dates, outlet, entities and quotes: extract → index."""

EXCLUDED = "newsflow.documents.excluded.v1"
"""Documents a stage dropped on a judgement a person may overrule (``not_an_article``), as the
stage would have passed them on: kept for inspection and replay, never indexed."""

DEAD_LETTER = "newsflow.deadletter.v1"
"""Every record a stage could not process, with the stage and a reason code."""

EVENTS = "newsflow.events.v1"
"""One small lineage event per input per stage (forwarded, dropped, dead-lettered, indexed).

This is how ``newsflow run --once`` knows that every input reached a terminal state, counted
from the stream itself rather than from logs.
"""

ALL_TOPICS: tuple[str, ...] = (
    INGEST_REQUESTS,
    RAW,
    CLEAN,
    STRIPPED,
    EXTRACTED,
    EXCLUDED,
    DEAD_LETTER,
    EVENTS,
)
