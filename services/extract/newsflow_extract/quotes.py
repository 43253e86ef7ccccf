"""Direct quotations and their speakers (the nearest person named in the same paragraph)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from newsflow_extract.entities import Mention
from newsflow_shared.models import Quote

_QUOTED = re.compile(r"“([^”]{20,})”|\"([^\"]{20,})\"|«([^»]{20,})»")
MIN_QUOTE_WORDS = 4


def find_quotes(body: str, mentions: Sequence[Mention]) -> list[Quote]:
    """Quotations of at least four words; the speaker is the closest PERSON/ORG in the paragraph,
    else the last person named before it (continuation paragraphs: "..., he said")."""
    speakers = [m for m in mentions if m.label in {"PERSON", "ORG"}]
    quotes = []
    paragraph_start = 0
    for paragraph in body.split("\n\n"):
        paragraph_end = paragraph_start + len(paragraph)
        for match in _QUOTED.finditer(paragraph):
            text = next(g for g in match.groups() if g).strip()
            if len(text.split()) < MIN_QUOTE_WORDS:
                continue
            q_start, q_end = paragraph_start + match.start(), paragraph_start + match.end()
            local = [
                m for m in speakers if paragraph_start <= m.start < paragraph_end and not q_start <= m.start < q_end
            ]
            speaker: str | None
            if local:
                speaker = min(local, key=lambda m: min(abs(m.start - q_end), abs(m.end - q_start))).text
            else:
                earlier = [m for m in speakers if m.end <= q_start and m.label == "PERSON"]
                speaker = earlier[-1].text if earlier else None
            quotes.append(Quote(speaker=speaker, text=text))
        paragraph_start = paragraph_end + 2
    return quotes
