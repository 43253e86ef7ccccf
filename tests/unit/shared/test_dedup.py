from newsflow_shared.dedup import InMemoryDedupStore


async def test_a_fingerprint_belongs_to_its_first_document_and_redelivery_is_not_a_duplicate():
    store = InMemoryDedupStore()
    assert await store.claim_many([("fp", "a"), ("fp", "a"), ("fp", "b"), ("other", "b")]) == [None, None, "a", None]


async def test_expired_claims_are_forgotten():
    store = InMemoryDedupStore(ttl_s=-1)
    assert await store.claim_many([("fp", "a"), ("fp", "b")]) == [None, None]
