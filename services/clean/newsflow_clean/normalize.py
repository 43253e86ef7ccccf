"""Pure text normalization: bytes → well-formed, NFC, whitespace-normalized Unicode."""

from __future__ import annotations

import codecs
import re
import unicodedata
from bisect import bisect_right
from itertools import accumulate

import charset_normalizer
import ftfy
import ftfy.badness

from newsflow_shared.models import DocumentFormat
from newsflow_shared.stage import Rejected

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_INLINE_SPACE = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\ufeff]+")
_ZERO_WIDTH = re.compile(r"[\u200b\u2060]")
_MANY_BLANKS = re.compile(r"\n{3,}")
_HTML_START = re.compile(r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title)\b", re.I | re.S)
_TAG = re.compile(r"<[a-zA-Z][^>]{0,300}>")
_SCRIPT_STYLE = re.compile(r"<(script|style|noscript)\b.*?</\1\s*>", re.I | re.S)
_ANY_TAG = re.compile(r"<[^>]+>")

MAX_CONTROL_RATIO = 0.05
"""Above this share of control characters the input is treated as binary, not text."""


def decode(content: bytes, declared_charset: str | None) -> str:
    """Decode bytes: BOM, then the declared charset, then UTF-8, then statistical detection."""
    if not content:
        raise Rejected("empty_document", "document has no content")
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            return content.decode(encoding, errors="replace")
    candidates = [declared_charset] if declared_charset else []
    for encoding in [*candidates, "utf-8"]:
        try:
            return content.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    if content.count(b"\x00") > len(content) * MAX_CONTROL_RATIO:
        raise Rejected("binary_content", "content has too many NUL bytes to be text")
    best = charset_normalizer.from_bytes(content[: 1 << 20]).best()
    if best is not None and best.encoding:
        return content.decode(best.encoding, errors="replace")
    return content.decode("utf-8", errors="replace")


# Lines ftfy would change: those with fullwidth forms, Latin ligatures or C1 controls (always
# fixed), and those holding a possible mojibake pair that ftfy's own badness test flags. UTF-8
# read as Latin-1/cp1252 or as cp1251 turns each multi-byte character into a lead (Â..ô, or a
# Cyrillic letter) followed by what a continuation byte (0x80-0xBF) reads as in those code
# pages; accented or Cyrillic text that is fine rarely has such a pair, so the badness test (a
# large regex, 40% of this stage's CPU on German and Russian pages when every line with "ä" or
# a Cyrillic letter went through it) runs on one line in ninety of the development pages'.
_FIXED_ALWAYS = "\u0080-\u009f\uff01-\uff5e\ufb00-\ufb06"
_LEADS = "\u00c2-\u00f4\u0400-\u04ff"
_ALWAYS_FIX = re.compile(f"[{_FIXED_ALWAYS}]")
_CONTINUATIONS = "".join(
    sorted(
        {chr(byte) for byte in range(0x80, 0xC0)}
        | {ch for page in ("cp1252", "cp1251") for ch in bytes(range(0x80, 0xC0)).decode(page, errors="ignore")}
    )
)
_MOJIBAKE_PAIR = re.compile(f"[{_LEADS}][{re.escape(_CONTINUATIONS)}]")


def _ftfy_would_fix(line: str) -> bool:
    return bool(_ALWAYS_FIX.search(line)) or bool(_MOJIBAKE_PAIR.search(line) and ftfy.badness.is_bad(line))


_SEGMENT_CHARS = 4096
_SAFE_CUT = re.compile(r"[\s>;]")


def _segments(text: str) -> list[str]:
    """Lines, with very long ones (minified markup, inline styles) cut after whitespace, '>' or
    ';' into pieces of about 4 KiB, so one stray character costs ftfy a piece, not 350 KB.
    A mojibake sequence never contains those ASCII characters, so no cut splits one."""
    pieces = []
    for line in text.splitlines(keepends=True):
        rest = line
        while len(rest) > _SEGMENT_CHARS:
            match = _SAFE_CUT.search(rest, _SEGMENT_CHARS)
            if match is None:
                break
            pieces.append(rest[: match.end()])
            rest = rest[match.end() :]
        pieces.append(rest)
    return pieces


_SUSPECT = re.compile(f"[{_FIXED_ALWAYS}{_LEADS}](?:(?<=[{_FIXED_ALWAYS}])|(?=[{re.escape(_CONTINUATIONS)}]))")
"""Where a line could need ftfy at all: a character it always fixes, or a mojibake pair's lead.
Written as one character class first, so that the scan skips ahead as fast as for a single
class; the alternation of the two patterns above scanned five times slower."""


def _suspect_pieces(pieces: list[str], suspects: list[int]) -> list[int]:
    """Indexes of the ``pieces`` of a text (``_segments``) that hold one of its ``suspects`` (the
    offsets of its ``_SUSPECT`` characters, found in one pass over the text rather than two
    searches per line: a page of accented text has hundreds of lines, most with no such character)."""
    ends = list(accumulate(len(piece) for piece in pieces))
    return sorted({bisect_right(ends, offset) for offset in suspects})


def repair(text: str) -> str:
    """Fix mojibake and normalize to NFC; remove control characters. Quotes stay curly."""
    controls = len(_CONTROL.findall(text))
    if text and controls > len(text) * MAX_CONTROL_RATIO:
        raise Rejected("binary_content", f"{controls} control characters in {len(text)}")
    text = _CONTROL.sub("", text)
    # ftfy works line by line at ~0.07 ms a line, and a page's markup and scripts are thousands of
    # lines. Only lines that could hold something it fixes go through it (docs/performance.md),
    # and a page with no character that could start a fix (most English pages) is not split at all.
    if suspects := [match.start() for match in _SUSPECT.finditer(text)]:
        pieces = _segments(text)
        for k in _suspect_pieces(pieces, suspects):
            if _ftfy_would_fix(pieces[k]):
                pieces[k] = ftfy.fix_text(pieces[k], uncurl_quotes=False, unescape_html=False, normalization="NFC")
        text = "".join(pieces)
    return unicodedata.normalize("NFC", text)


def normalize_whitespace(text: str, fmt: DocumentFormat) -> str:
    """Unify line breaks; for text also collapse inline spaces, trim lines and long blank runs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    if fmt == "html":
        return text.strip()
    text = _ZERO_WIDTH.sub("", text)
    lines = [_INLINE_SPACE.sub(" ", line).strip() for line in text.split("\n")]
    return _MANY_BLANKS.sub("\n\n", "\n".join(lines)).strip()


def detect_format(text: str, content_type: str | None) -> DocumentFormat:
    """HTML or plain text, from the declared type when it is specific, else by sniffing."""
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared in {"text/html", "application/xhtml+xml"}:
        return "html"
    head = text[:4096]
    if _HTML_START.match(head):
        return "html"
    if declared == "text/plain":
        return "text"
    # Undeclared: markup-dense content is HTML (a fragment without <html>, say).
    return "html" if len(_TAG.findall(head)) >= 8 else "text"


def visible_text(html: str) -> str:
    """A rough visible-text view of HTML, good enough for language identification."""
    return _ANY_TAG.sub("\n", _SCRIPT_STYLE.sub(" ", html))
