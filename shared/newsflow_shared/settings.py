"""Typed, frozen settings: built once in ``main()`` and passed down, never read at import time.

Every field maps to an environment variable with the ``NEWSFLOW_`` prefix and ``__`` between
sections, e.g. ``NEWSFLOW_KAFKA__BOOTSTRAP_SERVERS`` or ``NEWSFLOW_REDIS__URL``. Required values
(the broker and Redis addresses) have no default: a service started without them stops at once
with a message naming the variable.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_S = TypeVar("_S", bound="LocalSettings")


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _GuardedSection(_Section):
    """What the SSRF guard (``guard.AddressPolicy``) lets a section's outbound requests reach."""

    allow_private_network: bool = Field(
        False,
        description="Lift the SSRF guard: reach loopback and private addresses (local feeds, local webhooks). "
        "NEWSFLOW_INGEST__ALLOW_PRIVATE_NETWORK, NEWSFLOW_ALERTS__ALLOW_PRIVATE_NETWORK",
    )
    allowed_private_endpoints: list[str] = Field(
        default_factory=list, description='"host:port" endpoints reachable despite the guard (one local server).'
    )


class KafkaSettings(_Section):
    """How to reach the broker and how the runtime talks to it."""

    bootstrap_servers: str = Field(description="host:port[,host:port]. NEWSFLOW_KAFKA__BOOTSTRAP_SERVERS")
    partitions: int = Field(4, ge=1, description="Partitions per topic when newsflow creates topics.")
    topic_partitions: dict[str, int] = Field(
        default_factory=dict, description="Per-topic exceptions to `partitions` (topic name → count)."
    )
    replication_factor: int = Field(1, ge=1)
    # Faust's default (60 s) makes the first group join take ~30 s against the dev broker; 10 s ~5 s.
    session_timeout_s: float = Field(10.0, gt=0)
    # Kafka's default: a broker answers a fetch as soon as data arrives, so this only bounds idle
    # polling. The dev broker waits out about half of it, so the embedded stack sets its own
    # (newsflow_cli.stack.DEV_BROKER_KAFKA).
    fetch_max_wait_ms: int = Field(
        500, ge=0, description="Longest a fetch waits for data. NEWSFLOW_KAFKA__FETCH_MAX_WAIT_MS"
    )
    # Faust's 16 KiB default holds three 5 KB documents per request.
    producer_max_batch_bytes: int = Field(1 << 20, ge=16 << 10)
    producer_linger_ms: int = Field(5, ge=0)
    max_request_bytes: int = Field(16 << 20, ge=1 << 20)
    consumer_fetch_bytes: int = Field(
        4 << 20,
        ge=64 << 10,
        description="Most bytes prefetched per partition; a larger record still comes whole. Bounds memory.",
    )
    commit_interval_s: float = Field(1.0, gt=0)


class RedisSettings(_Section):
    """Redis: dedup state and the document cache live in separate key spaces."""

    url: str = Field(description="redis://host:port/db. NEWSFLOW_REDIS__URL")
    dedup_ttl_s: int = Field(30 * 24 * 3600, ge=60, description="How long a content fingerprint is remembered.")
    cache_ttl_s: int = Field(7 * 24 * 3600, ge=60, description="How long a cached document stays readable by id.")
    cache_url: str | None = Field(
        None,
        description=(
            "A separate Redis for the document cache, run with maxmemory and allkeys-lru so that it evicts "
            "under pressure while the state Redis (url, noeviction) never loses dedup or story state. "
            "None: the cache shares url. NEWSFLOW_REDIS__CACHE_URL"
        ),
    )


class RuntimeSettings(_Section):
    """Batching of the stage runtime (the same for every service unless overridden by env)."""

    batch_size: int = Field(64, ge=1, description="Most records processed per batch.")
    max_error_text: int = Field(2000, ge=100, description="Error text kept in a dead letter.")
    transient_retry_max_s: float = Field(30.0, gt=0, description="Backoff ceiling for transient errors.")
    dead_letter_max_consecutive: int | None = Field(
        1000,
        ge=1,
        description="This many inputs dead-lettered in a row stop the stage (unhealthy, nothing more committed) "
        "instead of dead-lettering a whole topic after a bad deploy; None: no limit. "
        "NEWSFLOW_RUNTIME__DEAD_LETTER_MAX_CONSECUTIVE",
    )
    dead_letter_max_ratio: float | None = Field(
        None,
        gt=0,
        le=1,
        description="The same for a share of the last dead_letter_window inputs (e.g. 0.5); None: no limit. "
        "NEWSFLOW_RUNTIME__DEAD_LETTER_MAX_RATIO",
    )
    dead_letter_window: int = Field(
        1000, ge=10, description="Inputs the ratio is taken over (once that many were seen)."
    )
    spacing_idle_share: float = Field(
        0.25,
        ge=0,
        le=1,
        description="A stage's batch spacing (the index's commit spacing, index.min_commit_interval_s) applies "
        "only while less than this share of the machine's CPU time was idle in the last two seconds: with "
        "idle CPU, spacing saves nothing another stage needs and only adds latency. 1: space unless the machine "
        "is wholly idle; 0: never. "
        "NEWSFLOW_RUNTIME__SPACING_IDLE_SHARE",
    )


class IngestSettings(_GuardedSection):
    """Limits on what ingest accepts, and what its fetches may reach."""

    max_document_bytes: int = Field(
        8 << 20, ge=1 << 10, description="Larger documents are dead-lettered (document_too_large)."
    )
    max_files_per_request: int = Field(100_000, ge=1)
    max_items_per_source: int = Field(10_000, ge=1, description="Most feed items or sitemap URLs read from one source.")
    connect_timeout_s: float = Field(5.0, gt=0)
    read_timeout_s: float = Field(20.0, gt=0, description="Longest wait for any read from a server.")
    max_redirects: int = Field(5, ge=0)
    max_decompression_ratio: float = Field(
        100.0, gt=1, description="A compressed body inflating past the size cap at more than this ratio is a bomb."
    )
    per_host_concurrency: int = Field(2, ge=1)
    politeness_delay_s: float = Field(1.0, ge=0, description="Least time between two request starts to one host.")
    max_retries: int = Field(3, ge=0, description="Retries on 429 and 5xx.")
    retry_backoff_s: float = Field(0.5, ge=0, description="First backoff; doubles per retry (Retry-After wins).")
    max_retry_after_s: float = Field(60.0, ge=0, description="A longer Retry-After gives up (rate_limited).")
    respect_robots: bool = Field(True, description="Honour robots.txt (cached per host for an hour).")
    user_agent: str = Field("newsflow/0.1 (+https://github.com/newsflow/newsflow)")
    fetch_concurrency: int = Field(16, ge=1, description="Pages fetched at once for one request (all hosts).")
    seen_ttl_s: int = Field(30 * 24 * 3600, ge=60, description="How long a fetched feed item is remembered.")
    api_tokens: list[str] = Field(
        default_factory=list, description="Bearer tokens the push API accepts. NEWSFLOW_INGEST__API_TOKENS (JSON list)"
    )
    api_auth_disabled: bool = Field(False, description="Accept unauthenticated pushes (local use only).")
    api_max_request_bytes: int = Field(32 << 20, ge=1 << 10, description="Largest push request body.")
    api_max_batch: int = Field(100, ge=1, description="Most documents in one push request.")


class ExtractSettings(_Section):
    """Named-entity recognition in the extract stage."""

    spacy_model: str = Field(
        "en_core_web_sm",
        description="Preferred spaCy package; the pinned PyPI re-upload is used when it is absent.",
    )
    ner_batch_size: int = Field(16, ge=1)
    wikiner_models: dict[str, str] = Field(
        {"fr": "fr_core_news_sm"},
        description="Language code -> spaCy package of a model with WikiNER labels (PER, LOC, ORG, MISC), "
        "loaded on the first document in that language; a language with no model gets no entities.",
    )


class ObservabilitySettings(_Section):
    """Where a service serves /healthz, /readyz and /metrics."""

    host: str = Field("127.0.0.1", description="Bind address; 0.0.0.0 in containers. NEWSFLOW_OBSERVABILITY__HOST")
    port: int | None = Field(None, ge=0, le=65535, description="None: not served. NEWSFLOW_OBSERVABILITY__PORT")


class StripSettings(_Section):
    """Boilerplate removal: cross-document template learning per source."""

    template_min_documents: int = Field(
        3, ge=2, description="A line is a source's template once seen in at least this many of its documents."
    )
    template_min_share: float = Field(
        0.5, gt=0, le=1, description="...and in at least this share of them (a quote two articles share is not)."
    )
    template_ttl_s: int = Field(30 * 24 * 3600, ge=60, description="How long per-source line counts are kept.")
    drop_non_articles: bool = Field(
        True,
        description="Drop HTML pages the article check judges not to be articles (shops, job boards, spam) as "
        "not_an_article; they go to the excluded-documents topic. NEWSFLOW_STRIP__DROP_NON_ARTICLES",
    )
    article_check_exempt: list[str] = Field(
        default_factory=list,
        description='Sources (hosts without "www.", or outlets) whose pages are always articles. '
        "NEWSFLOW_STRIP__ARTICLE_CHECK_EXEMPT (JSON list)",
    )


class IndexSettings(_Section):
    """Which index backend holds the corpus, and story clustering."""

    backend: Literal["tantivy", "postgres"] = Field(
        "tantivy", description="tantivy: embedded, one writer; postgres: shared by many nodes. NEWSFLOW_INDEX__BACKEND"
    )
    index_dir: Path | None = Field(None, description="tantivy's directory. Defaults to <data_dir>/index.")
    postgres_dsn: str | None = Field(
        None, description="postgresql://user@host:5432/db, required with backend=postgres. NEWSFLOW_INDEX__POSTGRES_DSN"
    )
    story_ttl_s: int = Field(
        14 * 24 * 3600, ge=60, description="How long a story stays open to new reports (Redis state TTL)."
    )
    names_ttl_s: int = Field(
        90 * 24 * 3600,
        ge=60,
        description="How long the full names seen per surname are remembered (Redis state TTL).",
    )
    min_commit_interval_s: float = Field(
        0.2,
        ge=0,
        description=(
            "Least time between two index commits (one per batch) while the machine's CPU is busy "
            "(runtime.spacing_idle_share). Under load the documents arriving meanwhile share a commit; a "
            "document arriving after a quiet spell, or while CPU is to spare, is committed at once."
        ),
    )

    @model_validator(mode="after")
    def _postgres_needs_a_dsn(self) -> IndexSettings:
        if self.backend == "postgres" and not self.postgres_dsn:
            raise ValueError("index.backend=postgres needs index.postgres_dsn (NEWSFLOW_INDEX__POSTGRES_DSN)")
        return self


class AlertSettings(_GuardedSection):
    """Saved searches and their webhooks (the ``alerts`` service and ``POST /v1/alerts``), and what
    the webhooks may reach."""

    delivery_attempts: int = Field(4, ge=1, description="Tries per notification (5xx, 429, timeouts, refusals).")
    delivery_backoff_s: float = Field(1.0, ge=0, description="Wait before the second try; doubles per try.")
    delivery_timeout_s: float = Field(10.0, gt=0, description="Longest wait for a webhook's answer.")
    events_kept: int = Field(1000, ge=10, description="Newest events kept per alert (GET /v1/alerts/{id}/events).")
    stream_kept: int = Field(10_000, ge=100, description="Newest indexed documents kept for /v1/stream to replay.")


class LocalSettings(BaseSettings):
    """What a command that reads the index or a local stack needs (``search``, ``serve``,
    ``status``, ``migrate``): no broker address required, and Redis only where set (``serve``
    answers alerts and the live stream with it)."""

    model_config = SettingsConfigDict(env_prefix="NEWSFLOW_", env_nested_delimiter="__", frozen=True, extra="ignore")

    redis: RedisSettings | None = Field(None, description="Set NEWSFLOW_REDIS__URL for alerts and /v1/stream.")
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    data_dir: Path = Field(Path(".newsflow"), description="Index and local state. NEWSFLOW_DATA_DIR")
    log_level: str = Field("INFO", description="NEWSFLOW_LOG_LEVEL")

    @property
    def index_dir(self) -> Path:
        """The tantivy index directory."""
        return self.index.index_dir or self.data_dir / "index"


class Settings(LocalSettings):
    """All of newsflow's settings; each service reads the sections it needs."""

    kafka: KafkaSettings
    redis: RedisSettings  # required here, optional for local commands
    runtime: RuntimeSettings = Field(default_factory=RuntimeSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    strip: StripSettings = Field(default_factory=StripSettings)
    observability: ObservabilitySettings = Field(default_factory=ObservabilitySettings)
    extract: ExtractSettings = Field(default_factory=ExtractSettings)


class SettingsError(RuntimeError):
    """Settings are missing or invalid; the message names the environment variables to set."""


def load_settings(**overrides: object) -> Settings:
    """Build the settings from the environment (plus explicit overrides), or explain what is missing."""
    return _load(Settings, overrides)


def load_local_settings(**overrides: object) -> LocalSettings:
    """The settings of a command that needs no broker or Redis (see ``LocalSettings``)."""
    return _load(LocalSettings, overrides)


def settings_from_env(env: dict[str, str]) -> Settings:
    """Rebuild settings from the variables ``settings_to_env`` wrote (a running stack's file),
    without reading or changing this process's environment."""
    nested: dict[str, Any] = {}
    for name, value in env.items():
        path = name.removeprefix("NEWSFLOW_").lower().split("__")
        node = nested
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = json.loads(value) if value[:1] in "[{" else value
    return _load(Settings, nested)


def _load(model: type[_S], overrides: dict[str, object]) -> _S:
    try:
        return model(**overrides)  # type: ignore[arg-type,unused-ignore]  # validated by pydantic at run time
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            path = "__".join(str(part) for part in error["loc"]).upper()
            problems.append(f"NEWSFLOW_{path}: {error['msg']}")
        raise SettingsError("invalid or missing settings:\n  " + "\n  ".join(problems)) from exc


def standalone_settings(**overrides: object) -> Settings:
    """Settings for stages run in this process with no broker and no Redis (``newsflow extract``):
    the environment's other sections, with addresses that nothing standalone connects to."""
    return load_settings(
        **{"kafka": {"bootstrap_servers": "standalone.invalid:9092"}, "redis": {"url": "redis://standalone.invalid"}}
        | overrides
    )


def settings_to_env(settings: Settings) -> dict[str, str]:
    """The environment variables that rebuild ``settings`` in another process (e.g. a service)."""
    env: dict[str, str] = {}

    def flatten(prefix: str, value: object) -> None:
        if isinstance(value, BaseModel):
            for name in type(value).model_fields:
                flatten(f"{prefix}__{name.upper()}" if prefix else name.upper(), getattr(value, name))
        elif isinstance(value, list | dict):
            env[f"NEWSFLOW_{prefix}"] = json.dumps(value)  # complex fields are read back as JSON
        elif value is not None:
            env[f"NEWSFLOW_{prefix}"] = str(value)

    flatten("", settings)
    return env


def child_environment(settings: Settings) -> dict[str, str]:
    """The environment for a child process that must run with ``settings``: this process's,
    without its own NEWSFLOW_ variables, plus those that rebuild ``settings`` (what the embedded
    stack starts each service with). The one place outside pydantic that reads the environment."""
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("NEWSFLOW_")}
    return inherited | settings_to_env(settings)


def env_var_names(model: type[BaseModel] = Settings, prefix: str = "") -> set[str]:
    """Every environment variable the settings read, set or not (deployment files are checked
    against this, so a misspelt variable in compose or Kubernetes fails a test)."""
    names: set[str] = set()
    for name, field in model.model_fields.items():
        key = f"{prefix}__{name.upper()}" if prefix else name.upper()
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= env_var_names(annotation, key)
        else:
            names.add(f"NEWSFLOW_{key}")
    return names
