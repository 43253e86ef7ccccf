"""Entry point used by ``newsflow service clean``."""

from redis.asyncio import Redis

from newsflow_clean.stage import CleanStage
from newsflow_shared.dedup import RedisDedupStore
from newsflow_shared.settings import Settings


def create_stage(settings: Settings) -> CleanStage:
    """Build the clean stage with Redis-backed exact dedup."""
    redis = Redis.from_url(settings.redis.url)
    return CleanStage(RedisDedupStore(redis, settings.redis.dedup_ttl_s))
