"""The hostile corpus: hand-made files in ``handmade/`` plus generated ones, over 100 cases.

Generated at test time (the large ones would bloat the repository): empty and blank files,
binary noise, invalid UTF-8, mixed and lying encodings, a 50 MB text, a single 5 MB line, HTML
nested 100,000 levels deep, HTML of only scripts, malformed and wrong-schema JSON, huge JSON
arrays, NUL bytes, right-to-left and combining-character floods, control characters, UTF-16/32
without and with BOMs, a gzip bomb and a WARC whose record inflates past the cap. Each case must
end indexed, dropped or dead-lettered with a specific reason; none may crash or stall a service.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import shutil
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

HANDMADE = Path(__file__).parent / "handmade"
PROSE = (
    "The regional council met on Tuesday to debate the budget for schools and roads, and the "
    "mayor said the vote would be held after the summer recess. "
)


def _write(directory: Path, name: str, data: bytes | str) -> None:
    path = directory / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)


def write_corpus(directory: Path, seed: int = 6) -> int:
    """Write every case into ``directory``; returns how many files it holds."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    for path in HANDMADE.iterdir():
        shutil.copy(path, directory / path.name)

    # Empty, blank and tiny.
    for suffix in ("txt", "html", "json", "jsonl", "htm"):
        _write(directory, f"empty.{suffix}", b"")
    for n, blank in enumerate([" ", "\n\n\n", "\t \r\n", "\u00a0\u2003\u3000", "<html></html>", "<p></p>"]):
        _write(directory, f"blank_{n}.{'html' if blank.startswith('<') else 'txt'}", blank)

    # Binary noise and files that claim to be text.
    for n, size in enumerate([1, 100, 4096, 65536, 1 << 20]):
        _write(directory, f"binary_{n}.txt", rng.randbytes(size))
    _write(directory, "png_as_html.html", b"\x89PNG\r\n\x1a\n" + rng.randbytes(5000))
    _write(directory, "gzip_bomb.txt", gzip.compress(b"\0" * (64 << 20)))

    # Invalid UTF-8 and mixed encodings.
    invalid = [
        b"\xff\xfe\xfd",
        b"\xc3\x28",
        b"\xa0\xa1",
        b"\xe2\x28\xa1",
        b"\xf0\x28\x8c\xbc",
        b"\xed\xa0\x80",
        b"\xc0\xaf",
    ]
    for n, junk in enumerate(invalid):
        _write(directory, f"invalid_utf8_{n}.txt", PROSE.encode() + junk + PROSE.encode() + junk * 50)
    for n, encoding in enumerate(["latin-1", "cp1251", "shift_jis", "cp1252", "koi8-r"]):
        mixed = (
            PROSE.encode() + "Überall café – naïve".encode(encoding, "replace") + "привет мир".encode() + PROSE.encode()
        )
        _write(directory, f"mixed_encoding_{n}.txt", mixed * 3)
    for n, (encoding, bom) in enumerate(
        [("utf-16-le", True), ("utf-16-be", True), ("utf-32", False), ("utf-16", False)]
    ):
        data = (PROSE * 4).encode(encoding)
        _write(
            directory,
            f"wide_{n}.txt",
            (b"\xff\xfe" if bom and encoding.endswith("le") else b"\xfe\xff" if bom else b"") + data,
        )

    # Size extremes.
    _write(directory, "fifty_megabytes.txt", (PROSE * 340_000)[: 50 << 20])
    _write(directory, "one_five_megabyte_line.txt", (PROSE.replace(". ", "; ") * 30_000)[: 5 << 20])
    _write(directory, "million_short_lines.txt", "a b\n" * 1_000_000)

    # Pathological HTML.
    _write(
        directory,
        "nested_100k.html",
        "<html><body>" + "<div>" * 100_000 + PROSE + "</div>" * 100_000 + "</body></html>",
    )
    _write(directory, "nested_unclosed.html", "<html><body>" + "<span><b><i>" * 30_000 + PROSE)
    for n in range(3):
        scripts = "".join(f"<script>var x{i} = '{PROSE}';</script>" for i in range(200 * (n + 1)))
        _write(directory, f"only_scripts_{n}.html", f"<html><head>{scripts}</head><body>{scripts}</body></html>")
    _write(
        directory,
        "attribute_flood.html",
        "<html><body><p " + " ".join(f'a{i}="{i}"' for i in range(50_000)) + ">x</p></body></html>",
    )
    _write(directory, "comment_flood.html", "<html><body>" + "<!-- nothing -->" * 200_000 + "</body></html>")
    _write(
        directory, "entity_flood.html", "<html><body><p>" + "&amp;&lt;&#x1F600;&nbsp;" * 100_000 + "</p></body></html>"
    )
    _write(directory, "table_nest.html", "<table><tr><td>" * 5000 + PROSE + "</td></tr></table>" * 5000)
    _write(
        directory,
        "lying_meta_charset.html",
        f'<html><head><meta charset="utf-16"></head><body><p>{PROSE}</p></body></html>',
    )
    _write(
        directory,
        "xml_bomb.html",
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><html><body>&b;&b;</body></html>',
    )

    # Unicode floods.
    _write(directory, "rtl_flood.txt", ("\u202e" + "مرحبا بالعالم " * 5 + "\u202c") * 2000)
    _write(directory, "combining_flood.txt", "Z" + "\u0301\u0302\u0303\u0304\u0305" * 200_000)
    _write(directory, "zalgo_words.txt", " ".join("w" + "\u0336\u0337" * 30 for _ in range(20_000)))
    _write(directory, "control_chars.txt", "".join(chr(c) for c in range(1, 32) if c not in (9, 10, 13)) * 10_000)
    _write(directory, "zero_width_flood.txt", PROSE + "\u200b\u200c\u200d\ufeff" * 250_000 + PROSE)
    _write(directory, "surrogates_escaped.txt", (PROSE + "\\ud800\\udfff ") * 100)
    _write(directory, "emoji_flood.txt", "😀🏳️‍🌈👨‍👩‍👧‍👦" * 100_000)
    _write(directory, "nul_flood.txt", b"\0" * 100_000)

    # JSON: malformed, wrong schema, huge.
    malformed = ['{"html": ', "{'single': 'quotes'}", "[1, 2,", '{"a": NaN, "text": "x"}', "\ufeff{", '{"text": "unterminated}',
                 "{}{}", '{"text": "\\ud800"}', "nul\x00l", '{"text": "a"} trailing']  # fmt: skip
    for n, text in enumerate(malformed):
        _write(directory, f"malformed_{n}.json", text)
    wrong = [{"schema_version": 99, "text": PROSE}, {"title": "no content"}, {"html": 42}, {"text": PROSE, "published": "not a date"},
             [1, "two", None], {"text": PROSE, "published": "0001-01-01T00:00:00Z"}, {"text": PROSE, "id": {"nested": True}}]  # fmt: skip
    for n, record in enumerate(wrong):
        _write(directory, f"wrong_schema_{n}.json", json.dumps(record))
    _write(directory, "huge_array.json", json.dumps(list(range(200_000))))
    _write(directory, "huge_records.json", json.dumps([{"text": f"{PROSE} {i}"} for i in range(20_000)]))
    _write(directory, "deep_json.json", "[" * 100_000 + "]" * 100_000)
    _write(directory, "huge_jsonl.jsonl", "\n".join(json.dumps({"text": f"line {i}"}) for i in range(20_000)))
    _write(directory, "jsonl_garbage.jsonl", "\n".join(rng.randbytes(40).hex() for _ in range(50)))

    # Archives.
    _write(directory, "broken.warc.gz", b"\x1f\x8b" + rng.randbytes(2000))
    _write(directory, "not_a_warc.warc", PROSE * 10)
    _write(directory, "warc_bomb.warc.gz", _warc_with_bomb())

    # Names and odd-but-valid documents.
    _write(directory, "ünïcödé nämé 名前.txt", PROSE * 5)
    _write(directory, "spaces and 'quotes'.txt", PROSE * 5)
    for n in range(12):
        words = " ".join(
            rng.choice(["news", "report", "minister", "said", "today", "border", "talks"]) for _ in range(300 + n * 50)
        )
        _write(directory, f"word_salad_{n}.txt", words)
    for n in range(8):
        _write(
            directory,
            f"boilerplate_only_{n}.txt",
            "\n".join(["Home", "Sign in", "Subscribe", "Cookie settings", "© 2021", "Privacy"] * (n + 1)),
        )
    return sum(1 for _ in directory.iterdir())


def _warc_with_bomb() -> bytes:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
    payload = io.BytesIO(b"<p>" + b"A" * (40 << 20) + b"</p>")
    writer.write_record(
        writer.create_warc_record("https://bomb.example/", "response", payload=payload, http_headers=headers)
    )
    return out.getvalue()
