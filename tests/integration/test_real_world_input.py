"""Real-world input through ingest → clean → strip, over real HTTP and with Redis crawl state:
feeds as they are served in the wild, a feed's own text when its pages are unreachable, URLs whose
query string is the article, Google Alerts links, and a crawl archive mixing articles with junk."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from newsflow_clean.stage import CleanStage
from newsflow_cli.stack import free_port
from newsflow_ingest.fetch import Fetcher
from newsflow_ingest.stage import IngestStage
from newsflow_ingest.web import RedisCrawlState, WebSource
from newsflow_shared.models import IngestRequest, RawDocument, StrippedDocument
from newsflow_shared.settings import IngestSettings
from newsflow_shared.stage import Dropped, Rejected
from newsflow_strip.stage import ArticlePolicy, StripStage
from tests.realworld_fixture import ITEMS, RealWorldSite, serve_real_world, write_crawl_warc

pytestmark = pytest.mark.integration


@pytest.fixture
async def closed_port() -> int:
    return free_port()


@pytest.fixture
async def site(closed_port: int) -> AsyncIterator[RealWorldSite]:
    async for running in serve_real_world(f"http://127.0.0.1:{closed_port}"):
        yield running


@pytest.fixture
async def ingest_stage(site: RealWorldSite, closed_port: int, redis_url: str) -> AsyncIterator[IngestStage]:
    settings = IngestSettings(
        allowed_private_endpoints=[site.base.removeprefix("http://"), f"127.0.0.1:{closed_port}"],
        politeness_delay_s=0.0,
        retry_backoff_s=0.01,
        max_retries=0,
        connect_timeout_s=1.0,
    )
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    stage = IngestStage(settings, WebSource(settings, Fetcher(settings), RedisCrawlState(redis, 3600)))
    yield stage
    await stage.stop()
    await redis.aclose()


async def ingest(stage: IngestStage, source: str) -> tuple[list[RawDocument], Counter[str]]:
    [result] = await stage.process_batch([IngestRequest(request_id=uuid.uuid4().hex, source=source)])
    if isinstance(result, BaseException):
        raise result
    assert isinstance(result, list), result
    return [r for r in result if isinstance(r, RawDocument)], Counter(
        r.reason for r in result if isinstance(r, Rejected)
    )


def strip_all(documents: list[RawDocument], policy: ArticlePolicy | None = None) -> list[StrippedDocument | Dropped]:
    clean, strip = CleanStage(), StripStage(articles=policy)
    return [strip.process(clean.process(doc)) for doc in documents]


async def test_techcrunch_like_feed_is_read_and_its_own_text_used_when_pages_are_unreachable(ingest_stage, site):
    documents, failures = await ingest(ingest_stage, site.url("/techcrunch.xml"))
    assert not failures, "every page refused the connection, and every item carries its text"
    assert len(documents) == ITEMS and len({d.doc_id for d in documents}) == ITEMS
    assert all(d.body_source == "feed" for d in documents)
    first = documents[0]
    assert first.hints.authors == ["Writer 0"] and first.hints.categories == ["Startups", "Fundraising"]
    stripped = strip_all(documents)
    assert all(isinstance(s, StrippedDocument) and s.body_source == "feed" for s in stripped)
    assert all(len(s.body.split()) > 600 for s in stripped if isinstance(s, StrippedDocument))


async def test_uol_like_feed_in_latin1_without_a_declaration_is_read(ingest_stage, site):
    documents, failures = await ingest(ingest_stage, site.url("/uol.xml"))
    assert not failures and len(documents) == 15
    assert documents[0].hints.title == "Política\xa0hoje 0: São Paulo decide"
    assert all(d.body_source == "page" for d in documents)


async def test_a_feed_served_as_html_is_still_a_feed(ingest_stage, site):
    documents, failures = await ingest(ingest_stage, site.url("/feed-as-html"))
    assert not failures and len(documents) == 3


async def test_google_alerts_items_are_twenty_documents_not_one(ingest_stage, site):
    documents, failures = await ingest(ingest_stage, site.url("/alerts.xml"))
    assert not failures
    assert len({d.doc_id for d in documents}) == ITEMS
    assert all(d.url and d.url.startswith(f"{site.base}/alert/") for d in documents), "the target, not google.com"
    assert not any("google.com" in k for k in site.hits)


async def test_query_parameters_that_name_the_article_keep_two_articles_apart(ingest_stage, site, tmp_path: Path):
    listing = tmp_path / "stories.urls"
    urls = ["/story.aspx?storyid=1", "/story.aspx?storyid=2&utm_source=x", "/view?articleId=9", "/story.aspx?storyid=1"]
    listing.write_text("".join(f"{site.url(u)}\n" for u in urls))
    documents, failures = await ingest(ingest_stage, str(listing))
    assert not failures
    assert len({d.doc_id for d in documents}) == 3, "storyid=1 twice is one document; 1, 2 and articleId=9 three"


async def test_a_crawl_archive_drops_its_non_articles_and_keeps_its_articles(ingest_stage, tmp_path: Path):
    archive = tmp_path / "crawl.warc.gz"
    article_urls, junk_urls = write_crawl_warc(archive)
    documents, failures = await ingest(ingest_stage, str(archive))
    assert not failures and len(documents) == len(article_urls) + len(junk_urls)
    results = dict(zip([d.url for d in documents], strip_all(documents, ArticlePolicy()), strict=True))
    for url in article_urls:
        assert isinstance(results[url], StrippedDocument), (url, results[url])
    for url in junk_urls:
        verdict = results[url]
        assert isinstance(verdict, Dropped) and verdict.reason in ("not_an_article", "no_article_body"), (url, verdict)
        if verdict.reason == "not_an_article":
            assert isinstance(verdict.kept, StrippedDocument), "kept for the excluded-documents topic"
    assert sum(isinstance(results[u], Dropped) and results[u].reason == "not_an_article" for u in junk_urls) >= 3
    exempt = strip_all(
        [d for d in documents if d.url in junk_urls],
        ArticlePolicy(exempt_sources=frozenset({"shop.example", "jobs.example", "lotto.example", "casino.example"})),
    )
    assert not any(isinstance(r, Dropped) and r.reason == "not_an_article" for r in exempt), "overridable per source"
