"""Entry point used by ``newsflow service ingest``."""

from redis.asyncio import Redis

from newsflow_ingest.fetch import Fetcher
from newsflow_ingest.stage import IngestStage
from newsflow_ingest.web import CrawlState, InMemoryCrawlState, RedisCrawlState, WebSource
from newsflow_shared.settings import Settings


def create_stage(settings: Settings, *, standalone: bool = False) -> IngestStage:
    """Build the ingest stage: local files, and the web through the guarded fetcher. Crawl state
    (items already fetched, feeds' validators) is in Redis, or in this process when ``standalone``
    (``newsflow extract``: no Redis)."""
    state: CrawlState = (
        InMemoryCrawlState()
        if standalone
        else RedisCrawlState(Redis.from_url(settings.redis.url), settings.ingest.seen_ttl_s)
    )
    return IngestStage(settings.ingest, WebSource(settings.ingest, Fetcher(settings.ingest), state))
