"""``newsflow search QUERY``: search the index, one result per story."""

from __future__ import annotations

import argparse
import asyncio

from newsflow_cli.commands.common import add_backend_arguments, reader_backend


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("search", help='search the index (query syntax: words, "phrases", OR, -word)')
    parser.add_argument("query")
    parser.add_argument("--json", action="store_true", help="print the API's SearchResponse")
    parser.add_argument("--limit", type=int, default=10, help="results per page")
    parser.add_argument("--page", type=int, default=1)
    parser.add_argument("--outlet")
    parser.add_argument("--language")
    parser.add_argument("--entity")
    parser.add_argument("--no-collapse", action="store_true", help="list every report, not one per story")
    add_backend_arguments(parser)
    parser.set_defaults(handler=lambda args: asyncio.run(_search(args)))


async def _search(args: argparse.Namespace) -> int:
    from newsflow_index.backend import SearchFilters
    from newsflow_index.search import SearchRequest, search

    backend = reader_backend("search", args)
    try:
        request = SearchRequest(
            query=args.query,
            filters=SearchFilters(outlet=args.outlet, language=args.language, entity=args.entity),
            page=args.page,
            per_page=args.limit,
            collapse=not args.no_collapse,
        )
        response = await search(backend, request)
    finally:
        await backend.close()
    if args.json:
        print(response.model_dump_json())
        return 0
    print(
        f"{response.total} matching, {response.total_groups} stories"
        if response.collapsed
        else f"{response.total} matching"
    )
    for result in response.results:
        doc = result.document
        print(
            f"{result.score:7.2f}  {doc.doc_id}  {doc.title or '(untitled)'}\n         {doc.outlet or ''}  {doc.source}"
        )
        for label, group in (("same story", result.story_mates), ("duplicate", result.duplicates)):
            for other in group:
                print(f"         ↳ {label}: {other.doc_id}  {other.title or other.source}")
    return 0
