"""Direct quotations and who said them.

**Finding quotes.** Each paragraph is scanned once, left to right, pairing every opening mark
with its own closing mark: “…”, "…" (straight marks alternate open/close, so a short quoted
fragment cannot pair its closing mark with the next fragment's opening one), „…“ and „…”
(German, Polish …), «…» and »…«, ‹…›, 「…」 and 『…』, and British ‘…’ (an opening ‘ at the start
of a word; an apostrophe inside a word never closes it). Marks nested inside a quote belong to
it. A quote left open at the end of its paragraph runs to that end: news style opens every
paragraph of a long quotation and closes only the last. Quoted text of fewer than
``MIN_QUOTE_WORDS`` words is a scare quote or a phrase ("rigged", “de-escalate”), and a short
title-cased run without a sentence's punctuation is a title (“The Lead with Jake Tapper”):
neither is reported speech.

**Attributing them**, in the order news writing uses:

1. *after the quote*, in its sentence: “…,” said X / “…,” X said / “…,” he said — the speech
   verb's subject is the named person (else organisation) between the quote and the verb, or
   right after the verb;
2. *before the quote*, in its sentence: X said: “…” / according to X, “…” / X told reporters
   that the plan was “…” — the subject of the last speech verb before the quote;
3. otherwise the nearest person named before the quote in its paragraph, then after it; and
   for a paragraph that opens with a quote and names nobody, the previous quote's speaker (the
   continuation of a long quotation).

A pronoun subject ("he said") is the most recent person quoted so far, else the most recent
person named: the subject of a news paragraph is usually the person being quoted. Speakers are
the canonical mention texts (``entities.canonicalize``: "Blinken" → "Antony Blinken").
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from newsflow_extract.entities import Mention
from newsflow_shared.models import Quote

MIN_QUOTE_WORDS = 4
TITLE_MAX_WORDS = 8
SPEAKER_LABELS = frozenset({"PERSON", "ORG"})
NAME_REACH = 60
"""Characters after a speech verb in which its subject is named (titles: "said former Gov.")."""
SUBJECT_REACH = 90
"""Characters either side of a speech verb searched for its subject (titles and appositives:
"said former Secretary of State Hillary Clinton")."""

_CLOSERS = {"“": '”"', "„": "“”", "«": "»", "»": "«", "‹": "›", "「": "」", "『": "』", "‘": "’"}
_SPEECH_VERB = re.compile(
    r"\b(?:said|says|say|saying|told|tells|tell|added|adds|asked|asks|wrote|writes|explained|explains|noted|notes|"
    r"argued|argues|continued|continues|insisted|insists|stated|states|declared|declares|announced|announces|"
    r"warned|warns|claimed|claims|replied|replies|responded|responds|recalled|recalls|tweeted|tweets|posted|"
    r"acknowledged|acknowledges|admitted|admits|suggested|suggests|countered|counters|quipped|joked|jokes|"
    r"complained|complains|remarked|conceded|concedes|concluded|predicted|predicts|urged|urges|shouted|yelled|"
    r"exclaimed|observed|emphasized|emphasised|stressed|stresses|cautioned|vowed|vows|promised|pledged|boasted|"
    r"mused|wondered|told|testified|confirmed|confirms|denied|denies|reported|reports|according to|"
    r"demanded|demands|asking|telling|adding|called|calling|calls|describing|described|put it|pointed out|pointing out|went on|"
    # French, German, Spanish, Italian, Portuguese: the commonest verbs of saying and "according to".
    r"a déclaré|a dit|a affirmé|a expliqué|a ajouté|a indiqué|a souligné|déclare|explique|ajoute|selon|"
    r"sagte|sagt|erklärte|erklärt|betonte|fügte|laut|zufolge|"
    r"dijo|afirmó|explicó|añadió|aseguró|señaló|según|"
    r"ha detto|ha dichiarato|secondo|disse|afirmou|segundo)\b",
    re.IGNORECASE,
)
_ACCORDING_TO = frozenset({"according to", "selon", "laut", "zufolge", "según", "secondo", "segundo"})
_PRONOUN = re.compile(r"\b(?:he|she|they|i|we)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(
    r"(?<!\b[A-Z])(?<!\bMr|\bMs|\bDr|\bSt|\bJr|\bSr|\bLt|\bvs)(?<!\bMrs|\bSen|\bRep|\bGov|\bGen|\bCol|\bSgt|\bMaj"
    r"|\bAdm|\bRev)(?<!\bCapt|\bProf|\bSens|\bReps|\bCmdr)[.!?;](?=\s+[A-Z“\"‘(]|\s*$)"
)
"""A sentence's end: not the point of a title ("Sen.", "Capt.") or an initial ("Lindsey O. Graham")."""
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


@dataclass(frozen=True, slots=True)
class Span:
    """A quotation's text span in the body (``start``/``end`` exclude the marks)."""

    start: int
    end: int
    after: int
    """Where the text after the closing mark begins (``end`` when the quote ran to the paragraph's end)."""


def quoted_spans(paragraph: str, offset: int = 0) -> list[Span]:
    """Every outermost quotation in ``paragraph``, its marks paired left to right."""
    spans: list[Span] = []
    opened_at: int | None = None
    closers = ""
    for i, char in enumerate(paragraph):
        if opened_at is not None:
            if char in closers and not (char == "’" and _inside_word(paragraph, i)):
                spans.append(Span(offset + opened_at + 1, offset + i, offset + i + 1))
                opened_at = None
            continue
        if char == '"':
            opened_at, closers = i, '"”'
        elif char in _CLOSERS and (char != "‘" or not _inside_word(paragraph, i)):
            opened_at, closers = i, _CLOSERS[char]
    if opened_at is not None and closers != "’":  # a long quotation continues in the next paragraph
        spans.append(Span(offset + opened_at + 1, offset + len(paragraph), offset + len(paragraph)))
    return spans


def _inside_word(text: str, i: int) -> bool:
    return 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()


def is_reported_speech(text: str) -> bool:
    """Not a scare quote, a phrase or a title."""
    words = _WORD.findall(text)
    cjk = len(_CJK.findall(text))  # no spaces between words: about two characters a word
    if max(len(words), cjk // 2) < MIN_QUOTE_WORDS:
        return False
    titled = all(w[0].isupper() or w.lower() in _TITLE_JOINERS for w in words)
    return not (titled and len(words) <= TITLE_MAX_WORDS and not re.search(r"[.!?]\W*$", text))


_TITLE_JOINERS = frozenset({"a", "an", "the", "of", "and", "or", "in", "on", "at", "to", "for", "with", "by", "from"})


_PROPER_RUN = re.compile(r"(?:[A-Z][\w'’.-]*\s+){0,3}[A-Z][\w'’-]+")
_NOT_A_NAME = frozenset(
    {"The", "A", "An", "He", "She", "They", "It", "I", "We", "This", "That", "But", "And", "Officials"}
    # offices ("the US Secretary of State claimed"): a title, not a name
    | {"State", "Secretary", "President", "Minister", "Ministry", "Department", "Office", "Government", "Spokesman"}
)


class _Document:
    """A body with its quotations marked: speakers and speech verbs are only looked for outside them."""

    def __init__(self, body: str, mentions: Sequence[Mention]) -> None:
        self.body = body
        self.paragraphs: list[tuple[int, int]] = []
        self.spans: list[Span] = []
        start = 0
        for paragraph in body.split("\n\n"):
            self.paragraphs.append((start, start + len(paragraph)))
            self.spans.extend(quoted_spans(paragraph, start))
            start += len(paragraph) + 2
        self.speakers = [m for m in mentions if m.label in SPEAKER_LABELS and not self.quoted(m.start)]
        self.full_name = {
            m.text.split()[-1]: m.text for m in reversed(mentions) if m.label == "PERSON" and " " in m.text
        }
        """Surname → the full name it stands for, for names the model did not tag."""
        self.last_quoted_person: tuple[int, str] | None = None
        # Each sentence's first person named (outside quotes), in order: what a pronoun refers to.
        self.subjects: list[tuple[int, str]] = []
        for paragraph_start, paragraph_end in self.paragraphs:
            ends = [m.end() for m in _SENTENCE_END.finditer(body, paragraph_start, paragraph_end)] + [paragraph_end]
            start = paragraph_start
            for end in ends:
                people = [m for m in self.within(start, end) if m.label == "PERSON"]
                if people:
                    self.subjects.append((people[0].start, people[0].text))
                start = end
        self.subject_starts = [at for at, _ in self.subjects]

    def quoted(self, at: int) -> bool:
        return any(s.start - 1 <= at < s.end for s in self.spans)

    def within(self, start: int, end: int) -> list[Mention]:
        return [m for m in self.speakers if start <= m.start and m.end <= end]

    def verbs(self, start: int, end: int) -> list[re.Match[str]]:
        return [v for v in _SPEECH_VERB.finditer(self.body, start, end) if not self.quoted(v.start())]

    def sentence_start(self, paragraph_start: int, at: int) -> int:
        ends = [m.end() for m in _SENTENCE_END.finditer(self.body, paragraph_start, at) if not self.quoted(m.start())]
        return ends[-1] if ends else paragraph_start

    def sentence_end(self, at: int, paragraph_end: int) -> int:
        for match in _SENTENCE_END.finditer(self.body, at, paragraph_end):
            if not self.quoted(match.start()):
                return match.end()
        return paragraph_end

    def subject_before(self, sentence_start: int, verb_start: int) -> str | None:
        """The speech verb's subject: the name right before it ("Fallon said"), else the first
        person named in its sentence ("Trump, in an interview with …, said"), else a
        capitalized name the model did not tag ("Coursey said")."""
        found = self.within(sentence_start, verb_start)
        if found:
            last = found[-1]
            gap = self.body[last.end : verb_start]
            if "," not in gap and len(gap.split()) <= 2:
                return last.text
            people = [m for m in found if m.label == "PERSON"] or found
            return people[0].text
        if _PRONOUN.search(self.body[max(sentence_start, verb_start - 12) : verb_start]):
            return self.pronoun(verb_start)
        return self._untagged_name(self.body[max(sentence_start, verb_start - 40) : verb_start], last=True)

    def subject_after(self, verb_end: int, end: int) -> str | None:
        """The name right after a speech verb: "said Army Capt. Christian Pardo, who …", "said
        Caddell, speaking of Clinton's health", "said the Urban League's Marc Morial"."""
        found = self.within(verb_end, end)
        close = [m for m in found if m.start - verb_end <= NAME_REACH]
        people = [m for m in close if m.label == "PERSON"] or close
        if people:
            return people[0].text
        head = self.body[verb_end:end].strip()
        if _PRONOUN.match(head):
            return self.pronoun(verb_end)
        return self._untagged_name(head[:40], last=False) or (found[0].text if found else None)

    def _untagged_name(self, text: str, last: bool) -> str | None:
        runs = [r.group(0).strip() for r in _PROPER_RUN.finditer(text)]
        runs = [r for r in runs if r.split()[0] not in _NOT_A_NAME and r.split()[-1] not in _NOT_A_NAME]
        if not runs:
            return None
        run = runs[-1] if last else runs[0]
        edge = text.rstrip() if last else text.lstrip()
        if not (edge.endswith(run) if last else edge.startswith(run)):
            return None
        return self.full_name.get(run, run)

    def pronoun(self, before: int) -> str | None:
        """ "He"/"she": the latest of the last person quoted and the last sentence's subject."""
        candidates = [self.last_quoted_person] if self.last_quoted_person is not None else []
        at = bisect.bisect_left(self.subject_starts, before)
        if at:
            candidates.append(self.subjects[at - 1])
        return max(candidates)[1] if candidates else None

    def speaker(self, span: Span, paragraph: tuple[int, int], same_paragraph: str | None) -> str | None:
        paragraph_start, paragraph_end = paragraph
        limit = self.sentence_end(span.after, paragraph_end)
        # 1. "…," said X / "…," X said / "…," he said
        tail_verbs = self.verbs(span.after, min(limit, span.after + SUBJECT_REACH))
        if tail_verbs and not any(c in self.body[span.after : tail_verbs[0].start()] for c in '“"«„'):
            verb = tail_verbs[0]
            if self.body[span.after : verb.start()].strip(" ,—–-"):
                named = self.subject_before(span.after, verb.start())
            else:
                named = None
            if named is None:
                reach = min(limit, verb.end() + SUBJECT_REACH)
                marks = [i for i in (self.body.find(c, verb.end(), reach) for c in '“"«„') if i >= 0]
                named = self.subject_after(verb.end(), min(marks, default=reach))
            if named is not None:
                return named
        # 2. X said: "…" / according to X, "…" / X told reporters the plan was "…"
        sentence_start = self.sentence_start(paragraph_start, span.start - 1)
        head_verbs = self.verbs(sentence_start, span.start - 1)
        if head_verbs:
            verb = head_verbs[-1]  # the verb nearest the quote introduces it ("Rubio suggested …, while Cruz said")
            if verb.group(0).lower() in _ACCORDING_TO:
                named = self.subject_after(verb.end(), span.start)
            else:
                named = self.subject_before(sentence_start, verb.start()) or self.subject_after(verb.end(), span.start)
            if named is not None:
                return named
        # 3. a second quote of a paragraph whose first was attributed
        if same_paragraph is not None:
            return same_paragraph
        # 4. the subject of the last speech verb before the quote in this paragraph ("…, Schiff said.")
        for verb in reversed(self.verbs(paragraph_start, span.start - 1)):
            named = self.subject_before(self.sentence_start(paragraph_start, verb.start()), verb.start())
            if named is not None:
                return named
        # 5. the nearest person named in the paragraph, before the quote, else after it
        before = [m for m in self.within(paragraph_start, span.start) if m.label == "PERSON"]
        if before:
            return before[-1].text
        after = [m for m in self.within(span.after, paragraph_end) if m.label == "PERSON"]
        return after[0].text if after else None


def find_quotes(body: str, mentions: Sequence[Mention]) -> list[Quote]:
    """Every quotation of reported speech in ``body``, with its speaker (None when unknown)."""
    document = _Document(body, mentions)
    people = {m.text for m in mentions if m.label == "PERSON"}
    quotes: list[Quote] = []
    previous: str | None = None
    left_open: int | None = None  # the index of an unattributed quote that ran on to the next paragraph
    for paragraph in document.paragraphs:
        same_paragraph: str | None = None
        for span in (s for s in document.spans if paragraph[0] <= s.start <= paragraph[1]):
            text = body[span.start : span.end].strip()
            if not is_reported_speech(text):
                continue
            opens_paragraph = not body[paragraph[0] : span.start - 1].strip()
            speaker = document.speaker(span, paragraph, same_paragraph)
            if speaker is None and opens_paragraph:
                speaker = previous  # a long quotation's next paragraph
            if speaker is not None:
                previous = same_paragraph = speaker
                if speaker in people:
                    document.last_quoted_person = (span.start, speaker)
                if left_open is not None and opens_paragraph:  # its attribution came at its end
                    quotes[left_open] = Quote(speaker=speaker, text=quotes[left_open].text)
            left_open = len(quotes) if speaker is None and span.after == paragraph[1] else None
            quotes.append(Quote(speaker=speaker, text=text))
    return quotes
