"""Story clusters: reports of the same event, from any outlet, share one ``story_id``.

Two reports of one event rarely share sentences, but they share *rare words*: the names of the
people, places and organisations involved, the numbers, the unusual nouns ("bushfires",
"reserve ratio", "Rose Parade"). So a document is a TF-IDF vector of its title and lead, and a
story is the centroid of its reports' vectors:

- **terms**: lowercased words of three or more letters and numbers of two or more digits, minus
  the stopwords of the document's language (``stopwordsiso``), cut to ``STEM_CHARS`` characters,
  a language-independent stand-in for stemming (German, Spanish, Polish and Turkish inflect the
  ends of words); title words (else the URL slug's: "/biden-calls-putin-1234") count
  ``TITLE_WEIGHT`` times, words inside named entities ``ENTITY_BOOST`` times, and the outlet's
  own name not at all. No model: the same rule holds in every language with spaces.
- **rarity**: document frequencies counted per language as documents are filed (``DF_SLOTS``
  hashed counters, so memory is fixed however large the vocabulary grows): a word every report
  uses weighs little, a surname in three reports a lot. Per language, because in a mostly
  English stream every Turkish word is "rare", and Turkish reports of unrelated events would
  then share heavy terms.
- **score**: the cosine of a document and a story centroid, where no single shared term may
  contribute more than ``TERM_SHARE_CAP`` (below the threshold): one shared surname ("Trump")
  or one handle ("twitter") can never make two reports one story on its own.
- **when**: a document dated more than ``MAX_DAYS_APART`` from every dated report of a story
  never joins it.
- **cold start**: while a language has few documents counted, rarity is guesswork, so the
  threshold is raised (``COLD_START_DOCUMENTS``), and while it has at most
  ``COLD_START_REFILE`` documents, every batch files them all again, in the order they came, with
  the statistics of all of them (``ColdDocument``): the stories of a language's first reports
  do not depend on how the stream happened to batch them. The earlier ones are handed back
  with their stories (``Assignment.refiled``), changed or not: the index compares them with
  what it stored, so a batch that failed to reach the index after its stories were saved leaves
  nothing stale. Such stories are their language's alone until it is warm.

A document joins the best-scoring story when the score reaches ``STORY_THRESHOLD`` (the value
pair-grouped cross-validation on rated news pairs picks, ``make eval``; ``TERM_SHARE_CAP`` was
chosen among a few variants the same way; docs/decisions.md #18),
else it starts its own (``story_id`` = its ``doc_id``). Comparing with the centroid, not with
the closest single report, keeps a story from chaining through one off-topic member. Candidates
are the stories that list one of the document's ``PROBE_TERMS`` strongest terms among their
own, kept in Redis (``newsflow:story:``) so that every index worker sees the same stories.
"""

from __future__ import annotations

import json
import math
import re
import time
import unicodedata
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache, lru_cache
from typing import Protocol
from urllib.parse import urlsplit

from redis.asyncio import Redis

from newsflow_shared.models import ExtractedDocument
from newsflow_shared.redis_errors import redis_state

LEAD_WORDS = 250
"""Words of the body read after the title: the lead carries the event; the tail drifts."""
STEM_CHARS = 6
TITLE_WEIGHT = 2
ENTITY_BOOST = 1.5
ENTITY_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "EVENT", "NORP", "PRODUCT", "WORK_OF_ART", "LAW"})
DOCUMENT_TERMS = 60
"""A document's vector keeps its strongest terms (a story's reports agree on those, not on the tail)."""
CENTROID_TERMS = 120
PROBE_TERMS = 10
STORIES_PER_TERM = 50
CANDIDATE_STORIES = 60
TERM_SHARE_CAP = 0.16
STORY_THRESHOLD = 0.28
COLD_START_DOCUMENTS = 3
"""While a language's counts rest on few documents, the threshold is raised by this many over
their number: with N documents counted, the commonest and the rarest word differ in weight by at
most log(1 + N) + 1 to 1, so reports of one topic score as if they shared rare words (the seeds,
arriving one by one: 0.20-0.29 for different events at N <= 5, 0.11-0.17 once counted together;
the same event 0.54-0.58). Calibrated on the seeds (the only cold start we have); at a few
hundred documents the raise is under 1%."""
COLD_START_REFILE = 20
"""While a language has at most this many documents counted, each batch re-files all of them
(module docstring): without it, the five seeds streamed in consecutive batches parted one
event's two reports in 488 of the 1,920 ways of ordering and batching them, and never when
filed in one batch. Past
this, a batch of the language weighs its own documents against enough others for the order of
arrival to stop mattering much, and the raise is down to 15%."""
MAX_DAYS_APART = 4.0
DF_SLOTS = 1 << 20
"""Hashed document-frequency counters (u32 each: 4 MB in Redis). A collision only makes a rare
term look commoner, so it can weaken a match but never create one."""

_TERM = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]{3,}")
_DIGIT = re.compile(r"\d")


@cache
def _stopwords(language: str) -> frozenset[str]:
    import stopwordsiso

    return frozenset(stopwordsiso.stopwords(language)) if stopwordsiso.has_lang(language) else frozenset()


_UNDECOMPOSED = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "ß": "ss", "æ": "ae", "œ": "oe"})


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """A lower-case word without its diacritics ("szkołami" → "szkolami"), as URL slugs and
    unaccented writing have it: a term must not depend on whether a writer used accents."""
    decomposed = unicodedata.normalize("NFKD", word.translate(_UNDECOMPOSED))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _terms(text: str, stopwords: frozenset[str]) -> list[str]:
    out = []
    for token in _TERM.findall(text.lower()):
        if _DIGIT.match(token):
            number = token.replace(",", ".")
            if len(number) < 2:
                continue
            out.append(number)
        elif token not in stopwords:
            out.append(fold(token)[:STEM_CHARS])
    return out


_SLUG = re.compile(r"[^\W\d_]+(?:-[^\W_]+){2,}")


def url_slug(url: str | None) -> str:
    """The headline words a news URL's path spells ("/2021/04/13/biden-calls-putin-1234" →
    "biden calls putin 1234"): the longest hyphenated path segment of three or more words."""
    if not url:
        return ""
    path = urlsplit(url).path
    slugs = sorted(_SLUG.findall(path), key=len, reverse=True)
    return slugs[0].replace("-", " ") if slugs else ""


def _outlet_words(doc: ExtractedDocument) -> set[str]:
    """The outlet's own name says nothing about the event ("zacks", "newsweek")."""
    host = urlsplit(doc.url).hostname or "" if doc.url else ""
    return {fold(w)[:STEM_CHARS] for w in re.split(r"[^\w]+", f"{host} {doc.outlet or ''}".lower()) if len(w) >= 3}


def term_counts(doc: ExtractedDocument) -> Counter[str]:
    """A document's weighted term counts: title (else the URL's slug), then the lead, entity
    words boosted, the outlet's own name left out."""
    stopwords = _stopwords(doc.language or "en") | _stopwords("en")
    counts: Counter[str] = Counter()
    for term in _terms(doc.title or url_slug(doc.url), stopwords):
        counts[term] += TITLE_WEIGHT
    lead = " ".join(doc.body.split()[:LEAD_WORDS])
    counts.update(_terms(lead, stopwords))
    named = {t for e in doc.entities if e.label in ENTITY_LABELS for t in _terms(e.text, stopwords)}
    for term in named & counts.keys():
        counts[term] = counts[term] * ENTITY_BOOST  # type: ignore[assignment]
    for term in _outlet_words(doc) & counts.keys():
        del counts[term]
    return counts


def weigh(counts: Mapping[str, float], frequencies: Mapping[str, int], documents: int) -> dict[str, float]:
    """The unit TF-IDF vector of ``counts`` (sublinear tf, smoothed idf), cut to its strongest terms."""
    weights = {
        term: (1.0 + math.log(count)) * (math.log((1 + documents) / (1 + frequencies.get(term, 0))) + 1.0)
        for term, count in counts.items()
        if count > 0
    }
    strongest = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:DOCUMENT_TERMS]
    return _unit(dict(strongest))


def _unit(vector: Mapping[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(w * w for w in vector.values()))
    return {t: w / norm for t, w in vector.items()} if norm else {}


def similarity(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Cosine of two unit vectors in which no one shared term counts for more than the cap."""
    if len(a) > len(b):
        a, b = b, a
    return sum(min(w * b[t], TERM_SHARE_CAP) for t, w in a.items() if t in b)


def probe_terms(vector: Mapping[str, float]) -> list[str]:
    """The terms a document is found by (and finds its candidate stories by)."""
    return [t for t, _ in sorted(vector.items(), key=lambda kv: (-kv[1], kv[0]))[:PROBE_TERMS]]


@dataclass
class Story:
    """A story's centroid: the sum of its reports' unit vectors (strongest terms kept)."""

    story_id: str
    vector: dict[str, float] = field(default_factory=dict)
    size: int = 0
    first: float | None = None
    last: float | None = None
    cold: str | None = None
    """The language whose cold start made this story: only its documents may join it until that
    language is warm, since the next batch may file them differently (``COLD_START_REFILE``)."""
    _unit_vector: dict[str, float] | None = field(default=None, repr=False, compare=False)

    def score(self, vector: Mapping[str, float], published: float | None) -> float:
        """How well a document with ``vector`` fits this story, in [0, 1] (0 when out of its time)."""
        if published is not None and self.first is not None and self.last is not None:
            if published < self.first - MAX_DAYS_APART * 86400 or published > self.last + MAX_DAYS_APART * 86400:
                return 0.0
        if self._unit_vector is None:  # scored against every document of a batch: normalized once
            self._unit_vector = _unit(self.vector)
        return similarity(vector, self._unit_vector)

    def add(self, vector: Mapping[str, float], published: float | None) -> None:
        summed = dict(self.vector)
        for term, weight in vector.items():
            summed[term] = summed.get(term, 0.0) + weight
        self.vector = dict(sorted(summed.items(), key=lambda kv: (-kv[1], kv[0]))[:CENTROID_TERMS])
        self._unit_vector = None
        self.size += 1
        if published is not None:
            self.first = published if self.first is None else min(self.first, published)
            self.last = published if self.last is None else max(self.last, published)

    def open_to(self, language: str) -> bool:
        return self.cold is None or self.cold == language

    def to_json(self) -> str:
        data = {"v": {t: round(w, 5) for t, w in self.vector.items()}, "n": self.size, "f": self.first, "l": self.last}
        return json.dumps(data | ({"c": self.cold} if self.cold else {}))

    @classmethod
    def from_json(cls, story_id: str, raw: str | bytes) -> Story:
        data = json.loads(raw)
        return cls(story_id, data["v"], data["n"], data["f"], data["l"], data.get("c"))


@dataclass(frozen=True)
class ColdDocument:
    """A document filed while its language was cold, kept to be filed again (``COLD_START_REFILE``)."""

    doc_id: str
    counts: dict[str, float]
    published: float | None
    story_id: str

    def to_json(self) -> str:
        return json.dumps({"d": self.doc_id, "t": self.counts, "p": self.published, "s": self.story_id})

    @classmethod
    def from_json(cls, raw: str | bytes) -> ColdDocument:
        data = json.loads(raw)
        return cls(data["d"], data["t"], data["p"], data["s"])


@dataclass(frozen=True)
class Assignment:
    """A batch's stories, one per document in order, and the earlier documents of a cold
    language, filed again with it (``doc_id`` → its story now, changed or not)."""

    story_ids: list[str]
    refiled: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Filed:
    """One document's place: its story, its vector and the terms it is found by."""

    doc_id: str
    story_id: str
    vector: dict[str, float]


class StoryStore(Protocol):
    """Which story each document is in, the stories' centroids, and the term statistics."""

    async def stories_of(self, doc_ids: Sequence[str]) -> dict[str, str]: ...

    async def frequencies(self, language: str, terms: Sequence[str]) -> tuple[int, dict[str, int]]:
        """How many documents in ``language`` were counted, and in how many of them each term occurs."""
        ...

    async def listing(self, terms: Sequence[str]) -> dict[str, list[str]]:
        """Per term, the most recent stories that list it among their probe terms."""
        ...

    async def stories(self, story_ids: Sequence[str]) -> dict[str, Story]: ...

    async def cold_documents(self, language: str) -> list[ColdDocument]:
        """The documents filed while ``language`` was cold, in the order they came."""
        ...

    async def save(
        self,
        filed: Sequence[Filed],
        stories: Sequence[Story],
        counted: Sequence[tuple[str, Iterable[str]]],
        cold: Mapping[str, Sequence[ColdDocument]] | None = None,
        removed: Sequence[str] = (),
    ) -> None:
        """Record ``filed`` documents, the ``stories`` they changed, the language and the distinct
        terms of each newly counted document, each cold language's documents (replacing the
        list; an empty one once the language is warm), and drop the ``removed`` stories."""
        ...


def _slot(language: str, term: str) -> int:
    return zlib.crc32(f"{language}:{term}".encode()) & (DF_SLOTS - 1)


class RedisStoryStore:
    """Story state in Redis, with a TTL: a story untouched for that long is closed to new reports."""

    def __init__(self, redis: Redis, ttl_s: int, prefix: str = "newsflow:story") -> None:
        self._redis = redis
        self._ttl_s = ttl_s
        self._prefix = prefix

    async def stories_of(self, doc_ids: Sequence[str]) -> dict[str, str]:
        if not doc_ids:
            return {}
        with redis_state("stories"):
            values = await self._redis.mget([f"{self._prefix}:doc:{d}" for d in doc_ids])
        return {d: _text(v) for d, v in zip(doc_ids, values, strict=True) if v}

    async def frequencies(self, language: str, terms: Sequence[str]) -> tuple[int, dict[str, int]]:
        with redis_state("stories"):
            documents = int(await self._redis.get(f"{self._prefix}:df:n:{language}") or 0)
            if not terms:
                return documents, {}
            field = self._redis.bitfield(f"{self._prefix}:df")
            for term in terms:
                field.get("u32", f"#{_slot(language, term)}")
            counts = await field.execute()
        return documents, dict(zip(terms, counts, strict=True))

    async def listing(self, terms: Sequence[str]) -> dict[str, list[str]]:
        with redis_state("stories"):
            async with self._redis.pipeline(transaction=False) as pipe:
                for term in terms:
                    pipe.zrevrange(f"{self._prefix}:term:{term}", 0, STORIES_PER_TERM - 1)
                replies = await pipe.execute()
        return {term: [_text(m) for m in reply] for term, reply in zip(terms, replies, strict=True)}

    async def stories(self, story_ids: Sequence[str]) -> dict[str, Story]:
        if not story_ids:
            return {}
        with redis_state("stories"):
            values = await self._redis.mget([f"{self._prefix}:centroid:{s}" for s in story_ids])
        return {s: Story.from_json(s, v) for s, v in zip(story_ids, values, strict=True) if v}

    async def cold_documents(self, language: str) -> list[ColdDocument]:
        with redis_state("stories"):
            values = await self._redis.lrange(f"{self._prefix}:cold:{language}", 0, -1)
        return [ColdDocument.from_json(v) for v in values]

    async def save(
        self,
        filed: Sequence[Filed],
        stories: Sequence[Story],
        counted: Sequence[tuple[str, Iterable[str]]],
        cold: Mapping[str, Sequence[ColdDocument]] | None = None,
        removed: Sequence[str] = (),
    ) -> None:
        now = time.time()
        with redis_state("stories"):
            async with self._redis.pipeline(transaction=False) as pipe:
                for item in filed:
                    pipe.set(f"{self._prefix}:doc:{item.doc_id}", item.story_id, ex=self._ttl_s)
                    for term in probe_terms(item.vector):
                        key = f"{self._prefix}:term:{term}"
                        pipe.zadd(key, {item.story_id: now})
                        pipe.zremrangebyrank(key, 0, -2 * STORIES_PER_TERM - 1)  # keep the newest
                        pipe.expire(key, self._ttl_s)
                for story in stories:
                    pipe.set(f"{self._prefix}:centroid:{story.story_id}", story.to_json(), ex=self._ttl_s)
                for story_id in removed:
                    pipe.delete(f"{self._prefix}:centroid:{story_id}")
                for language, documents in (cold or {}).items():
                    key = f"{self._prefix}:cold:{language}"
                    pipe.delete(key)
                    if documents:
                        pipe.rpush(key, *(d.to_json() for d in documents))
                        pipe.expire(key, self._ttl_s)
                slots = Counter(_slot(language, t) for language, terms in counted for t in set(terms))
                if slots:
                    field = pipe.bitfield(f"{self._prefix}:df", default_overflow="SAT")
                    for slot, n in sorted(slots.items()):
                        field.incrby("u32", f"#{slot}", n)
                    field.execute()  # on a pipeline, this queues the command
                for language, n in Counter(language for language, _ in counted).items():
                    pipe.incrby(f"{self._prefix}:df:n:{language}", n)
                await pipe.execute()


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


class InMemoryStoryStore:
    """Process-local story state (tests, evaluation); keeps every filed document's vector."""

    def __init__(self) -> None:
        self.filed: dict[str, Filed] = {}
        self._stories: dict[str, Story] = {}
        self._listing: dict[str, list[str]] = {}
        self._frequencies: Counter[tuple[str, str]] = Counter()
        self._documents: Counter[str] = Counter()
        self._cold: dict[str, list[ColdDocument]] = {}

    async def stories_of(self, doc_ids: Sequence[str]) -> dict[str, str]:
        return {d: self.filed[d].story_id for d in doc_ids if d in self.filed}

    async def frequencies(self, language: str, terms: Sequence[str]) -> tuple[int, dict[str, int]]:
        return self._documents[language], {t: self._frequencies[language, t] for t in terms}

    async def listing(self, terms: Sequence[str]) -> dict[str, list[str]]:
        return {t: self._listing.get(t, [])[-STORIES_PER_TERM:][::-1] for t in terms}

    async def stories(self, story_ids: Sequence[str]) -> dict[str, Story]:
        # Copies, as Redis hands out: the clusterer's changes count only once saved.
        return {
            s: replace(self._stories[s], vector=dict(self._stories[s].vector)) for s in story_ids if s in self._stories
        }

    async def cold_documents(self, language: str) -> list[ColdDocument]:
        return list(self._cold.get(language, []))

    async def save(
        self,
        filed: Sequence[Filed],
        stories: Sequence[Story],
        counted: Sequence[tuple[str, Iterable[str]]],
        cold: Mapping[str, Sequence[ColdDocument]] | None = None,
        removed: Sequence[str] = (),
    ) -> None:
        for item in filed:
            self.filed[item.doc_id] = item
            for term in probe_terms(item.vector):
                listed = self._listing.setdefault(term, [])
                if item.story_id in listed:
                    listed.remove(item.story_id)
                listed.append(item.story_id)
        for story in stories:
            self._stories[story.story_id] = story
        for story_id in removed:
            self._stories.pop(story_id, None)
        for language, documents in (cold or {}).items():
            self._cold[language] = list(documents)
        for language, terms in counted:
            self._frequencies.update((language, t) for t in set(terms))
            self._documents[language] += 1


def _language(doc: ExtractedDocument) -> str:
    return doc.language or "und"


def _timestamp(doc: ExtractedDocument) -> float | None:
    return doc.published.timestamp() if isinstance(doc.published, datetime) else None


class StoryClusterer:
    """Assigns a ``story_id`` to each canonical document of a batch (idempotent per ``doc_id``)."""

    def __init__(self, store: StoryStore, threshold: float = STORY_THRESHOLD) -> None:
        self.store = store
        self.threshold = threshold

    async def assign(self, docs: Sequence[ExtractedDocument]) -> Assignment:
        """One story_id per document, in order, and the earlier documents a cold start filed again."""
        known = await self.store.stories_of([d.doc_id for d in docs])
        fresh = [d for d in docs if d.doc_id not in known]
        counts = {d.doc_id: term_counts(d) for d in fresh}
        languages = {d.doc_id: _language(d) for d in fresh}
        vectors: dict[str, dict[str, float]] = {}
        thresholds: dict[str, float] = {}
        cold: dict[str, list[ColdDocument]] = {}  # per cold language: its documents, earliest first
        warmed: dict[str, list[ColdDocument]] = {}  # per language this batch makes warm: its cold documents
        for language in sorted(set(languages.values())):
            batch = [d.doc_id for d in fresh if languages[d.doc_id] == language]
            earlier = await self.store.cold_documents(language)
            terms = {t for i in batch for t in counts[i]} | {t for c in earlier for t in c.counts}
            documents, stored = await self.store.frequencies(language, sorted(terms))
            total = documents + len(batch)
            # The batch counts too: its documents are weighed against each other, not against nothing.
            frequencies = Counter(stored)
            frequencies.update(t for i in batch for t in counts[i])
            threshold = self.threshold * (1 + COLD_START_DOCUMENTS / total)
            if total <= COLD_START_REFILE:
                times = {d.doc_id: _timestamp(d) for d in fresh}
                again = {c.doc_id for c in earlier}  # a redelivery whose filing expired before its language warmed
                members = [
                    *earlier,
                    *(ColdDocument(i, dict(counts[i]), times[i], "") for i in batch if i not in again),
                ]
                cold[language] = members
                vectors.update((c.doc_id, weigh(c.counts, frequencies, total)) for c in members)
                thresholds.update((c.doc_id, threshold) for c in members)
            else:
                if earlier:
                    warmed[language] = earlier
                vectors.update((i, weigh(counts[i], frequencies, total)) for i in batch)
                thresholds.update((i, threshold) for i in batch)
        refiled, made = self._file_cold(cold, vectors, thresholds)
        warm = [d for d in fresh if languages[d.doc_id] not in cold]
        listed = await self.store.listing(sorted({t for d in warm for t in probe_terms(vectors[d.doc_id])}))
        candidates: dict[str, list[str]] = {}
        for doc in warm:
            hits = Counter(s for t in probe_terms(vectors[doc.doc_id]) for s in listed.get(t, []))
            candidates[doc.doc_id] = [s for s, _ in hits.most_common(CANDIDATE_STORIES)]
        stories = await self.store.stories(
            sorted({s for ids in candidates.values() for s in ids} | {c.story_id for cs in warmed.values() for c in cs})
        )
        changed: dict[str, Story] = {}
        for c in (c for members in warmed.values() for c in members):  # warm now: open to every language
            if c.story_id in stories:
                stories[c.story_id].cold = None
                changed[c.story_id] = stories[c.story_id]
        filed: list[Filed] = []
        story_ids: list[str] = []
        for doc in docs:
            if doc.doc_id in refiled:  # its language is cold: filed again with the others
                story_ids.append(refiled[doc.doc_id])
                continue
            if doc.doc_id in known:  # redelivered: keep the story it was given
                story_ids.append(known[doc.doc_id])
                continue
            vector, published, language = vectors[doc.doc_id], _timestamp(doc), languages[doc.doc_id]
            probes = set(probe_terms(vector))
            # Its candidates, and the stories this batch changed that share one of its probe terms.
            pool = [stories[s] for s in candidates[doc.doc_id] if s in stories]
            pool += [
                s for s in changed.values() if s.story_id not in candidates[doc.doc_id] and probes & s.vector.keys()
            ]
            pool = [s for s in pool if s.open_to(language)]
            best = max(pool, key=lambda s: (s.score(vector, published), s.story_id), default=None)
            if best is None or best.score(vector, published) < thresholds[doc.doc_id]:
                best = Story(doc.doc_id)
                stories[best.story_id] = best
            best.add(vector, published)
            changed[best.story_id] = best
            filed.append(Filed(doc.doc_id, best.story_id, vector))
            story_ids.append(best.story_id)
        # The stories cold documents left go, unless one of them was made again.
        left: set[str] = set()
        for members in cold.values():
            for c in members:
                filed.append(Filed(c.doc_id, refiled[c.doc_id], vectors[c.doc_id]))
                if c.story_id and c.story_id != refiled[c.doc_id]:
                    left.add(c.story_id)
        lists = {
            language: [replace(c, story_id=refiled[c.doc_id]) for c in members] for language, members in cold.items()
        }
        lists.update((language, []) for language in warmed)  # warm: nothing to file again
        await self.store.save(
            filed,
            [*changed.values(), *made],
            [(languages[d.doc_id], list(counts[d.doc_id])) for d in fresh],
            lists,
            sorted(left - {s.story_id for s in made}),
        )
        in_batch = {d.doc_id for d in docs}
        return Assignment(story_ids, {i: s for i, s in refiled.items() if i not in in_batch})

    def _file_cold(
        self,
        cold: Mapping[str, list[ColdDocument]],
        vectors: Mapping[str, dict[str, float]],
        thresholds: Mapping[str, float],
    ) -> tuple[dict[str, str], list[Story]]:
        """Each cold language's documents filed afresh among themselves, in the order they came:
        the story of each, and the stories made."""
        refiled: dict[str, str] = {}
        made: list[Story] = []
        for language, members in cold.items():
            own: list[Story] = []
            for c in members:
                vector = vectors[c.doc_id]
                probes = set(probe_terms(vector))
                pool = [s for s in own if probes & s.vector.keys()]
                best = max(pool, key=lambda s: (s.score(vector, c.published), s.story_id), default=None)
                if best is None or best.score(vector, c.published) < thresholds[c.doc_id]:
                    best = Story(c.doc_id, cold=language)
                    own.append(best)
                best.add(vector, c.published)
                refiled[c.doc_id] = best.story_id
            made += own
        return refiled, made
