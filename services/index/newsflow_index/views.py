"""What a newsroom opens every morning, over any backend: the stories (latest or largest), a
query's attention over time, and an entity's page.

Each view aggregates the matches of one backend query (at most ``AGGREGATE_LIMIT`` canonical
documents, best first) in Python and then reads the few stored documents it shows (headlines,
leads, quotes), so both backends answer alike. Past the limit a view counts the best-matching
``AGGREGATE_LIMIT`` documents: narrow it with a query or filters.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from newsflow_index.backend import IndexBackend, Match, SearchFilters
from newsflow_index.query import nothing_to_match, parse_query
from newsflow_shared.models import ExtractedDocument
from newsflow_shared.search_api import (
    Bucket,
    EntityResponse,
    FacetCount,
    QuoteBrief,
    StoriesResponse,
    StorySummary,
    TimelineResponse,
)

AGGREGATE_LIMIT = 50_000
LEAD_CHARS = 280
SPARKLINE_DAYS = 30
ENTITY_STORIES = 10
ENTITY_QUOTES = 20
CO_OCCURRING = 10
PEOPLE = frozenset({"PERSON"})
PLACES = frozenset({"GPE", "LOC", "FAC"})


def bucket_start(at: datetime, interval: str) -> datetime:
    """The start of the hour, day or (Monday-based) week ``at`` falls in, in UTC."""
    at = at.astimezone(UTC)
    if interval == "hour":
        return at.replace(minute=0, second=0, microsecond=0)
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday()) if interval == "week" else day


def buckets(matches: Sequence[Match], interval: str, by_outlet: bool = False) -> list[Bucket]:
    """Documents and distinct stories per interval, oldest first, empty intervals included."""
    documents: Counter[datetime] = Counter()
    stories: dict[datetime, set[str]] = defaultdict(set)
    outlets: dict[datetime, Counter[str]] = defaultdict(Counter)
    for m in matches:
        if m.published is None:
            continue
        start = bucket_start(m.published, interval)
        documents[start] += 1
        stories[start].add(m.story_id)
        if by_outlet:
            outlets[start][m.outlet or "unknown"] += 1
    if not documents:
        return []
    step = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}[interval]
    out, at, last = [], min(documents), max(documents)
    while at <= last:
        out.append(Bucket(start=at, documents=documents[at], stories=len(stories[at]), outlets=dict(outlets[at])))
        at += step
    return out


async def _matches(backend: IndexBackend, query: str, filters: SearchFilters) -> list[Match]:
    """The matches (none when the query has no words to match)."""
    parsed = parse_query(query)
    if nothing_to_match(query, parsed) is not None:
        return []
    return await backend.match(parsed, filters, AGGREGATE_LIMIT)


async def timeline(
    backend: IndexBackend, query: str, filters: SearchFilters, interval: str, by_outlet: bool = False
) -> TimelineResponse:
    notice = nothing_to_match(query, parse_query(query))
    if notice is not None:
        return TimelineResponse(query=query, interval=interval, total=0, undated=0, buckets=[], notice=notice)
    matches = await _matches(backend, query, filters)
    return TimelineResponse(
        query=query,
        interval=interval,
        total=len(matches),
        undated=sum(m.published is None for m in matches),
        buckets=buckets(matches, interval, by_outlet),
    )


def _by_story(matches: Sequence[Match]) -> dict[str, list[Match]]:
    groups: dict[str, list[Match]] = defaultdict(list)
    for m in matches:
        groups[m.story_id].append(m)
    return groups


def _earliest(reports: Sequence[Match]) -> Match:
    return min(reports, key=lambda m: (m.published is None, m.published or datetime.max.replace(tzinfo=UTC), m.doc_id))


def _sparkline(reports: Sequence[Match]) -> list[int]:
    days = Counter(bucket_start(m.published, "day") for m in reports if m.published is not None)
    if not days:
        return []
    first = min(days)
    span = min((max(days) - first).days + 1, SPARKLINE_DAYS)
    return [days[first + timedelta(days=n)] for n in range(span)]


def summarize(story_id: str, reports: Sequence[Match], head: ExtractedDocument | None) -> StorySummary:
    """A story's summary from its matching reports and its earliest report's document."""
    dated = [m.published for m in reports if m.published is not None]
    mentions = Counter(e for m in reports for e in m.entities)
    labels = {e.text: e.label for e in head.entities} if head else {}
    ranked = [name for name, _ in mentions.most_common()]
    earliest = _earliest(reports)
    return StorySummary(
        story_id=story_id,
        headline=head.title if head else None,
        headline_doc_id=earliest.doc_id,
        lead=" ".join((head.body if head else "").split())[:LEAD_CHARS],
        reports=len(reports),
        outlets=[o for o, _ in Counter(m.outlet for m in reports if m.outlet).most_common()],
        first_seen=min(dated, default=None),
        last_seen=max(dated, default=None),
        people=[n for n in ranked if labels.get(n) in PEOPLE][:5],
        places=[n for n in ranked if labels.get(n) in PLACES][:5],
        sparkline=_sparkline(reports),
    )


async def _summaries(
    backend: IndexBackend, groups: dict[str, list[Match]], story_ids: Sequence[str]
) -> list[StorySummary]:
    heads = {s: _earliest(groups[s]).doc_id for s in story_ids}
    documents = await backend.documents(list(heads.values()))
    return [summarize(s, groups[s], documents.get(heads[s])) for s in story_ids]


def _latest_key(reports: Sequence[Match]) -> tuple[float, int]:
    dated = [m.published for m in reports if m.published is not None]
    return (max(dated).timestamp() if dated else float("-inf"), len(reports))


async def stories(
    backend: IndexBackend, query: str, filters: SearchFilters, sort: str, page: int, per_page: int
) -> StoriesResponse:
    """Stories with a matching report, by last activity (``latest``) or by size (``largest``)."""
    matches = await _matches(backend, query, filters)
    groups = _by_story(matches)
    if sort == "largest":
        order = sorted(groups, key=lambda s: (-len(groups[s]), s))
    else:
        order = sorted(groups, key=lambda s: (tuple(-x for x in _latest_key(groups[s])), s))
    shown = order[(page - 1) * per_page : page * per_page]
    return StoriesResponse(
        sort=sort, total=len(groups), page=page, per_page=per_page, stories=await _summaries(backend, groups, shown)
    )


async def entity(backend: IndexBackend, name: str) -> EntityResponse | None:
    """An entity's page, or None when no canonical document names it."""
    matches = await backend.match(parse_query(""), SearchFilters(entity=name), AGGREGATE_LIMIT)
    if not matches:
        return None
    canonical = next((e for m in matches for e in m.entities if e.lower() == name.lower()), name)
    groups = _by_story(matches)
    largest = sorted(groups, key=lambda s: (-len(groups[s]), s))[:ENTITY_STORIES]
    company = Counter(e for m in matches for e in set(m.entities) if e.lower() != name.lower())
    newest = sorted(matches, key=lambda m: (m.published is None, -(m.published.timestamp() if m.published else 0)))
    documents = await backend.documents([m.doc_id for m in newest[: ENTITY_QUOTES * 5]])
    quotes = [
        QuoteBrief(speaker=q.speaker, text=q.text, doc_id=doc.doc_id, title=doc.title, published=doc.published)
        for m in newest[: ENTITY_QUOTES * 5]
        if (doc := documents.get(m.doc_id)) is not None
        for q in doc.quotes
        if q.speaker and q.speaker.lower() == canonical.lower()
    ][:ENTITY_QUOTES]
    return EntityResponse(
        name=canonical,
        documents=len(matches),
        timeline=buckets(matches, "day"),
        stories=await _summaries(backend, groups, largest),
        co_occurring=[FacetCount(value=v, count=n) for v, n in company.most_common(CO_OCCURRING)],
        quotes=quotes,
    )
