"""Search over any backend: parse, match, facet, collapse by story, paginate, decorate.

Everything here is backend-independent, so both backends answer a request identically given
the same matches (the contract suite checks the matches).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from newsflow_index.backend import IndexBackend, Match, SearchFilters
from newsflow_index.query import nothing_to_match, parse_query
from newsflow_shared.search_api import (
    MAX_PER_PAGE,
    DocumentBrief,
    DocumentResponse,
    FacetCount,
    SearchResponse,
    SearchResult,
    StoryResponse,
)

MATCH_LIMIT = 1000
FACET_VALUES = 10


@dataclass(frozen=True)
class SearchRequest:
    """What a user asks: text, filters, page, and whether to collapse reports of one story."""

    query: str = ""
    filters: SearchFilters = field(default_factory=SearchFilters)
    page: int = 1
    per_page: int = 10
    collapse: bool = True


def _facets(matches: list[Match]) -> dict[str, list[FacetCount]]:
    outlets = Counter(m.outlet for m in matches if m.outlet)
    entities = Counter(e for m in matches for e in m.entities)
    return {
        name: [FacetCount(value=v, count=n) for v, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))][
            :FACET_VALUES
        ]
        for name, counts in (("outlet", outlets), ("entity", entities))
    }


def _groups(matches: list[Match], collapse: bool) -> list[list[Match]]:
    if not collapse:
        return [[m] for m in matches]
    by_story: dict[str, list[Match]] = {}
    for match in matches:  # best first, so each group's head is its best-ranked report
        by_story.setdefault(match.story_id, []).append(match)
    return list(by_story.values())


async def search(backend: IndexBackend, request: SearchRequest) -> SearchResponse:
    """One page of results."""
    page, per_page = max(request.page, 1), min(max(request.per_page, 1), MAX_PER_PAGE)
    parsed = parse_query(request.query)
    if (notice := nothing_to_match(request.query, parsed)) is not None:
        return SearchResponse(
            query=request.query,
            total=0,
            total_groups=0,
            page=page,
            per_page=per_page,
            collapsed=request.collapse,
            match_limit=MATCH_LIMIT,
            facets={"outlet": [], "entity": []},
            results=[],
            notice=notice,
        )
    matches = await backend.match(parsed, request.filters, MATCH_LIMIT)
    groups = _groups(matches, request.collapse)
    shown = groups[(page - 1) * per_page : page * per_page]
    heads = [group[0].doc_id for group in shown]
    mates = [m.doc_id for group in shown for m in group[1:]]
    documents = await backend.documents([*heads, *mates])
    snippets = await backend.snippets(parsed, heads)
    duplicates = await backend.duplicates_of([*heads, *mates])
    results = [
        SearchResult(
            document=DocumentBrief.of(documents[group[0].doc_id]),
            score=round(group[0].score, 4),
            snippet=snippets.get(group[0].doc_id, ""),
            entities=list(group[0].entities),
            duplicates=[DocumentBrief.of(d) for m in group for d in duplicates.get(m.doc_id, [])],
            story_mates=[DocumentBrief.of(documents[m.doc_id]) for m in group[1:] if m.doc_id in documents],
        )
        for group in shown
        if group[0].doc_id in documents
    ]
    return SearchResponse(
        query=request.query,
        total=len(matches),
        total_groups=len(groups),
        page=page,
        per_page=per_page,
        collapsed=request.collapse,
        match_limit=MATCH_LIMIT,
        facets=_facets(matches),
        results=results,
    )


async def document(backend: IndexBackend, doc_id: str) -> DocumentResponse | None:
    """A stored document (canonical or duplicate) with its duplicates and its story's reports."""
    found = (await backend.documents([doc_id])).get(doc_id)
    if found is None:
        return None
    canonical_id = found.duplicate_of or found.doc_id
    duplicates = (await backend.duplicates_of([canonical_id])).get(canonical_id, [])
    story = await backend.story(found.story_id or canonical_id) if not found.duplicate_of else []
    return DocumentResponse(
        document=found,
        duplicates=[DocumentBrief.of(d) for d in duplicates],
        story=[DocumentBrief.of(d) for d in story],
    )


async def story(backend: IndexBackend, story_id: str) -> StoryResponse | None:
    """Every report of a story with its duplicates (``None`` if no such story)."""
    reports = await backend.story(story_id)
    if not reports:
        return None
    duplicates = await backend.duplicates_of([d.doc_id for d in reports])
    return StoryResponse(
        story_id=story_id,
        documents=[DocumentBrief.of(d) for d in reports],
        duplicates={k: [DocumentBrief.of(d) for d in v] for k, v in duplicates.items()},
    )
