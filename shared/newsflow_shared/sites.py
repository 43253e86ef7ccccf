"""Which site a page is from, in words: the host's own label, whether a name names it, and a
readable name made from the host when the page names no site at all.

A host says which site a page is from, but not how the site writes its name: ``www.dw.com`` is
"Deutsche Welle", ``kleinezeitung.at`` is "Kleine Zeitung". So the host is used to *check* names
(``names_site``: "FAZ.NET" and "Frankfurter Allgemeine Zeitung" both name ``faz.net``, "Security"
does not name ``heise.de``) and, as the last resort, to *make* one (``site_name_from_host``):
spelled as the page's own text spells it where it can be found there ("The Portugal News" for
``theportugalnews.com``), else from the label itself ("Braunschweiger Zeitung" for
``braunschweiger-zeitung.de``, "NRK" for ``nrk.no``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import urlsplit

SECOND_LEVEL = frozenset(
    {"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or", "go", "gv", "ltd", "plc", "nic", "mil", "sch", "info", "biz"}
)  # fmt: skip
"""Labels that, before a two-letter country code, belong to the suffix (``co.uk``, ``com.tr``,
``co.jp``), not to the site: a short stand-in for the public suffix list that covers news hosts."""
_HOST_PREFIXES = re.compile(r"^(?:www\d*|m|amp|mobile)$")
_CORPORATE = re.compile(
    r"\b(?:gmbh|ag|a/s|asa|ab|eg|kg|kgaa|ltd|limited|inc|llc|plc|s\.?a\.?|s\.?l\.?|s\.?p\.?a\.?|se|oy|bv|nv|"
    r"group|holdings?)\.?$|verlag",
    re.I,
)
"""A company's legal name ("TAZ Verlags- und Vertriebs GmbH", "Tamedia AG"): the publisher that
owns a site, not the name readers know it by."""
_HOST_LIKE = re.compile(r"^[\w-]+(?:\.[\w-]+)*\.[a-z]{2,6}$", re.I)
"""A name written as a host ("dw.com", "FAZ.NET", "Express.co.uk")."""


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_TRANSLITERATED = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "å": "aa", "æ": "ae", "ø": "oe"})


def _compacts(text: str) -> set[str]:
    """Letters and digits only, case and accents dropped, as a host spells them: "Süddeutsche.de"
    → "suddeutschede" and, the German way, "sueddeutschede"."""
    return {
        "".join(ch for ch in _folded(form) if ch.isalnum())
        for form in (text, text.casefold().translate(_TRANSLITERATED))
    }


def host_label(url: str | None) -> str:
    """The label that names the site in a URL's host: ``dailyrecord`` for
    ``https://www.dailyrecord.co.uk/news``, ``yomiuri`` for ``japannews.yomiuri.co.jp``; "" for
    no host or a bare address."""
    if not url:
        return ""
    try:
        host = (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""
    labels = [label for label in host.split(".") if label]
    if len(labels) < 2 or all(label.isdigit() for label in labels):
        return ""
    suffix = 2 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in SECOND_LEVEL else 1
    label = labels[-suffix - 1]
    return "" if _HOST_PREFIXES.match(label) else label


def is_host_like(name: str) -> bool:
    return bool(_HOST_LIKE.match(name.strip()))


def is_corporate(name: str) -> bool:
    return bool(_CORPORATE.search(name.strip()))


def names_site(name: str, label: str) -> bool:
    """Whether ``name`` names the site whose host label is ``label``: the same letters ("Daily
    Record", "dailyrecord.co.uk"), the label opening or inside the name ("BR24", "Diario ABC",
    "heise online"), or the name's initials ("Frankfurter Allgemeine Zeitung" for ``faz``)."""
    wanted = "".join(ch for ch in _folded(label) if ch.isalnum())
    if not name or not wanted:
        return False
    for compact in _compacts(name):
        if (
            compact == wanted
            or (len(wanted) >= 2 and compact.startswith(wanted))
            or (len(wanted) >= 3 and wanted in compact)
        ):
            return True
    words = re.findall(r"\w+", _folded(name))
    return len(words) >= 2 and "".join(w[0] for w in words) == wanted


def site_name_from_host(url: str | None, texts: Iterable[str] = ()) -> str | None:
    """A readable name for the site of ``url``: the label as one of ``texts`` spells it (a run of
    words with the label's letters, "The Portugal News"), else the label with its hyphens as
    spaces and each word capitalized ("Braunschweiger Zeitung"), a short one in capitals ("NRK",
    "RP Online"); None without a host."""
    label = host_label(url)
    if not label:
        return None
    letters = [ch for ch in label if ch.isalnum()]
    if len(letters) >= 4:
        spelled = re.compile(r"(?<!\w)" + r"[\s'’.-]?".join(map(re.escape, letters)) + r"(?!\w)", re.I)
        for text in texts:
            for match in spelled.finditer(text):
                # Only a spelling that tells more than the label: words, or capitals.
                if " " in match.group() or match.group() != match.group().lower():
                    return match.group()
    words = [w for w in label.split("-") if w]
    return " ".join(w.upper() if len(w) <= 3 and w.isalpha() else w.capitalize() for w in words) or None
