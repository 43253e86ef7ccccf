"""Entry point used by ``newsflow service index``, and the backend every reader opens."""

from redis.asyncio import Redis

from newsflow_index.backend import IndexBackend
from newsflow_index.cache import DocumentCache
from newsflow_index.names import NameResolver, RedisNameStore
from newsflow_index.stage import IndexStage
from newsflow_index.stories import RedisStoryStore, StoryClusterer
from newsflow_shared.settings import LocalSettings, Settings


def open_backend(settings: LocalSettings) -> IndexBackend:
    """The configured index backend (tantivy under the data dir, or PostgreSQL)."""
    if settings.index.backend == "postgres":
        from newsflow_index.postgres_backend import PostgresBackend

        assert settings.index.postgres_dsn is not None  # checked when the settings were built
        return PostgresBackend(settings.index.postgres_dsn)
    from newsflow_index.tantivy_backend import TantivyBackend

    return TantivyBackend(settings.index_dir)


def create_stage(settings: Settings, *, standalone: bool = False) -> IndexStage:
    """Build the index stage over the configured backend, Redis cache and story state (it has no
    standalone form: an index without its story state would cluster nothing)."""
    if standalone:
        raise ValueError("the index stage needs Redis: it has no standalone form")
    redis = Redis.from_url(settings.redis.url)
    cache = DocumentCache(Redis.from_url(settings.redis.cache_url or settings.redis.url), settings.redis.cache_ttl_s)
    stories = StoryClusterer(RedisStoryStore(redis, settings.index.story_ttl_s))
    names = NameResolver(RedisNameStore(redis, settings.index.names_ttl_s))
    return IndexStage(open_backend(settings), cache, stories, settings.index.min_commit_interval_s, names)
