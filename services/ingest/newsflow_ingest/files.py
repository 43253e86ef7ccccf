"""Reading documents from local files: .txt, .html/.htm, .json (object or array) and .jsonl."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from newsflow_shared.models import RawDocument, SourceHints, stable_doc_id
from newsflow_shared.stage import Rejected
from newsflow_shared.urls import url_doc_id

CONTENT_TYPES = {".txt": "text/plain", ".text": "text/plain", ".html": "text/html", ".htm": "text/html"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
SUPPORTED_SUFFIXES = frozenset(CONTENT_TYPES) | JSON_SUFFIXES
WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")

# Keys a JSON record may use for its content, in order of preference, and the type they imply.
_JSON_CONTENT_KEYS = (("html", "text/html"), ("content", None), ("text", "text/plain"), ("body", None))


def _supported(path: Path) -> bool:
    name = path.name.lower()
    return path.suffix.lower() in SUPPORTED_SUFFIXES or name.endswith(WARC_SUFFIXES)


def list_files(source: Path, limit: int) -> list[Path]:
    """The supported files under ``source`` (itself if a file), sorted for a stable order."""
    if source.is_file():
        return [source]
    files = sorted(p for p in source.rglob("*") if p.is_file() and _supported(p))
    if len(files) > limit:
        raise Rejected("too_many_files", f"{source} holds {len(files)} files; the limit is {limit}")
    return files


def read_documents(
    path: Path, display: str, request_id: str, max_bytes: int, max_records: int = 10_000
) -> Iterator[RawDocument | Rejected]:
    """Every document in one file; a bad record inside a JSON file becomes a ``Rejected`` item."""
    size = path.stat().st_size
    file_id = stable_doc_id(f"file:{path.resolve()}")
    suffix = path.suffix.lower()
    if suffix not in JSON_SUFFIXES:
        if size > max_bytes:
            yield Rejected("document_too_large", f"{display}: {size} bytes > {max_bytes}", doc_id=file_id)
            return
        yield RawDocument(
            doc_id=file_id,
            request_id=request_id,
            source=display,
            content=path.read_bytes(),
            content_type=CONTENT_TYPES.get(suffix),
        )
        return
    if size > max_bytes * 64:
        yield Rejected("document_too_large", f"{display}: JSON file of {size} bytes", doc_id=file_id)
        return
    yield from _read_json(path, display, request_id, max_bytes, max_records)


def _read_json(
    path: Path, display: str, request_id: str, max_bytes: int, max_records: int
) -> Iterator[RawDocument | Rejected]:
    data = path.read_bytes()
    file_id = stable_doc_id(f"file:{path.resolve()}")
    if path.suffix.lower() == ".json":
        try:
            parsed = json.loads(data)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: nested too deep
            yield Rejected("invalid_json", f"{display}: {exc}", doc_id=file_id, payload=data[:4096])
            return
        records = parsed if isinstance(parsed, list) else [parsed]
        if len(records) > max_records:
            yield Rejected("too_many_records", f"{display}: {len(records)} records > {max_records}", doc_id=file_id)
            return
        lines: list[tuple[int, Any, bytes]] = [(n, record, b"") for n, record in enumerate(records, 1)]
    else:
        if data.count(b"\n") > max_records:
            yield Rejected("too_many_records", f"{display}: more than {max_records} lines", doc_id=file_id)
            return
        lines = []
        for n, line in enumerate(data.splitlines(), 1):
            if not line.strip():
                continue
            try:
                lines.append((n, json.loads(line), line))
            except (ValueError, UnicodeDecodeError, RecursionError) as exc:
                doc_id = stable_doc_id(f"file:{path.resolve()}#{n}")
                yield Rejected("invalid_json", f"{display} line {n}: {exc}", doc_id=doc_id, payload=line[:max_bytes])
    for n, record, line in lines:
        yield _json_record(
            record, f"{display}#{n}", stable_doc_id(f"file:{path.resolve()}#{n}"), request_id, line, max_bytes
        )


def _json_record(
    record: Any, display: str, fallback_id: str, request_id: str, line: bytes, max_bytes: int
) -> RawDocument | Rejected:
    if not isinstance(record, dict):
        return Rejected("schema_invalid", f"{display}: expected a JSON object", doc_id=fallback_id, payload=line)
    content, content_type = None, None
    for key, implied_type in _JSON_CONTENT_KEYS:
        if isinstance(record.get(key), str):
            content, content_type = record[key], record.get("content_type") or implied_type
            break
    if content is None:
        return Rejected(
            "missing_content", f"{display}: no html/content/text/body field", doc_id=fallback_id, payload=line
        )
    encoded = content.encode("utf-8", "replace")  # a lone surrogate (JSON "\ud800") becomes "?"
    if len(encoded) > max_bytes:
        return Rejected("document_too_large", f"{display}: {len(encoded)} bytes > {max_bytes}", doc_id=fallback_id)
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
        return Rejected("schema_invalid", f"{display}: {exc.errors()[0]['msg']}", doc_id=doc_id, payload=line)
    return RawDocument(
        doc_id=doc_id,
        request_id=request_id,
        source=display,
        url=url,
        content=encoded,
        content_type=content_type,
        charset="utf-8",
        hints=hints,
    )
