"""Saved searches and alerts: what ``POST /v1/alerts`` takes, what it keeps, what a webhook gets.

Part of the wire contract like the search API's shapes (``search_api.py``): the webhook payload
(``AlertNotification``) is read by other people's servers, so it changes additively only.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from newsflow_shared.models import utc_now

AlertOn = Literal["document", "story"]
DeliveryOutcome = Literal["delivered", "retrying", "failed", "no_webhook"]


class AlertFilters(BaseModel):
    """What a matching document must also be (each optional; case-insensitive)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    outlet: str | None = Field(None, description="only this outlet")
    language: str | None = Field(None, description="only this ISO 639-1 language")
    entity: str | None = Field(None, description="only documents naming this entity")


class AlertRequest(BaseModel):
    """The body of ``POST /v1/alerts``: a saved search, and where to tell of new matches."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    query: str = Field(description='the search query: words (AND), "phrases", OR, -excluded')
    filters: AlertFilters = Field(default_factory=AlertFilters)
    webhook_url: str | None = Field(
        None, description="POSTed one JSON notification per match (http or https); none: events and the stream only"
    )
    on: AlertOn = Field(
        "document",
        description="document: every newly indexed matching document; story: a matching document that starts a story",
    )
    name: str | None = Field(None, max_length=200, description="a label for people")
    secret: SecretStr | None = Field(
        None,
        min_length=16,
        description="signs each webhook POST: header X-Newsflow-Signature is sha256= and the hex HMAC-SHA256 "
        "of the body under this secret (shown masked once saved)",
    )

    @field_validator("webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("an http or https URL with a host is required")
        return value.strip()


class Alert(AlertRequest):
    """A saved alert as stored and listed (its secret masked in every answer)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    created_at: datetime = Field(default_factory=utc_now)

    def stored(self) -> str:
        """The JSON kept in Redis: with the secret itself, which answers never show."""
        raw = self.model_dump(mode="json")
        raw["secret"] = self.secret.get_secret_value() if self.secret else None
        return json.dumps(raw)


class AlertsResponse(BaseModel):
    """``GET /v1/alerts``."""

    alerts: list[Alert]


class AlertNotification(BaseModel):
    """What a webhook receives (and the stream and the events list show) for one match.

    ``delivery_id`` is the same on every attempt to deliver this match (it is also sent as the
    ``Idempotency-Key`` header): a receiver that saw it already has seen this notification."""

    delivery_id: str
    alert_id: str
    alert_name: str | None = None
    query: str
    doc_id: str
    story_id: str | None
    new_story: bool = Field(description="the document starts its story")
    title: str | None
    url: str | None
    outlet: str | None
    published: datetime | None
    language: str | None
    matched_at: datetime = Field(default_factory=utc_now)


class AlertEvent(BaseModel):
    """One line of an alert's log: a match and what became of delivering it."""

    at: datetime = Field(default_factory=utc_now)
    doc_id: str
    outcome: DeliveryOutcome
    attempt: int = Field(0, description="delivery attempts made (0 without a webhook)")
    status: int | None = Field(None, description="the webhook's HTTP status, if it answered")
    error: str | None = None
    notification: AlertNotification


class AlertEventsResponse(BaseModel):
    """``GET /v1/alerts/{id}/events``: newest first."""

    alert_id: str
    events: list[AlertEvent]
