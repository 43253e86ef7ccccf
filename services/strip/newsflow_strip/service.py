"""Entry point used by ``newsflow service strip``."""

from redis.asyncio import Redis

from newsflow_shared.settings import Settings
from newsflow_strip.dedup import Deduplicator
from newsflow_strip.stage import ArticlePolicy, StripStage
from newsflow_strip.templates import RedisTemplateStore, TemplatePolicy


def create_stage(settings: Settings, *, standalone: bool = False) -> StripStage:
    """Build the strip stage with per-source template learning and deduplication in Redis, and
    non-articles dropped as the settings say. ``standalone`` (``newsflow extract``): each page
    stands alone, with no shared state and nothing dropped on the article check (its score is
    still given)."""
    if standalone:
        return StripStage()
    policy = TemplatePolicy(settings.strip.template_min_documents, settings.strip.template_min_share)
    redis = Redis.from_url(settings.redis.url)
    return StripStage(
        RedisTemplateStore(redis, policy, settings.strip.template_ttl_s),
        Deduplicator.in_redis(redis, settings.redis.dedup_ttl_s),
        ArticlePolicy(settings.strip.drop_non_articles, frozenset(settings.strip.article_check_exempt)),
    )
