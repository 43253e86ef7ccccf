"""docker-compose.yml checked statically (no container engine runs here)."""

from __future__ import annotations

import graphlib
import json
import re

import pytest
import yaml

from newsflow_cli.registry import SERVICES
from newsflow_shared.observability import StageMetrics
from newsflow_shared.runtime.batch import StageCounters
from newsflow_shared.settings import Settings, env_var_names, load_settings
from tests.conftest import REPO


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def test_every_newsflow_service_runs_from_the_one_image_with_a_command(compose):
    for name in SERVICES:
        service = compose["services"][name]
        assert service["image"] == "newsflow:local" and service["build"]["dockerfile"] == "deploy/docker/Dockerfile"
        assert service["command"] == ["service", name]
        assert "healthcheck" in service


def test_environment_names_are_settings_fields_and_build_valid_settings(compose, monkeypatch):
    known = env_var_names()
    for name in SERVICES:
        env = compose["services"][name]["environment"]
        assert set(env) <= known, set(env) - known
        for key, value in env.items():
            monkeypatch.setenv(key, str(value))
        assert isinstance(load_settings(), Settings)


def test_kafka_is_apache_kafka_in_kraft_mode(compose):
    kafka = compose["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"


def test_depends_on_graph_is_acyclic_and_waits_for_health(compose):
    graph = {name: set((svc.get("depends_on") or {}).keys()) for name, svc in compose["services"].items()}
    tuple(graphlib.TopologicalSorter(graph).static_order())
    for name in SERVICES:
        conditions = {dep: spec["condition"] for dep, spec in compose["services"][name]["depends_on"].items()}
        expected = {"kafka-init": "service_completed_successfully", "redis": "service_healthy"}
        if name == "index":  # it writes the PostgreSQL index and the document cache
            expected |= {"postgres": "service_healthy", "redis-cache": "service_healthy"}
        assert conditions == expected


def test_services_are_healthchecked_on_their_observability_port(compose, monkeypatch):
    for name in SERVICES:
        service = compose["services"][name]
        for key, value in service["environment"].items():
            monkeypatch.setenv(key, str(value))
        port = load_settings().observability.port
        assert f"127.0.0.1:{port}/healthz" in " ".join(service["healthcheck"]["test"])
        # Published ports (ingest, index) map to the port the settings serve on.
        for mapping in service.get("ports", []):
            assert mapping.rsplit(":", 1)[1] == str(port) and mapping.startswith("127.0.0.1:")
    assert {n for n in SERVICES if compose["services"][n].get("ports")} == {"ingest", "index"}


def test_postgres_and_the_monitoring_profile(compose):
    services = compose["services"]
    assert services["postgres"]["image"].startswith("postgres:") and "healthcheck" in services["postgres"]
    assert services["prometheus"]["profiles"] == ["monitoring"] == services["grafana"]["profiles"]
    for name in SERVICES:
        assert services["prometheus"]["depends_on"][name] == {"condition": "service_healthy"}
    assert set(compose["volumes"]) >= {"kafka-data", "redis-data", "postgres-data"}


def test_state_redis_never_evicts_and_the_cache_redis_is_bounded(compose):
    state = compose["services"]["redis"]["command"]
    cache = compose["services"]["redis-cache"]["command"]
    assert state[state.index("--maxmemory-policy") + 1] == "noeviction"
    assert cache[cache.index("--maxmemory-policy") + 1] == "allkeys-lru" and "--maxmemory" in cache
    env = compose["x-newsflow"]["environment"]
    assert env["NEWSFLOW_REDIS__CACHE_URL"].startswith("redis://redis-cache:")


def test_the_index_is_postgres_and_the_search_api_is_published(compose, monkeypatch):
    env = compose["x-newsflow"]["environment"]
    for key, value in env.items():
        monkeypatch.setenv(key, str(value).replace("${POSTGRES_PASSWORD:-newsflow}", "newsflow"))
    settings = load_settings()
    assert settings.index.backend == "postgres" and "@postgres:5432/" in (settings.index.postgres_dsn or "")
    search = compose["services"]["search"]
    assert search["command"][0] == "serve" and search["ports"] == ["127.0.0.1:8090:8090"]
    assert "8090/openapi.json" in " ".join(search["healthcheck"]["test"])


def test_prometheus_scrapes_every_service_and_the_dashboard_uses_exported_metrics():
    config = yaml.safe_load((REPO / "deploy/prometheus/prometheus.yml").read_text())
    targets = {t for job in config["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]}
    assert targets == {f"{name}:8080" for name in SERVICES}
    exported = _exported_metric_names()
    dashboard = json.loads((REPO / "deploy/grafana/dashboards/newsflow.json").read_text())
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            used = set(re.findall(r"newsflow_\w+", target["expr"]))
            assert used and used <= exported, used - exported


def _exported_metric_names() -> set[str]:
    """What a stage process actually serves on /metrics (sample names, _bucket/_total included)."""
    counters = StageCounters()
    counters.dropped["duplicate_exact"] += 1
    counters.dead_lettered["invalid_json"] += 1
    metrics = StageMetrics("clean", counters, lag=lambda: {("t", 0): 3})
    metrics.observe_batch(4, 0.01)
    return set(re.findall(r"^(newsflow_\w+)", metrics.exposition().decode(), re.M))


def test_the_push_api_requires_a_token_from_the_environment(compose, monkeypatch):
    api = compose["services"]["ingest-api"]
    assert api["command"][0] == "ingest-api" and api["ports"] == ["127.0.0.1:8082:8082"]
    tokens = api["environment"]["NEWSFLOW_INGEST__API_TOKENS"]
    assert "${INGEST_API_TOKEN:?" in tokens, "compose refuses to start the API without a token"
    for key, value in api["environment"].items():
        monkeypatch.setenv(key, str(value))
    assert load_settings().ingest.api_tokens and not load_settings().ingest.api_auth_disabled
