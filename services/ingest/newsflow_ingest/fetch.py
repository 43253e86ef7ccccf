"""Fetching over HTTP(S), politely and defensively.

Per host: at most ``per_host_concurrency`` requests at once and ``politeness_delay_s`` between
their starts; robots.txt honoured (fetched once per host and cached). Per request: connect and
read timeouts, redirects followed by hand (bounded, loops detected, every hop through the SSRF
guard), the body streamed under a size cap that counts *decoded* bytes (gzip, deflate, brotli),
so a decompression bomb stops at the cap; 429 and 5xx retried with exponential backoff,
honouring Retry-After up to a ceiling. Every failure is a :class:`SourceError` with a reason
code the ingest stage turns into a dead letter.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from newsflow_ingest.errors import SourceError
from newsflow_shared.guard import AddressPolicy, BlockedAddressError, GuardedTransport
from newsflow_shared.settings import IngestSettings

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
ROBOTS_TTL_S = 3600.0


@dataclass(frozen=True)
class Fetched:
    """A successful response: the final URL (after redirects), its body and what it declared."""

    url: str
    status: int
    content: bytes
    content_type: str | None
    charset: str | None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def declared_charset(content_type: str | None) -> str | None:
    for part in (content_type or "").split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


def retry_after_s(value: str | None, now: float | None = None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


@dataclass
class _Host:
    gate: asyncio.Semaphore
    next_start: float = 0.0
    robots: RobotFileParser | None = None
    robots_fetched: float = 0.0


class Fetcher:
    """One HTTP client for the ingest service (connection reuse, per-host state)."""

    def __init__(self, settings: IngestSettings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        policy = AddressPolicy.of(settings.allow_private_network, settings.allowed_private_endpoints)
        self.client = httpx.AsyncClient(
            transport=transport or GuardedTransport(policy),
            timeout=httpx.Timeout(settings.read_timeout_s, connect=settings.connect_timeout_s),
            follow_redirects=False,
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate, br"},
        )
        self._hosts: dict[str, _Host] = {}

    async def close(self) -> None:
        await self.client.aclose()

    def _host(self, url: str) -> _Host:
        key = urlsplit(url).netloc.lower()
        if key not in self._hosts:
            self._hosts[key] = _Host(asyncio.Semaphore(self.settings.per_host_concurrency))
        return self._hosts[key]

    async def fetch(
        self, url: str, headers: Mapping[str, str] | None = None, accept: frozenset[str] | None = None
    ) -> Fetched:
        """GET ``url`` following redirects; ``accept``: media types allowed (None: any)."""
        seen: set[str] = set()
        current = url
        for _ in range(self.settings.max_redirects + 1):
            parts = urlsplit(current)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise SourceError("unsupported_scheme", f"not an http(s) URL: {current[:200]}")
            if current in seen:
                raise SourceError("redirect_loop", f"redirects loop back to {current[:200]}")
            seen.add(current)
            if self.settings.respect_robots and not await self._robots_allow(current):
                raise SourceError("robots_disallowed", f"robots.txt disallows {current[:200]}")
            fetched = await self._with_retries(current, headers or {})
            if fetched.status in (301, 302, 303, 307, 308):
                location = fetched.headers.get("location")
                if not location:
                    raise SourceError("http_error", f"{fetched.status} without a Location from {current[:200]}")
                current = urljoin(current, location)
                continue
            if fetched.status == 304:
                return fetched
            if fetched.status >= 400:
                raise SourceError("http_error", f"HTTP {fetched.status} from {current[:200]}")
            if accept is not None and media_type(fetched.content_type) not in accept:
                raise SourceError(
                    "unsupported_content_type", f"{media_type(fetched.content_type) or 'no type'} from {current[:200]}"
                )
            return fetched
        raise SourceError("too_many_redirects", f"more than {self.settings.max_redirects} redirects from {url[:200]}")

    async def _with_retries(self, url: str, headers: Mapping[str, str]) -> Fetched:
        for attempt in range(self.settings.max_retries + 1):
            fetched = await self._once(url, headers)
            if fetched.status not in RETRIED_STATUSES or attempt == self.settings.max_retries:
                return fetched
            wait = retry_after_s(fetched.headers.get("retry-after"))
            if wait is not None and wait > self.settings.max_retry_after_s:
                raise SourceError("rate_limited", f"{url[:200]} asks to retry after {wait:.0f}s")
            backoff = self.settings.retry_backoff_s * 2**attempt * (1 + random.random() / 4)
            await asyncio.sleep(wait if wait is not None else backoff)
        raise AssertionError("unreachable")

    async def _once(self, url: str, headers: Mapping[str, str]) -> Fetched:
        host = self._host(url)
        async with host.gate:
            delay = host.next_start - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            host.next_start = time.monotonic() + self.settings.politeness_delay_s
            try:
                async with self.client.stream("GET", url, headers=dict(headers)) as response:
                    content = await self._read_capped(response, url)
                    return Fetched(
                        url=url,
                        status=response.status_code,
                        content=content,
                        content_type=response.headers.get("content-type"),
                        charset=declared_charset(response.headers.get("content-type")),
                        headers={k.lower(): v for k, v in response.headers.items()},
                    )
            except BlockedAddressError as exc:
                raise SourceError("blocked_address", str(exc)) from exc
            except httpx.TimeoutException as exc:
                raise SourceError("timeout", f"{type(exc).__name__} fetching {url[:200]}") from exc
            except httpx.DecodingError as exc:
                raise SourceError("bad_encoding", f"undecodable body from {url[:200]}: {exc}") from exc
            except httpx.TransportError as exc:
                raise SourceError("connect_error", f"{type(exc).__name__} fetching {url[:200]}: {exc}") from exc

    async def _read_capped(self, response: httpx.Response, url: str) -> bytes:
        limit = self.settings.max_document_bytes
        declared = response.headers.get("content-length", "")
        encoded = response.headers.get("content-encoding", "identity").lower() not in ("", "identity")
        if declared.isdigit() and int(declared) > limit and not encoded:
            raise SourceError("too_large", f"{url[:200]} declares {declared} bytes > {limit}")
        chunks, total = [], 0
        async for chunk in response.aiter_bytes():
            total += len(chunk)
            if total > limit:
                raw = response.num_bytes_downloaded
                if encoded and raw and total / raw > self.settings.max_decompression_ratio:
                    raise SourceError("decompression_bomb", f"{url[:200]}: {raw} bytes inflate past {limit}")
                raise SourceError("too_large", f"{url[:200]}: more than {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    async def _robots_allow(self, url: str) -> bool:
        host = self._host(url)
        if host.robots is None or time.monotonic() - host.robots_fetched > ROBOTS_TTL_S:
            parts = urlsplit(url)
            robots = RobotFileParser()
            try:
                fetched = await self._once(f"{parts.scheme}://{parts.netloc}/robots.txt", {})
            except SourceError as exc:
                if exc.reason == "blocked_address":
                    raise
                fetched = None  # unreachable robots.txt: nothing disallowed (as most crawlers do)
            if fetched is not None and fetched.status < 400:
                robots.parse(fetched.content.decode("utf-8", "replace").splitlines())
            else:
                robots.parse([])  # 4xx: no robots.txt, everything allowed
            host.robots, host.robots_fetched = robots, time.monotonic()
        return host.robots.can_fetch(self.settings.user_agent.split("/", 1)[0], url)
