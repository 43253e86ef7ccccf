"""Entry point used by ``newsflow service index``."""

from redis.asyncio import Redis

from newsflow_index.cache import DocumentCache
from newsflow_index.search_index import SearchIndex
from newsflow_index.stage import IndexStage
from newsflow_shared.settings import Settings


def create_stage(settings: Settings) -> IndexStage:
    """Build the index stage over the data dir's index and the configured Redis."""
    cache = DocumentCache(Redis.from_url(settings.redis.url), settings.redis.cache_ttl_s)
    return IndexStage(SearchIndex(settings.index_dir), cache)
