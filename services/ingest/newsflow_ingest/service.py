"""Entry point used by ``newsflow service ingest``."""

from redis.asyncio import Redis

from newsflow_ingest.fetch import Fetcher
from newsflow_ingest.stage import IngestStage
from newsflow_ingest.web import RedisCrawlState, WebSource
from newsflow_shared.settings import Settings


def create_stage(settings: Settings) -> IngestStage:
    """Build the ingest stage: local files, and the web through the guarded fetcher."""
    state = RedisCrawlState(Redis.from_url(settings.redis.url), settings.ingest.seen_ttl_s)
    return IngestStage(settings.ingest, WebSource(settings.ingest, Fetcher(settings.ingest), state))
