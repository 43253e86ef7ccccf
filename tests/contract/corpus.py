"""A small corpus with every case the index contract covers: a story of two reports, a
duplicate, outlets differing only in case, two languages, dates, and HTML in a body."""

from __future__ import annotations

from datetime import UTC, datetime

from newsflow_shared.models import Entity, ExtractedDocument


def doc(
    doc_id: str,
    body: str,
    *,
    title: str = "",
    outlet: str | None = None,
    language: str = "en",
    entities: tuple[str, ...] = (),
    published: datetime | None = None,
    story_id: str | None = None,
    duplicate_of: str | None = None,
) -> ExtractedDocument:
    return ExtractedDocument(
        doc_id=doc_id,
        source=f"{doc_id}.txt",
        title=title,
        body=body,
        outlet=outlet,
        language=language,
        entities=[Entity(text=e, label="PERSON") for e in entities],
        published=published,
        fingerprint=doc_id,
        fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
        story_id=story_id or doc_id,
        duplicate_of=duplicate_of,
        duplicate_reason="duplicate_near" if duplicate_of else None,
    )


CORPUS = [
    doc(
        "call",
        "President Joe Biden held a phone call with Vladimir Putin about the Ukraine border.",
        title="Biden and Putin talk",
        outlet="RFE/RL",
        entities=("Joe Biden", "Vladimir Putin"),
        published=datetime(2021, 4, 13, 11, 34, tzinfo=UTC),
        story_id="story-call",
    ),
    doc(
        "call-2",
        "The White House said Biden and Putin spoke by phone on Tuesday about troops near Ukraine.",
        title="White House on the call",
        outlet="Reuters",
        entities=("Joe Biden", "Vladimir Putin"),
        published=datetime(2021, 4, 13, 18, 0, tzinfo=UTC),
        story_id="story-call",
    ),
    doc(
        "blinken",
        "Antony Blinken urged Russia to de-escalate on the border with Ukraine. <script>alert(1)</script>",
        title="Blinken urges de-escalation",
        outlet="France 24",
        entities=("Antony Blinken",),
        published=datetime(2021, 4, 11, tzinfo=UTC),
    ),
    doc(
        "weather",
        "Heavy rain is expected over the coast on Friday, the weather service said.",
        title="Rain on Friday",
        outlet="rfe/rl",
        language="fr",
        published=datetime(2021, 6, 1, tzinfo=UTC),
    ),
    doc(
        "call-copy",
        "President Joe Biden held a phone call with Vladimir Putin about the Ukraine border today.",
        title="Biden and Putin talk (republished)",
        outlet="Blog",
        entities=("Joe Biden", "Vladimir Putin"),
        duplicate_of="call",
    ),
]
