"""Textual cues of the line scorer and the classifier's features (those other stages read too,
sentence ends, bylines and dates, are in ``newsflow_shared.textcues``)."""

from __future__ import annotations

import re

CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")

# Lines that are never article text whatever surrounds them: media-player residue and the
# furniture of comment threads. Removed before anything else looks at the page.
PLAYER_AND_COMMENT_RESIDUE = re.compile(
    r"""^(?:\d{1,2}:\d{2}(?::\d{2})?\s*){1,4}$        # player timers: 0:00 0:02:50 0:00
    |^please\s+wait\.*$
    |(?:this|your)\s+browser\s+does\s+not\s+support\s+(?:the\s+)?(?:video|audio|html5)
    |^liked\s+by\s+\d+\s+(?:people|person)$|^leave\s+a\s+(?:reply|comment)\b
    |^(?:\d+\s+)?(?:comments?|replies)$|^reply$|^(?:cancel\s+)?reply$
    |^(?:you\s+must\s+be\s+)?logged\s+in\s+to\s+post\s+a\s+comment
    |^no\s+media\s+source\s+currently\s+available$
    |^\W*\d{1,2}x\d{1,2}\s+(?:image|video)$""",
    re.I | re.X,
)

# Cues that usually mark boilerplate but can occur in article text: the classifier weighs them.
# (Every pattern searched in every block or line begins its unanchored alternatives with a
# lookahead on their possible first characters: the engine then skips the other positions at
# once, which halves the search; what matches is unchanged.)
RESIDUE = re.compile(
    r"""^(?:(?:image|photo|picture|video|credit|source|gallery|photo\s+gallery)s?\s*(?:\d+\s*(?:of|/)\s*\d+)?\s*:
    |(?:share|tweet|email|print|advertisement|related|read\s+more|see\s+also|more\s+from)\b
    |follow\s+us|(?:getty|reuters|ap|afp)\s+images?)
    |(?=[©(ascnpi])(?:©|\(c\)\s*\d{4}|all\s+rights\s+reserved|sign\s+up|subscribe|newsletter|cookie|click\s+here
    |\b(?:photo|image)\s*:\s*\w)""",
    re.I | re.X,
)
# Headers that open a comment thread: what follows them is readers' text, not the article's.
COMMENT_SECTION = re.compile(
    r"""^(?:\d+\s+)?(?:comments?|responses?|replies|reactions)\b(?:\s+(?:to|on)\b.*)?$
    |leave\s+a\s+(?:reply|comment)|join\s+the\s+(?:discussion|conversation)|comment\s+policy
    |reader\s+comments|show\s+comments|view\s+comments|add\s+(?:a\s+|your\s+)?comment""",
    re.I | re.X,
)
BULLET = re.compile(r"^[•·▪►■◦*–-]\s")
# Photo and video credits: the line beside one is usually its caption.
CREDIT = re.compile(
    r"^(?:(?:image|photo|picture|foto|credit|source|video)s?\s*:|(?:photo|image)\s+by\b)"
    r"|(?=[/gsi])(?:/\s*(?:reuters|ap|afp|getty(?:\s+images)?|epa(?:-efe)?|picture\s+alliance|tass|dpa)\s*$"
    r"|\b(?:getty\s+images|shutterstock|istock)\b)",
    re.I,
)
SEPARATORS = re.compile(r"\s[|•·/»›]\s")
URL_LIKE = re.compile(r"https?://|www\.|\.(?:com|org|net)\b|@\w")


def units(line: str) -> float:
    """Length in words; scripts without spaces count two characters as a word."""
    return max(len(line.split()), len(CJK.findall(line)) / 2)
