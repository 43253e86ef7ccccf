"""Reading documents from local files (.txt, .html/.htm, .json object or array, .jsonl), and the
one mapping from a JSON record to a raw document (files and the push API both use it).

A record of a JSON file is addressed as ``path#N`` (line N of a JSON Lines file, record N of a
JSON array, counting from 1): its dead letter names that address, so ``newsflow dlq replay``
asks ingest to read that one record again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from newsflow_shared.models import RawDocument, SourceHints, stable_doc_id
from newsflow_shared.stage import Rejected
from newsflow_shared.urls import url_doc_id

CONTENT_TYPES = {".txt": "text/plain", ".text": "text/plain", ".html": "text/html", ".htm": "text/html"}
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
RECORD_ADDRESS = re.compile(r"^(?P<path>.+\.(?:json|jsonl|ndjson))#(?P<number>[1-9]\d*)$", re.I)

# Keys a JSON record may use for its content, in order of preference, and the type they imply.
_JSON_CONTENT_KEYS = (("html", "text/html"), ("content", None), ("text", "text/plain"), ("body", None))


def file_id(path: Path) -> str:
    return stable_doc_id(f"file:{path.resolve()}")


def record_id(path: Path, number: int) -> str:
    return stable_doc_id(f"file:{path.resolve()}#{number}")


def read_text_file(path: Path, display: str, request_id: str, max_bytes: int) -> Iterator[RawDocument | Rejected]:
    """A .txt or .html file: one document."""
    size = path.stat().st_size
    if size > max_bytes:
        yield Rejected(
            "document_too_large", f"{display}: {size} bytes > {max_bytes}", doc_id=file_id(path), source=display
        )
        return
    yield RawDocument(
        doc_id=file_id(path),
        request_id=request_id,
        source=display,
        content=path.read_bytes(),
        content_type=CONTENT_TYPES.get(path.suffix.lower()),
    )


def read_json_file(
    path: Path, display: str, request_id: str, max_bytes: int, max_records: int, only: int | None = None
) -> Iterator[RawDocument | Rejected]:
    """Every record of a JSON or JSON Lines file (just record ``only`` when given); a bad record
    becomes a ``Rejected`` item of its own, addressed ``path#N``."""
    if path.stat().st_size > max_bytes * 64:
        yield Rejected(
            "document_too_large", f"{display}: JSON file of {path.stat().st_size} bytes", doc_id=file_id(path)
        )
        return
    data = path.read_bytes()
    if path.suffix.lower() == ".json":
        try:
            parsed = json.loads(data)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: nested too deep
            yield Rejected(
                "invalid_json", f"{display}: {exc}", doc_id=file_id(path), payload=data[:4096], source=display
            )
            return
        records = parsed if isinstance(parsed, list) else [parsed]
        if len(records) > max_records:
            yield Rejected(
                "too_many_records", f"{display}: {len(records)} records > {max_records}", doc_id=file_id(path)
            )
            return
        lines: list[tuple[int, Any, bytes]] = [(n, record, b"") for n, record in enumerate(records, 1)]
    else:
        if data.count(b"\n") > max_records:
            yield Rejected("too_many_records", f"{display}: more than {max_records} lines", doc_id=file_id(path))
            return
        lines = []
        for n, line in enumerate(data.splitlines(), 1):
            if not line.strip() or (only is not None and n != only):
                continue
            try:
                lines.append((n, json.loads(line), line))
            except (ValueError, UnicodeDecodeError, RecursionError) as exc:
                yield Rejected(
                    "invalid_json",
                    f"{display} line {n}: {exc}",
                    doc_id=record_id(path, n),
                    payload=line[:max_bytes],
                    source=f"{path}#{n}",
                )
    for n, record, line in lines:
        if only is not None and n != only:
            continue
        yield record_document(
            record,
            source=f"{display}#{n}",
            fallback_id=record_id(path, n),
            request_id=request_id,
            max_bytes=max_bytes,
            payload=line,
            address=f"{path}#{n}",
        )


def record_document(
    record: Any,
    *,
    source: str,
    fallback_id: str,
    request_id: str,
    max_bytes: int,
    payload: bytes = b"",
    address: str | None = None,
) -> RawDocument | Rejected:
    """A JSON record (content in ``html``, ``content``, ``text`` or ``body``; optionally ``url``,
    ``id``, ``title``, ``published``, ``outlet``) as a raw document. Its identity: the record's
    ``id``, else its URL (``url_doc_id``), else ``fallback_id``. ``address``: where it can be
    read again (its dead letter's source)."""
    if not isinstance(record, dict):
        return Rejected(
            "schema_invalid", f"{source}: expected a JSON object", doc_id=fallback_id, payload=payload, source=address
        )
    content, content_type = None, None
    for key, implied_type in _JSON_CONTENT_KEYS:
        if isinstance(record.get(key), str):
            content, content_type = record[key], record.get("content_type") or implied_type
            break
    if content is None:
        return Rejected(
            "missing_content",
            f"{source}: no html/content/text/body field",
            doc_id=fallback_id,
            payload=payload,
            source=address,
        )
    encoded = content.encode("utf-8", "replace")  # a lone surrogate (JSON "\ud800") becomes "?"
    if len(encoded) > max_bytes:
        return Rejected(
            "document_too_large", f"{source}: {len(encoded)} bytes > {max_bytes}", doc_id=fallback_id, source=address
        )
    url = record.get("url") if isinstance(record.get("url"), str) else None
    if isinstance(record.get("id"), str | int):
        doc_id = stable_doc_id(f"id:{record['id']}")
    elif url:
        doc_id = url_doc_id(url)
    else:
        doc_id = fallback_id
    try:
        hints = SourceHints.model_validate({k: record.get(k) for k in ("title", "published", "outlet")})
    except ValidationError as exc:
        return Rejected(
            "schema_invalid", f"{source}: {exc.errors()[0]['msg']}", doc_id=doc_id, payload=payload, source=address
        )
    return RawDocument(
        doc_id=doc_id,
        request_id=request_id,
        source=source,
        url=url,
        content=encoded,
        content_type=content_type,
        charset="utf-8",
        hints=hints,
    )
