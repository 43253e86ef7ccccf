"""The alerts service: saved searches matched against each newly indexed document.

A sink stage on the lineage events topic, run by the runtime like every stage (its consumer
group, partitions shared among replicas, commit after the batch, dead letters): for each
``indexed`` event it reads the document from the document cache, adds it to the feed of newly
indexed documents (``GET /v1/stream``), matches it against every saved alert and POSTs a JSON
notification to each matching alert's webhook.

Delivery is retried with backoff (timeouts, refused connections, 429 and 5xx), signed when the
alert has a secret (``X-Newsflow-Signature: sha256=<HMAC of the body>``), every attempt is
logged in the alert's events with its outcome, and an acknowledged notification is remembered in
the same Redis transaction, so a batch redelivered after a crash does not notify twice (only a
crash between the webhook's answer and that write can: no sender can rule that out, and each
attempt carries the same ``Idempotency-Key`` for the receiver to drop a repeat by). Webhook targets
go through the same SSRF guard as fetching: private addresses are refused unless allowed.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Sequence

import httpx
from redis.asyncio import Redis

from newsflow_index.alerts import AlertStore, Searchable, notification, starts_story
from newsflow_index.cache import DocumentCache
from newsflow_index.query import parse_query
from newsflow_shared import topics
from newsflow_shared.alerts_api import Alert, AlertEvent, AlertNotification
from newsflow_shared.guard import AddressPolicy, BlockedAddressError, GuardedTransport
from newsflow_shared.models import ExtractedDocument, StageEvent
from newsflow_shared.settings import AlertSettings, Settings
from newsflow_shared.stage import Rejected, Stage, StageResult

log = logging.getLogger("newsflow.alerts")

NOT_CACHED = "document_not_cached"


def webhook_policy(settings: AlertSettings) -> AddressPolicy:
    return AddressPolicy.of(settings.allow_private_network, settings.allowed_private_endpoints)


class WebhookNotifier:
    """POSTs notifications through the guard, retrying with exponential backoff."""

    def __init__(self, settings: AlertSettings) -> None:
        self.attempts = settings.delivery_attempts
        self.backoff_s = settings.delivery_backoff_s
        self.client = httpx.AsyncClient(
            transport=GuardedTransport(webhook_policy(settings)),
            timeout=settings.delivery_timeout_s,
            follow_redirects=False,  # a redirect is an answer, not an invitation to go elsewhere
            headers={"User-Agent": "newsflow-alerts/1", "Content-Type": "application/json"},
        )

    async def deliver(self, url: str, note: AlertNotification, secret: str | None = None) -> list[AlertEvent]:
        """Try until delivered, refused for good, or out of attempts: one event per attempt.
        With a ``secret``, each POST is signed (``X-Newsflow-Signature``)."""
        events: list[AlertEvent] = []
        body = note.model_dump_json()
        headers = {"Idempotency-Key": note.delivery_id}
        if secret:
            digest = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
            headers["X-Newsflow-Signature"] = f"sha256={digest}"
        for attempt in range(1, self.attempts + 1):
            status: int | None = None
            error: str | None = None
            worth_retrying = False
            try:
                answer = await self.client.post(url, content=body, headers=headers)
                status = answer.status_code
            except BlockedAddressError as exc:
                error = f"blocked: {exc}"
            except httpx.HTTPError as exc:
                error, worth_retrying = f"{type(exc).__name__}: {exc}"[:500], True
            if status is not None:
                if 200 <= status < 300:
                    delivered = AlertEvent(
                        doc_id=note.doc_id, outcome="delivered", attempt=attempt, status=status, notification=note
                    )
                    return [*events, delivered]
                error = f"HTTP {status}"
                worth_retrying = status == 429 or status >= 500  # a 4xx will not change by retrying
            retrying = worth_retrying and attempt < self.attempts
            events.append(
                AlertEvent(
                    doc_id=note.doc_id,
                    outcome="retrying" if retrying else "failed",
                    attempt=attempt,
                    status=status,
                    error=error,
                    notification=note,
                )
            )
            if not retrying:
                break
            await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1))
        return events

    async def close(self) -> None:
        await self.client.aclose()


class AlertStage(Stage[StageEvent, StageEvent]):
    """Lineage events → newly indexed documents → the feed, alert matches and webhooks."""

    name = "alerts"
    input_model = StageEvent
    input_topic = topics.EVENTS
    output_topic = None
    records_lineage = False  # its own events would feed it

    def __init__(self, store: AlertStore, cache: DocumentCache, notifier: WebhookNotifier) -> None:
        self.store = store
        self.cache = cache
        self.notifier = notifier

    def process(self, doc: StageEvent) -> StageEvent:
        raise NotImplementedError("AlertStage reads Redis and calls webhooks: use process_batch")

    async def process_batch(self, docs: Sequence[StageEvent]) -> list[StageResult]:
        results: list[StageResult] = list(docs)
        wanted = [
            (i, e.doc_id) for i, e in enumerate(docs) if e.stage == "index" and e.outcome == "indexed" and e.doc_id
        ]
        if not wanted:
            return results
        cached = await self.cache.get_many([doc_id for _, doc_id in wanted])
        indexed: list[ExtractedDocument] = []
        for (i, doc_id), doc in zip(wanted, cached, strict=True):
            if doc is None:
                # Never a silent miss: the alert could not be matched without the document.
                results[i] = Rejected(NOT_CACHED, f"{doc_id} is not in the document cache (evicted, or no cache)")
            else:
                indexed.append(doc)
        await self.store.publish(indexed)
        await self._notify(await self.store.all(), indexed)
        return results

    async def _notify(self, alerts: Sequence[Alert], docs: Sequence[ExtractedDocument]) -> None:
        queries = [parse_query(alert.query) for alert in alerts]  # each parsed, each document read, once
        searchable = [Searchable.of(doc) for doc in docs]
        matched = [
            (alert, doc)
            for alert, query in zip(alerts, queries, strict=True)
            for doc, terms in zip(docs, searchable, strict=True)
            if (alert.on == "document" or starts_story(doc)) and terms.matches(query, alert.filters)
        ]
        done = await self.store.delivered([(alert.id, doc.doc_id) for alert, doc in matched])
        await asyncio.gather(
            *(self._one(alert, doc) for (alert, doc), sent in zip(matched, done, strict=True) if not sent)
        )

    async def _one(self, alert: Alert, doc: ExtractedDocument) -> None:
        note = notification(alert, doc)
        if alert.webhook_url is None:
            events = [AlertEvent(doc_id=doc.doc_id, outcome="no_webhook", notification=note)]
        else:
            secret = alert.secret.get_secret_value() if alert.secret else None
            events = await self.notifier.deliver(alert.webhook_url, note, secret)
        final = events[-1]
        await self.store.record(alert.id, events, doc.doc_id, delivered=final.outcome in ("delivered", "no_webhook"))
        log.info(
            "alert %s: %s %s (attempt %d%s)",
            alert.id,
            final.outcome,
            doc.doc_id,
            final.attempt,
            f", {final.error}" if final.error else "",
        )

    async def stop(self) -> None:
        await self.notifier.close()
        await self.store.close()
        await self.cache.redis.aclose()


def create_stage(settings: Settings, *, standalone: bool = False) -> AlertStage:
    """Entry point used by ``newsflow service alerts``."""
    if standalone:
        raise ValueError("alerts live in Redis: the alerts stage has no standalone form")
    store = AlertStore(Redis.from_url(settings.redis.url), settings.alerts.events_kept, settings.alerts.stream_kept)
    cache = DocumentCache(Redis.from_url(settings.redis.cache_url or settings.redis.url), settings.redis.cache_ttl_s)
    return AlertStage(store, cache, WebhookNotifier(settings.alerts))
