"""Template learning against real Redis: counts shared by stage instances, idempotent per doc."""

from redis.asyncio import Redis

from newsflow_strip.templates import RedisTemplateStore, TemplatePolicy, line_key, observation


async def test_redis_store_learns_a_sources_footer_once_per_document(redis_url):
    redis = Redis.from_url(redis_url)
    try:
        await redis.delete("it:template:example.com:docs", "it:template:example.com:lines")
        policy = TemplatePolicy(min_documents=3, min_share=0.5)
        # Two stage replicas share the counts through Redis.
        first = RedisTemplateStore(redis, policy, ttl_s=600, prefix="it:template")
        second = RedisTemplateStore(redis, policy, ttl_s=600, prefix="it:template")
        footer = "Sign up to read this article"
        docs = [observation("example.com", f"d{n}", [f"story {chr(97 + n)}", footer]) for n in range(4)]
        assert await first.observe_many(docs[:2]) == [frozenset(), frozenset()]
        assert await second.observe_many(docs[:2]) == [frozenset(), frozenset()]  # redelivery: not recounted
        [third] = await second.observe_many([docs[2]])
        assert third == {line_key(footer)}
        assert await redis.ttl("it:template:example.com:lines") > 0
    finally:
        await redis.aclose()
