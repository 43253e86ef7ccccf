"""Canonical URLs: one spelling per page, so the same article is one document wherever linked."""

from __future__ import annotations

from urllib.parse import urlsplit

from courlan import normalize_url


def canonical_url(url: str) -> str | None:
    """The URL with a lowercase host and no fragment or tracking parameters (None unless http(s))."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    try:
        return normalize_url(url.strip(), strict=True)
    except (ValueError, AttributeError):
        return None


def is_web_url(source: str) -> bool:
    """True for an http(s) URL (what ingest fetches rather than reads from disk)."""
    return source.lower().startswith(("http://", "https://"))
