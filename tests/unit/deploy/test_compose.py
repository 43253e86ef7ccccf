"""docker-compose.yml checked statically (no container engine runs here)."""

from __future__ import annotations

import graphlib

import pytest
import yaml

from newsflow_cli.registry import SERVICES
from newsflow_shared.settings import Settings, load_settings, settings_to_env
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
    known = set(settings_to_env(load_settings(kafka={"bootstrap_servers": "k:1"}, redis={"url": "redis://r:1/0"})))
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
        assert conditions == {"kafka-init": "service_completed_successfully", "redis": "service_healthy"}
