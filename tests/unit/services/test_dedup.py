"""Strip's deduplication: URL, exact body and near-duplicate body, with in-memory state."""

from datetime import UTC, datetime

from newsflow_shared.models import CleanDocument, StrippedDocument
from newsflow_shared.urls import canonical_url
from newsflow_strip.dedup import (
    Deduplicator,
    InMemoryClaimStore,
    MinHasher,
    body_fingerprint,
    similarity,
)
from newsflow_strip.stage import StripStage

ARTICLE = " ".join(
    f"Sentence {i} of the report says the ministers met in city {i % 7} to discuss the border and trade."
    for i in range(40)
)
OTHER = " ".join(f"Line {i}: the weather service expects rain over region {i % 5} on day {i}." for i in range(40))


def stripped(doc_id: str, body: str, url: str | None = None) -> StrippedDocument:
    return StrippedDocument(
        doc_id=doc_id,
        source=doc_id,
        url=url,
        body=body,
        format="text",
        fingerprint=body_fingerprint(body),
        fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def edit_words(text: str, every: int) -> str:
    words = text.split()
    return " ".join("EDITED" if i % every == 0 else w for i, w in enumerate(words))


async def test_a_claim_belongs_to_its_first_document_and_redelivery_is_not_a_duplicate():
    store = InMemoryClaimStore()
    assert await store.claim_many([("fp", "a"), ("fp", "a"), ("fp", "b"), ("other", "b")]) == [None, None, "a", None]


async def test_expired_claims_are_forgotten():
    store = InMemoryClaimStore(ttl_s=-1)
    assert await store.claim_many([("fp", "a"), ("fp", "b")]) == [None, None]


def test_canonical_urls_drop_tracking_and_fragments():
    assert canonical_url("https://WWW.Example.com/a?utm_source=x&id=3#top") == "https://www.example.com/a?id=3"
    assert canonical_url("not a url") is None


def test_fingerprint_ignores_case_whitespace_and_punctuation_spacing():
    assert body_fingerprint("The  Minister said:\n\nyes.") == body_fingerprint("the minister said: yes.")


def test_minhash_estimates_jaccard():
    hasher = MinHasher()
    a = hasher.signature(hasher.shingle_hashes(ARTICLE))
    assert similarity(a, hasher.signature(hasher.shingle_hashes(ARTICLE))) == 1.0
    original, copy = hasher.shingle_hashes(ARTICLE), hasher.shingle_hashes(edit_words(ARTICLE, 50))
    jaccard = len(set(original) & set(copy)) / len(set(original) | set(copy))
    assert abs(similarity(a, hasher.signature(copy)) - jaccard) < 0.1  # 128 permutations: σ ≈ 0.04
    assert similarity(a, hasher.signature(hasher.shingle_hashes(OTHER))) < 0.1


async def test_three_levels_each_name_their_canonical_document():
    dedup = Deduplicator.in_memory()
    original = stripped("orig", ARTICLE, url="https://news.example/a")
    assert await dedup.find([original, stripped("other", OTHER)]) == [None, None]
    verdicts = await dedup.find(
        [
            stripped("same-url", OTHER + " extra", url="https://news.example/a?utm_campaign=feed#x"),
            stripped("exact", ARTICLE.upper()),
            stripped("near", edit_words(ARTICLE, 40)),
            stripped("unrelated", OTHER.replace("rain", "snow").replace("Line", "Row")),
        ]
    )
    assert [(v.reason, v.canonical_id) if v else None for v in verdicts] == [
        ("duplicate_url", "orig"),
        ("duplicate_exact", "orig"),
        ("duplicate_near", "orig"),
        None,
    ]


async def test_redelivery_is_never_a_duplicate_of_itself_and_copies_in_one_batch_are_caught():
    dedup = Deduplicator.in_memory()
    original, copy = stripped("a", ARTICLE), stripped("b", edit_words(ARTICLE, 60))
    first = await dedup.find([original, copy])
    assert first[0] is None and first[1] is not None and first[1].canonical_id == "a"
    again = await dedup.find([original, copy])
    assert again[0] is None and again[1] is not None and again[1].canonical_id == "a"
    fresh = Deduplicator.in_memory()
    assert await fresh.find([original, original]) == [None, None], "one document twice in a batch is not its own copy"


async def test_short_bodies_are_only_deduplicated_exactly():
    dedup = Deduplicator.in_memory()
    assert await dedup.find([stripped("a", "Breaking: markets fell."), stripped("b", "Breaking: markets rose.")]) == [
        None,
        None,
    ]


async def test_strip_stage_marks_duplicates_instead_of_dropping_them():
    stage = StripStage(dedup=Deduplicator.in_memory())
    text = "\n\n".join(ARTICLE.split(". "))

    def clean(doc_id: str) -> CleanDocument:
        return CleanDocument(
            doc_id=doc_id, source=doc_id, content=text, format="text", fingerprint=doc_id, fetched_at=datetime.now(UTC)
        )

    first, second = await stage.process_batch([clean("x"), clean("y")])
    assert isinstance(first, StrippedDocument) and first.duplicate_of is None
    assert isinstance(second, StrippedDocument)
    assert (second.duplicate_of, second.duplicate_reason) == ("x", "duplicate_exact")
