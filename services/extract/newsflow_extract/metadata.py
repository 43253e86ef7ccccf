"""Article metadata from a page's header lines (flattened text) or markup hints (HTML)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone

from newsflow_shared.sites import site_name_from_host
from newsflow_shared.textcues import BYLINE, BYLINE_START, SENTENCE_END

_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}
_TZ_OFFSETS = {
    "GMT": 0,
    "UTC": 0,
    "Z": 0,
    "BST": 1,
    "CET": 1,
    "CEST": 2,
    "EET": 2,
    "EEST": 3,
    "MSK": 3,
    "EST": -5,
    "EDT": -4,
    "CST": -6,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
    "IST": 5.5,
    "JST": 9,
    "KST": 9,
    "AEST": 10,
    "AEDT": 11,
}
_MONTH = r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_TIME = r"(?:,?\s*(?:at\s+)?(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?P<ampm>[ap]\.?m\.?)?\s*(?P<tz>[A-Z]{1,4}\b)?)?"
_DATE_PATTERNS = [
    re.compile(_MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>(?:19|20)\d{2})" + _TIME, re.I),
    re.compile(r"(?P<day>\d{1,2})\s+" + _MONTH + r",?\s+(?P<year>(?:19|20)\d{2})" + _TIME, re.I),
    re.compile(
        r"(?P<year>(?:19|20)\d{2})-(?P<mon>\d{2})-(?P<day>\d{2})(?:[T\s](?P<hour>\d{2}):(?P<minute>\d{2})(?::\d{2})?(?P<tz>Z|[+-]\d{2}:?\d{2})?)?"
    ),
]
# Datelines without a year ("April 13, 11:34 GMT", "13 April"): the year comes from the fetch time.
_YEARLESS_PATTERNS = [
    re.compile(_MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\b(?!,?\s+(?:19|20)\d{2})" + _TIME, re.I),
    re.compile(r"\b(?P<day>\d{1,2})\s+" + _MONTH + r"(?!,?\s+(?:19|20)\d{2})" + _TIME, re.I),
]
_UPDATED = re.compile(r"\b(?:updated?|last\s+modified)\b", re.I)
_TITLE_PREFIX = re.compile(r"^(?:update[d]?|breaking(?:\s+news)?|live|watch|exclusive)\s*[:\-–—]\s*", re.I)

_OUTLET_CUES = [
    re.compile(r"\bBy\s+(?P<outlet>[A-Z][A-Z0-9]*(?:/[A-Z0-9]+)+|[A-Z]{2,}(?:\s[A-Z]{2,})?)\s*$"),
    re.compile(r"\((?P<outlet>[A-Z][A-Z0-9]+(?:\s[A-Z0-9]+)?)\s+with\s+[A-Z]"),
    re.compile(r"(?:^|\s)/(?P<outlet>[A-Z][A-Z-]{1,10})/(?:[\s.]|$)"),
    # A slash acronym opening a line ("RFE/RL journalists report ...") names the house itself.
    re.compile(r"^(?P<outlet>[A-Z]{2,}(?:/[A-Z]{2,})+)\b"),
]


def _tz(value: str | None) -> timezone:
    if not value:
        return UTC
    if value[0] in "+-":
        digits = value[1:].replace(":", "")
        minutes = int(digits[:2]) * 60 + int(digits[2:4] or 0)
        return timezone(timedelta(minutes=minutes if value[0] == "+" else -minutes))
    return timezone(timedelta(hours=_TZ_OFFSETS.get(value.upper(), 0)))


def _datetime_from(match: re.Match[str], year: int | None = None) -> datetime | None:
    parts = match.groupdict()
    if year is not None:
        parts["year"] = str(year)
    if parts.get("mon"):
        month = int(parts["mon"])
    else:
        name = (parts.get("month") or "").lower().rstrip(".")
        month = _MONTHS.get(name) or _MONTHS.get(name[:3], 0)
    hour, minute = int(parts.get("hour") or 0), int(parts.get("minute") or 0)
    ampm = (parts.get("ampm") or "").lower().replace(".", "")
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    tz_name = parts.get("tz")
    if tz_name and tz_name.upper() not in _TZ_OFFSETS and tz_name[0] not in "+-":
        tz_name = None
    try:
        return datetime(int(parts["year"]), month, int(parts["day"]), hour, minute, tzinfo=_tz(tz_name))
    except (ValueError, TypeError):
        return None


def find_dates(lines: list[str], fetched_at: datetime | None = None) -> tuple[datetime | None, datetime | None]:
    """Published and updated times from header lines ("... UPDATED ..." marks the second).

    A date written without a year takes the fetch time's year, or the year before when that
    would put it more than a day after the fetch (a page fetched on 2 January dated "December 31").
    """
    published, updated = _find_dates(lines, _DATE_PATTERNS, None)
    if published is None and fetched_at is not None:
        published, updated = _find_dates(lines, _YEARLESS_PATTERNS, fetched_at)
    return published, updated


def _find_dates(
    lines: list[str], patterns: list[re.Pattern[str]], fetched_at: datetime | None
) -> tuple[datetime | None, datetime | None]:
    published = updated = None
    for line in lines:
        for pattern in patterns:
            for match in pattern.finditer(line):
                when = _datetime_from(match) if fetched_at is None else _resolve_year(match, fetched_at)
                if when is None:
                    continue
                if _UPDATED.search(line[: match.start()]) and published is not None:
                    updated = updated or when
                elif published is None:
                    published = when
        if published is not None:
            return published, updated
    return published, updated


def _resolve_year(match: re.Match[str], fetched_at: datetime) -> datetime | None:
    when = _datetime_from(match, fetched_at.year)
    if when is not None and when > fetched_at + timedelta(days=1):
        when = _datetime_from(match, fetched_at.year - 1)
    return when


_BYLINE_NAMES = re.compile(BYLINE_START + r"(?P<names>[^\n]+?)\s*(?:[-–—|,]\s*(?=\d)|[-–—|]\s|$)", re.I)
_NAME = re.compile(r"^[A-ZÀ-Ý][\w'’.-]*(?:\s+(?:[A-ZÀ-Ý][\w'’.-]*|de|da|van|von|der|la|le|bin|al-?\w*)){1,3}$")
_NOT_A_PERSON = re.compile(r"\b(?:staff|reports?|admin|editor|desk|team|news|agency|wires?)\b|/", re.I)


def find_authors(lines: list[str]) -> list[str]:
    """Authors from the first byline among the header lines ("By Jane Roe and John Doe - 11/19/19").

    Only person-shaped names: 2-4 capitalized words. Outlets ("By RFE/RL"), desks ("Staff
    Reports") and sentences that happen to start with "By" ("By 2018, when ...") are not authors.
    """
    for line in lines:
        match = _BYLINE_NAMES.match(line.strip())
        if not match:
            continue
        names = re.split(r"\s*(?:,|;|\band\b|&)\s*", match.group("names"))
        found = []
        for raw in names:
            name = " ".join(w.capitalize() if w.isupper() and len(w) > 1 else w for w in raw.split())
            if _NAME.match(name) and not _NOT_A_PERSON.search(name):
                found.append(name)
        if found:
            return found
    return []


def clean_title(title: str | None) -> str | None:
    """A title without "update:"-style prefixes and surrounding whitespace."""
    if not title:
        return None
    title = _TITLE_PREFIX.sub("", title.strip()).strip()
    return title or None


def title_from_header(lines: list[str]) -> str | None:
    """The first headline-like header line: 4-30 words, not a sentence, byline, date or menu.

    The first, not the longest: a standfirst often follows the headline and is longer.
    """
    counts = Counter(lines)
    for line in lines:
        words = len(line.split())
        if words < 4 or words > 30 or BYLINE.search(line) or "©" in line or " | " in line:
            continue
        if counts[line] > 1 and not _TITLE_PREFIX.search(line):
            continue  # repeated lines are captions and menus
        if (SENTENCE_END.search(line) or line.endswith(":")) and not line.endswith("?"):
            continue
        if any(p.search(line) for p in _DATE_PATTERNS):
            continue
        return clean_title(line)
    return None


def _canonical_outlet(name: str) -> str:
    words = name.split()
    return " ".join(w.capitalize() if w.isalpha() and w.isupper() and len(w) > 4 else w for w in words)


def find_outlet(lines: list[str], url: str | None, sitename: str | None) -> str | None:
    """Outlet from text cues ("By RFE/RL", "(FRANCE 24 with AFP)", "/TASS/"), markup, or a
    readable name from the URL's host, spelled as ``lines`` spell it where they do."""
    for line in lines:
        for cue in _OUTLET_CUES:
            match = cue.search(line)
            if match:
                return _canonical_outlet(match.group("outlet"))
    if sitename:
        return sitename
    return site_name_from_host(url, lines)
