"""Boilerplate removal for HTML with trafilatura (precision settings), plus the page's metadata."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import trafilatura

from newsflow_shared.models import PageMetadata


@dataclass(frozen=True)
class HtmlStrip:
    """Article body and what the page's markup says about it."""

    body: str
    page: PageMetadata


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def strip_html(html: str, url: str | None = None) -> HtmlStrip:
    """Extract the main text (paragraphs separated by blank lines) and the page metadata."""
    doc = trafilatura.bare_extraction(
        html,
        url=url,
        favor_precision=True,
        include_comments=False,
        include_tables=True,
        with_metadata=True,
    )
    if doc is None:
        return HtmlStrip(body="", page=PageMetadata())
    text = doc.text or ""
    body = "\n\n".join(line.strip() for line in text.split("\n") if line.strip())
    authors = [a.strip() for a in (doc.author or "").split(";") if a.strip()]
    page = PageMetadata(
        title=doc.title or None,
        authors=authors,
        published=_parse_date(doc.date),
        outlet=doc.sitename or None,
    )
    return HtmlStrip(body=body, page=page)
