"""WARC files (how crawl archives bulk-load news): every HTML response record is a document."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from newsflow_ingest.fetch import declared_charset, media_type
from newsflow_ingest.web import PAGE_TYPES
from newsflow_shared.dates import parse_iso
from newsflow_shared.models import RawDocument, stable_doc_id, utc_now
from newsflow_shared.stage import Rejected
from newsflow_shared.urls import url_doc_id

WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")


def _fetched_at(value: str | None) -> datetime:
    return parse_iso(value) or utc_now()


def read_warc(path: Path, request_id: str, max_bytes: int, limit: int) -> Iterator[RawDocument | Rejected]:
    """The HTML and text response records of a WARC (at most ``limit``), each a raw document."""
    count = 0
    try:
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                content_type = record.http_headers.get_header("Content-Type")
                if media_type(content_type) not in PAGE_TYPES or record.http_headers.get_statuscode() != "200":
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI") or ""
                body = record.content_stream().read(max_bytes + 1)
                count += 1
                if len(body) > max_bytes:
                    yield Rejected(
                        "document_too_large", f"{url[:200]} in {path.name}: > {max_bytes} bytes", doc_id=url_doc_id(url)
                    )  # no source to re-read: the same archive gives the same record
                else:
                    yield RawDocument(
                        doc_id=url_doc_id(url),
                        request_id=request_id,
                        source=url or f"{path}#{count}",
                        url=url or None,
                        content=body,
                        content_type=content_type,
                        charset=declared_charset(content_type),
                        fetched_at=_fetched_at(record.rec_headers.get_header("WARC-Date")),
                    )
                if count >= limit:
                    return
    except (ArchiveLoadFailed, OSError, ValueError, EOFError) as exc:
        yield Rejected("malformed_warc", f"{path.name}: {exc}", doc_id=stable_doc_id(f"file:{path.resolve()}"))
