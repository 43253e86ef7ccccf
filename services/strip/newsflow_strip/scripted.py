"""The article of a page that carries it only in its scripts, as markup for the block classifier.

Sites built on client-side frameworks may send a page whose ``<body>`` holds no prose at all:
the article arrives as data for the browser to render. Two forms are common, and both carry the
article's own HTML:

- Next.js's App Router streams React Server Components data in ``self.__next_f.push([1, "…"])``
  calls; long strings travel there as *text rows* (``24:T1b7b,<p>…``: an id, ``T``, the length
  in UTF-8 bytes in hex, then the text) or as JSON string values (``"__html":"<p>…"``);
- Next.js's Pages Router (``<script id="__NEXT_DATA__" type="application/json">``) and other
  frameworks put the page's data, HTML strings included, in a JSON script.

``scripted_html`` gathers the strings of markup found there (paragraphs, line breaks, headings,
list items or quotes), in the order they come, each once, into one HTML document; the strip stage
reads it instead of the empty body. Whatever else such a string holds (a teaser, a caption) is
left to the classifier, as on any page.
"""

from __future__ import annotations

import json
import re
from typing import Any

_FLIGHT_PUSH = re.compile(r'self\.__next_f\.push\(\[1,\s*("(?:[^"\\]|\\.)*")\]\)')
_TEXT_ROW = re.compile(r"(?:^|\n)[0-9a-f]+:T([0-9a-f]+),")
_JSON_STRING = re.compile(r'(?<=[:,\[])\s*"((?:[^"\\]|\\.){200,}?)"')
"""A JSON string value (after ``:``, ``,`` or ``[``) of 200 characters or more."""
_MARKUP = re.compile(r"<(?:p|br|h[1-6]|li|blockquote)\b", re.I)


def _flight_data(scripts: list[str]) -> str:
    """The React Server Components stream that ``self.__next_f.push`` calls carry, joined."""
    parts = []
    for script in scripts:
        for match in _FLIGHT_PUSH.finditer(script):
            try:
                parts.append(json.loads(match.group(1)))
            except ValueError:
                continue
    return "".join(p for p in parts if isinstance(p, str))


def _text_rows(flight: str) -> list[str]:
    data = flight.encode("utf-8", "surrogatepass")
    rows = []
    chars = start = 0  # the byte offset of character ``chars``, advanced row by row (one pass)
    for match in _TEXT_ROW.finditer(flight):
        start += len(flight[chars : match.end()].encode("utf-8", "surrogatepass"))
        chars = match.end()
        rows.append(data[start : start + int(match.group(1), 16)].decode("utf-8", "ignore"))
    return rows


def _json_strings(text: str) -> list[str]:
    strings = []
    for match in _JSON_STRING.finditer(text):
        raw = match.group(1)
        if "<" not in raw and "\\u003c" not in raw.lower():
            continue
        try:
            value = json.loads(f'"{raw}"')
        except ValueError:
            continue
        if isinstance(value, str):
            strings.append(value)
    return strings


def scripted_html(tree: Any) -> str | None:
    """An HTML document of the markup strings in the page's scripts (see the module docstring),
    or None if they hold none."""
    scripts, data_scripts = [], []
    for script in tree.iter("script"):
        text = script.text
        if not text or script.get("src") is not None:
            continue
        if (script.get("type") or "").lower() == "application/json":  # JSON-LD is metadata, read elsewhere
            data_scripts.append(text)
        elif "__next_f" in text:
            scripts.append(text)
    flight = _flight_data(scripts)
    candidates = [*_text_rows(flight), *_json_strings(flight)]
    for text in data_scripts:
        candidates += _json_strings(text)
    fragments = dict.fromkeys(c for c in candidates if _MARKUP.search(c))
    if not fragments:
        return None
    return "<html><body>" + "".join(f"<div>{fragment}</div>" for fragment in fragments) + "</body></html>"
