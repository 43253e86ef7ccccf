"""Reading ISO 8601 timestamps the one way every wire timestamp is meant: timezone-aware, UTC
when the text names no zone (never the reading machine's local zone)."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_iso(value: str | None, *, earliest_year: int = 1) -> datetime | None:
    """``value`` as an aware datetime (no zone: UTC; ``Z`` accepted), or None if it is empty, not
    ISO 8601, or before ``earliest_year`` (CMSs emit 0001-01-01 or 1970-01-01 for "unset")."""
    if not value or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.year < earliest_year:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
