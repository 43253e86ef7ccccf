"""Ingest from the web against a local site on 127.0.0.1 (real HTTP, real Redis for crawl state):
what becomes a raw document, and what is dead-lettered with which reason."""

from __future__ import annotations

import io
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsflow_ingest.fetch import Fetcher
from newsflow_ingest.stage import IngestStage
from newsflow_ingest.web import RedisCrawlState, WebSource
from newsflow_shared.models import IngestRequest, RawDocument
from newsflow_shared.settings import IngestSettings
from newsflow_shared.stage import Dropped, Rejected
from tests.web_fixture import Site, seed_paths_served, serve_site

pytestmark = pytest.mark.integration
OVERSIZE = 2 << 20


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    async for running in serve_site(OVERSIZE * 2):
        yield running


def ingest_settings(site: Site, **changes: object) -> IngestSettings:
    endpoint = site.base.removeprefix("http://")
    defaults: dict[str, object] = {
        "allowed_private_endpoints": [endpoint],
        "politeness_delay_s": 0.0,
        "retry_backoff_s": 0.05,
        "read_timeout_s": 1.0,
        "max_document_bytes": OVERSIZE,
    }
    return IngestSettings(**(defaults | changes))  # type: ignore[arg-type]


@pytest.fixture
async def stage(site: Site, redis_url: str) -> AsyncIterator[IngestStage]:
    settings = ingest_settings(site)
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    built = IngestStage(settings, WebSource(settings, Fetcher(settings), RedisCrawlState(redis, 3600)))
    yield built
    await built.stop()
    await redis.aclose()


async def ingest(stage: IngestStage, source: str) -> object:
    [result] = await stage.process_batch([IngestRequest(request_id=uuid.uuid4().hex, source=source)])
    return result


def split(result: object) -> tuple[list[RawDocument], Counter[str]]:
    assert isinstance(result, list), result
    return [r for r in result if isinstance(r, RawDocument)], Counter(
        r.reason for r in result if isinstance(r, Rejected)
    )


async def test_a_feed_yields_each_page_once_and_a_304_costs_nothing(stage: IngestStage, site: Site):
    documents, failures = split(await ingest(stage, site.url("/feed.xml")))
    served = [*(p for p in site.pages), "/redirected-page"]
    assert sorted(d.source.removeprefix(site.base) for d in documents) == sorted(served)
    assert not failures
    first = documents[0]
    assert first.hints.title and first.hints.published and first.content and first.timestamps["ingest"]
    assert all(d.url and d.url.startswith(site.base) for d in documents)

    again = await ingest(stage, site.url("/feed.xml"))
    assert isinstance(again, Dropped) and again.reason == "not_modified"
    assert site.conditional_hits["/feed.xml"] == 1
    assert all(site.hits[p] == 1 for p in site.pages), "each item's page fetched once"


async def test_every_misbehaviour_is_a_dead_letter_with_its_reason(stage: IngestStage, site: Site):
    documents, failures = split(await ingest(stage, site.url("/feed-mixed.xml")))
    assert failures == Counter(
        {
            "too_large": 1,
            "decompression_bomb": 1,
            "redirect_loop": 1,
            "robots_disallowed": 1,
            "http_error": 1,
            "blocked_address": 1,
            "timeout": 1,
        }
    )
    assert len(documents) == 2, "the first seed and /flaky (429 with Retry-After, then 200)"
    assert site.hits["/flaky"] == 2 and site.hits["/private/secret"] == 0


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/billion-laughs.xml", "hostile_xml"),
        ("/external-entity.xml", "hostile_xml"),
        ("/image.png", "unsupported_content_type"),
        ("/missing", "http_error"),
        ("/to-loopback", "blocked_address"),
    ],
)
async def test_a_bad_source_dead_letters_the_request(stage: IngestStage, site: Site, path: str, reason: str):
    result = await ingest(stage, site.url(path))
    assert isinstance(result, Rejected) and result.reason == reason, result


async def test_malformed_feeds_are_refused_not_parsed_into_garbage(stage: IngestStage, site: Site):
    result = await ingest(stage, site.url("/malformed.xml"))
    assert isinstance(result, Rejected) and result.reason in {
        "malformed_xml",
        "malformed_feed",
        "unsupported_content_type",
    }


async def test_a_json_feed_yields_its_pages_with_the_feeds_hints(stage: IngestStage, site: Site):
    documents, failures = split(await ingest(stage, site.url("/feed.json")))
    assert not failures and len(documents) == 2
    first = min(documents, key=lambda d: d.source)
    assert (
        first.hints.title == "Item 0" and first.hints.authors == ["Ana Lima"] and first.hints.categories == ["Ukraine"]
    )
    assert first.hints.published is not None and first.content


async def test_atom_pages_redirects_and_sitemap_indexes(stage: IngestStage, site: Site):
    atom, _ = split(await ingest(stage, site.url("/atom.xml")))
    assert len(atom) == 2
    [page] = split(await ingest(stage, site.url("/redirect")))[0]
    assert page.url == site.url("/redirected-page") and page.source == site.url("/redirect")
    sitemap, failures = split(await ingest(stage, site.url("/sitemap_index.xml")))
    assert not failures and len(sitemap) == 1, "of its three pages, the Atom feed's two were fetched already"
    assert site.hits["/sitemap-pages.xml.gz"] == 1
    hints = sitemap[0].hints  # its news sitemap entry's
    assert (hints.title, hints.outlet) == ("The third page", "Local News") and hints.published is not None


async def test_without_an_allowance_loopback_is_refused(site: Site, redis_url: str):
    settings = ingest_settings(site, allowed_private_endpoints=[])
    guarded = IngestStage(
        settings, WebSource(settings, Fetcher(settings), RedisCrawlState(Redis.from_url(redis_url), 60))
    )
    result = await ingest(guarded, site.url("/feed.xml"))
    await guarded.stop()
    assert isinstance(result, Rejected) and result.reason == "blocked_address"
    assert site.hits["/feed.xml"] == 0, "refused before connecting"


async def test_url_lists_and_warc_archives(stage: IngestStage, site: Site, tmp_path: Path):
    listing = tmp_path / "today.urls"
    listing.write_text(f"# today's pages\n{site.url(seed_paths_served(site)[0])}\n{site.url('/missing')}\n")
    documents, failures = split(await ingest(stage, str(listing)))
    assert len(documents) == 1 and failures == Counter({"http_error": 1})

    archive = tmp_path / "crawl.warc.gz"
    with archive.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for n, path in enumerate(seed_paths_served(site)[:3]):
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            html = f"<html><body><p>{site.pages[path].decode()}</p></body></html>".encode()
            record = writer.create_warc_record(
                f"https://news.example/{n}", "response", payload=io.BytesIO(html), http_headers=headers
            )
            writer.write_record(record)
    documents, failures = split(await ingest(stage, str(archive)))
    assert [d.url for d in documents] == [f"https://news.example/{n}" for n in range(3)] and not failures
