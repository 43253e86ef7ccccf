"""The push API's requests and responses (``POST /v1/documents``, ``GET /v1/documents/{id}``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator


class PushedDocument(BaseModel):
    """One document pushed by a client: HTML or text, with what the client knows about it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    html: str | None = Field(None, description="The page's HTML (raw, with its markup).")
    text: str | None = Field(None, description="Plain text, when there is no HTML.")
    url: str | None = Field(None, max_length=4096, description="Where it was published (also its identity).")
    id: str | None = Field(None, max_length=512, description="The client's own id (its identity if given).")
    title: str | None = Field(None, max_length=2000)
    published: datetime | None = None
    outlet: str | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _one_content(self) -> PushedDocument:
        if (self.html is None) == (self.text is None):
            raise ValueError("give exactly one of html or text")
        return self


class PushRequest(BaseModel):
    """One document, or a batch."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    documents: list[PushedDocument] = Field(min_length=1)


class Accepted(BaseModel):
    doc_id: str
    status_url: str


class PushResponse(BaseModel):
    """Ids of the accepted documents, in request order."""

    documents: list[Accepted]


class DocumentStatus(BaseModel):
    """How far a document got: the last stage that reported on it, and how."""

    doc_id: str
    stage: str
    outcome: str = Field(description="forwarded, indexed, dropped or dead_lettered.")
    reason: str | None = Field(None, description="The drop or dead-letter reason code.")
    at: datetime
