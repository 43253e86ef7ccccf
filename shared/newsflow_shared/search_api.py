"""The search API's requests and responses (``/v1/search``, ``/v1/documents/{id}``, ``/v1/stories/{id}``).

They are part of the wire contract like the topic records: clients (the web page, notebooks,
other services) read these shapes, so they live here and change additively only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from newsflow_shared.dates import parse_iso
from newsflow_shared.models import ExtractedDocument

MAX_PER_PAGE = 100


class _ApiModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


def true_or_false(value: object) -> object:
    """A query-string boolean: exactly "true" or "false" (any case); "maybe" or "1" is refused."""
    if isinstance(value, str):
        if value.lower() not in ("true", "false"):
            raise ValueError(f"not true or false: {value!r}")
        return value.lower() == "true"
    return value


class QueryParams(BaseModel):
    """A query and its filters, as ``/v1/search`` and ``/v1/export`` take them. Anything a request
    model does not describe is refused (HTTP 422, naming the parameter): a typo ("per-page") or
    a value out of range must not quietly give a default."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    q: str = Field("", description='words (AND), "phrases", OR between alternatives, -excluded')
    outlet: str | None = Field(None, description="only this outlet (case-insensitive)")
    language: str | None = Field(None, description="only this ISO 639-1 language")
    entity: str | None = Field(None, description="only documents naming this entity (case-insensitive)")
    published_from: datetime | None = Field(None, alias="from", description="published at or after (ISO 8601)")
    published_to: datetime | None = Field(None, alias="to", description="published at or before (ISO 8601)")

    @field_validator("published_from", "published_to", mode="before")
    @classmethod
    def _iso_8601(cls, value: object) -> object:
        if isinstance(value, str):
            parsed = parse_iso(value)
            if parsed is None:
                raise ValueError(f"not an ISO 8601 date or datetime: {value!r}")
            return parsed  # a date without a zone is UTC, as every wire timestamp is
        return value


class SearchParams(QueryParams):
    """``/v1/search``'s query string."""

    page: int = Field(1, ge=1, description="1-based page")
    per_page: int = Field(10, ge=1, le=MAX_PER_PAGE, description=f"results per page (1 to {MAX_PER_PAGE})")
    collapse: bool = Field(True, description="one result per story: true or false")

    _collapse = field_validator("collapse", mode="before")(true_or_false)


class ExportParams(QueryParams):
    """``/v1/export``'s query string: every matching document, one row each."""

    format: Literal["jsonl", "csv", "parquet"] = Field("jsonl", description="jsonl, csv or parquet")


class DocumentBrief(_ApiModel):
    """Enough of a document to list it."""

    doc_id: str
    title: str | None
    url: str | None
    source: str
    outlet: str | None
    published: datetime | None
    language: str | None
    story_id: str | None
    duplicate_of: str | None = None
    duplicate_reason: str | None = None

    @classmethod
    def of(cls, doc: ExtractedDocument) -> DocumentBrief:
        return cls(
            doc_id=doc.doc_id,
            title=doc.title,
            url=doc.url,
            source=doc.source,
            outlet=doc.outlet,
            published=doc.published,
            language=doc.language,
            story_id=doc.story_id or doc.doc_id,
            duplicate_of=doc.duplicate_of,
            duplicate_reason=doc.duplicate_reason,
        )


class SearchResult(_ApiModel):
    """One hit: the best-ranked document of its story, its snippet, and what is grouped with it."""

    document: DocumentBrief
    score: float
    snippet: str = Field(description="HTML: the body's text escaped, query words in <b>.")
    entities: list[str] = Field(default_factory=list, description="Entity names, most relevant first.")
    duplicates: list[DocumentBrief] = Field(
        default_factory=list,
        description="Copies of this document or its story-mates (each names its duplicate_of).",
    )
    story_mates: list[DocumentBrief] = Field(
        default_factory=list, description="Other matching reports of the same story (with collapse)."
    )


class FacetCount(_ApiModel):
    value: str
    count: int


class SearchResponse(_ApiModel):
    """A page of results with facets over every match (up to ``match_limit``)."""

    query: str
    total: int = Field(description="Matching documents (canonical ones; duplicates are not counted).")
    total_groups: int = Field(description="Results after collapsing by story (= total without collapse).")
    page: int
    per_page: int
    collapsed: bool
    match_limit: int = Field(description="Facets and collapsing look at this many best matches at most.")
    facets: dict[str, list[FacetCount]] = Field(description="'outlet' and 'entity' counts over the matches.")
    results: list[SearchResult]
    notice: str | None = Field(None, description="Why nothing was searched, when the query had nothing to match.")


class DocumentResponse(_ApiModel):
    """A stored document, its duplicates, and its story."""

    document: ExtractedDocument
    duplicates: list[DocumentBrief]
    story: list[DocumentBrief]


class StoryResponse(_ApiModel):
    """Every report of one story, oldest first, each with its duplicates."""

    story_id: str
    documents: list[DocumentBrief]
    duplicates: dict[str, list[DocumentBrief]]


class TimelineParams(QueryParams):
    """``/v1/timeline``'s query string: attention over time for a query and its filters."""

    interval: Literal["hour", "day", "week"] = Field("day", description="bucket width: hour, day or week")
    by_outlet: bool = Field(False, description="also count each bucket's documents per outlet: true or false")

    _by_outlet = field_validator("by_outlet", mode="before")(true_or_false)


class StoriesParams(QueryParams):
    """``/v1/stories``' query string: the stories, latest (by last report) or largest first."""

    sort: Literal["latest", "largest"] = Field("latest", description="latest or largest")
    page: int = Field(1, ge=1, description="1-based page")
    per_page: int = Field(20, ge=1, le=MAX_PER_PAGE, description=f"stories per page (1 to {MAX_PER_PAGE})")


class Bucket(_ApiModel):
    """One interval of a timeline."""

    start: datetime
    documents: int
    stories: int
    outlets: dict[str, int] = Field(default_factory=dict, description="documents per outlet (with by_outlet)")


class TimelineResponse(_ApiModel):
    """Matching documents and distinct stories per interval (documents without a date are counted apart)."""

    query: str
    interval: str
    total: int
    undated: int
    buckets: list[Bucket]
    notice: str | None = None


class StorySummary(_ApiModel):
    """A story as the front page lists it."""

    story_id: str
    headline: str | None = Field(description="The earliest report's title.")
    headline_doc_id: str
    lead: str = Field(description="The start of the earliest report's body.")
    reports: int
    outlets: list[str]
    first_seen: datetime | None
    last_seen: datetime | None
    people: list[str]
    places: list[str]
    sparkline: list[int] = Field(description="Reports per day from the first to the last (at most 30 days).")


class StoriesResponse(_ApiModel):
    sort: str
    total: int = Field(description="Stories with at least one matching report.")
    page: int
    per_page: int
    stories: list[StorySummary]


class QuoteBrief(_ApiModel):
    speaker: str | None
    text: str
    doc_id: str
    title: str | None
    published: datetime | None


class EntityResponse(_ApiModel):
    """One entity: how often it is named over time, its stories, its company, its words."""

    name: str
    documents: int
    timeline: list[Bucket]
    stories: list[StorySummary]
    co_occurring: list[FacetCount]
    quotes: list[QuoteBrief] = Field(description="Quotes this entity is the speaker of, newest first.")
