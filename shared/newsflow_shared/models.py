"""The wire contract: one pydantic v2 model per hop, plus dead letters and lineage events.

Rules every model here follows (see ``docs/decisions.md``):

- JSON on the wire; unknown fields are ignored so a newer producer never breaks an older consumer.
- ``schema_version`` is checked on read: a record from a newer *major* version is rejected (and
  dead-lettered by the runtime) instead of being half-understood. Changes within a major version
  are additive only: new optional fields with defaults.
- ``doc_id`` is stable for a source and is the Kafka key, so every effect downstream (index
  upsert, cache write, dedup claim) is idempotent under redelivery.
- ``timestamps`` accumulates one entry per stage, so latency is measurable per hop.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SCHEMA_VERSION = 1
"""Major version of every model in this module. Bump only for a breaking change (with new topics)."""


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC (all wire timestamps are UTC)."""
    return datetime.now(UTC)


def stable_doc_id(source_key: str) -> str:
    """A short, stable document id derived from what identifies the source (path, URL, path#line)."""
    return hashlib.sha256(source_key.encode("utf-8")).hexdigest()[:20]


class WireModel(BaseModel):
    """Base of every record on a topic: versioned, immutable, tolerant of unknown fields."""

    # bytes travel as base64 strings in JSON; in Python they stay raw bytes.
    model_config = ConfigDict(extra="ignore", frozen=True, ser_json_bytes="base64", val_json_bytes="base64")

    schema_version: int = SCHEMA_VERSION

    @field_validator("schema_version")
    @classmethod
    def _supported_version(cls, version: int) -> int:
        if version != SCHEMA_VERSION:
            raise ValueError(f"unsupported schema_version {version}: this consumer reads version {SCHEMA_VERSION}")
        return version

    @property
    def record_id(self) -> str | None:
        """What identifies this record in lineage and dead letters (a doc_id or a request_id)."""
        return None

    def partition_key(self) -> bytes:
        """The Kafka key for this record; records with the same key stay in order."""
        return (self.record_id or "").encode("utf-8")

    def to_wire(self) -> bytes:
        """Serialize for a topic (compact JSON)."""
        # The serializer's own bytes: ``model_dump_json()`` decodes them to a str that would be
        # encoded straight back, two copies of a whole page (750 → 360 µs for a 386 KB record).
        return self.__pydantic_serializer__.to_json(self)


class IngestRequest(WireModel):
    """Ask the ingest service to read a source: a path (file, directory, WARC, ``.urls`` list, one
    record ``path#N`` of a JSON Lines file) or a page, feed or sitemap URL."""

    request_id: str
    source: str = Field(description="A path as the user gave it (``path#N``: record N of a JSONL file) or a URL.")
    requested_at: datetime = Field(default_factory=utc_now)

    @property
    def record_id(self) -> str:
        return self.request_id


BodySource = Literal["page", "feed"]


class DocumentRecord(WireModel):
    """Fields every document carries from ingest to index."""

    doc_id: str
    request_id: str | None = None
    source: str = Field(description="Where the document came from: a path as given, or a URL.")
    url: str | None = None
    timestamps: dict[str, datetime] = Field(
        default_factory=dict, description="Stage name → when that stage emitted this document."
    )
    duplicate_of: str | None = Field(
        default=None, description="The canonical document's doc_id when this one is a duplicate of it."
    )
    duplicate_reason: str | None = Field(
        default=None, description="How it was found: duplicate_url, duplicate_exact or duplicate_near."
    )
    body_source: BodySource = Field(
        default="page",
        description="Where the text came from: the page itself (read, fetched or pushed), or the "
        "feed item's own text (the page was unreachable, or thinner than the feed's text).",
    )
    article_score: float | None = Field(
        default=None, description="P(the page is an article), from strip's article check (HTML pages only)."
    )

    @property
    def record_id(self) -> str:
        return self.doc_id

    def stamped(self, stage: str, **changes: Any) -> dict[str, Any]:
        """This record's fields plus ``changes``, with ``stage``'s timestamp added (for the next model)."""
        fields = self.model_dump()
        fields.pop("schema_version", None)
        fields.update(changes)
        fields["timestamps"] = {**self.timestamps, stage: utc_now()}
        return fields


class SourceHints(BaseModel):
    """Metadata a source supplied alongside the content (a JSON record's title, a feed item's
    date, author and categories, and its own full text, a news sitemap's title, date, keywords
    and publication)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    title: str | None = None
    published: datetime | None = None
    outlet: str | None = None
    authors: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    feed_content: str | None = Field(
        default=None,
        description="The feed item's own full text (HTML), when it is long enough to stand in for "
        "the page: strip uses it if the page's body turns out thinner.",
    )


class RawDocument(DocumentRecord):
    """A document as read or fetched: undecoded bytes and what the source declared about them."""

    content: bytes
    content_type: str | None = Field(default=None, description="Declared media type, if any.")
    charset: str | None = Field(default=None, description="Declared character set, if any.")
    fetched_at: datetime = Field(default_factory=utc_now)
    hints: SourceHints = Field(default_factory=SourceHints)


DocumentFormat = Literal["html", "text"]


class CleanDocument(DocumentRecord):
    """Decoded, mojibake-fixed, Unicode- and whitespace-normalized content."""

    content: str
    format: DocumentFormat
    language: str | None = None
    fingerprint: str | None = Field(
        default=None,
        description="Unused since deduplication moved after stripping (the stripped body's fingerprint is "
        "the exact-dedup key); kept optional so that older producers' records still validate.",
    )
    fetched_at: datetime
    hints: SourceHints = Field(default_factory=SourceHints)


class PageMetadata(BaseModel):
    """What the page itself says about the article (HTML meta tags, header lines of a text page)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    title: str | None = None
    authors: list[str] = Field(default_factory=list)
    published: datetime | None = None
    updated: datetime | None = None
    outlet: str | None = None
    canonical_url: str | None = Field(
        default=None, description="The page's own <link rel=canonical> or og:url, when believable."
    )
    header_lines: list[str] = Field(
        default_factory=list, description="Text lines before the body (titles, bylines, dates)."
    )
    footer_lines: list[str] = Field(
        default_factory=list, description="Text lines after the body (credits, outlet cues)."
    )


class StrippedDocument(DocumentRecord):
    """The article body with boilerplate removed."""

    body: str = Field(description="Article text; paragraphs separated by blank lines.")
    format: DocumentFormat
    language: str | None = None
    fingerprint: str
    fetched_at: datetime
    page: PageMetadata = Field(default_factory=PageMetadata)
    hints: SourceHints = Field(default_factory=SourceHints)


class Entity(BaseModel):
    """A named entity of a document: its canonical name within the document, and the other
    forms it was written in ("Blinken" for "Antony Blinken")."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    text: str
    label: str
    aliases: tuple[str, ...] = ()


class Quote(BaseModel):
    """A direct quotation and who said it (when the speaker could be linked)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    speaker: str | None
    text: str


class ExtractedDocument(DocumentRecord):
    """A fully annotated article, ready to index."""

    title: str | None
    body: str
    published: datetime | None = None
    updated: datetime | None = None
    authors: list[str] = Field(default_factory=list)
    outlet: str | None = None
    language: str | None = None
    entities: list[Entity] = Field(default_factory=list)
    quotes: list[Quote] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list, description="The source's own sections or tags.")
    fingerprint: str
    fetched_at: datetime
    story_id: str | None = Field(
        default=None, description="Reports of the same event from any outlet share one story_id."
    )


class DeadLetter(WireModel):
    """A record a stage could not process: what, where, why, and the original bytes to replay."""

    stage: str
    reason: str = Field(description="Machine-readable reason code, e.g. invalid_json, schema_invalid.")
    error: str = Field(description="Human-readable error text (truncated).")
    doc_id: str | None = None
    source_topic: str
    source_partition: int | None = None
    source_offset: int | None = None
    payload: bytes = Field(description="The original record value, byte for byte.")
    source_ref: str | None = Field(
        default=None,
        description="For one item of an ingest fan-out: where it can be read again (path#N, a URL); a replay "
        "asks ingest for it instead of re-sending the payload.",
    )
    first_seen_at: datetime | None = None
    dead_lettered_at: datetime = Field(default_factory=utc_now)

    def partition_key(self) -> bytes:
        return (self.doc_id or f"{self.source_topic}:{self.source_partition}").encode("utf-8")


Outcome = Literal["forwarded", "dropped", "dead_lettered", "indexed"]


class StageEvent(WireModel):
    """Lineage: what one stage did with one input (one small record per input per stage)."""

    TERMINAL: ClassVar[frozenset[str]] = frozenset({"dropped", "dead_lettered", "indexed"})

    stage: str
    doc_id: str | None
    outcome: Outcome
    reason: str | None = None
    detail: str | None = Field(default=None, description="What the reason code means here (a drop's detail).")
    output_ids: list[str] = Field(default_factory=list)
    at: datetime = Field(default_factory=utc_now)

    def partition_key(self) -> bytes:
        return (self.doc_id or self.stage).encode("utf-8")

    @property
    def is_terminal(self) -> bool:
        """True when the document's journey ends here (indexed, dropped or dead-lettered)."""
        return self.outcome in self.TERMINAL
