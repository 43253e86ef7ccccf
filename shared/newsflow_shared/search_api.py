"""The search API's responses (``/v1/search``, ``/v1/documents/{id}``, ``/v1/stories/{id}``).

They are part of the wire contract like the topic records: clients (the web page, notebooks,
other services) read these shapes, so they live here and change additively only.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from newsflow_shared.models import ExtractedDocument


class _ApiModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


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
