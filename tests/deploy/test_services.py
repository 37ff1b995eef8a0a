"""Per service, both overlays hold: an API and a worker Deployment from the same image, a
Service for the API, settings ConfigMaps and the municipality profile, Secret references
only, probes on /healthz and /readyz, migrations before start, Prometheus scrape
annotations; and the settings the pods start with are ones the services really read."""

from __future__ import annotations

import importlib
import os
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.deploy.support import (
    OVERLAYS,
    PORTS,
    ROOT,
    SERVICES,
    configmap,
    env_of,
    labels_match,
    named,
    of_kind,
    render,
)

CASES = [(overlay, service) for overlay in OVERLAYS for service in SERVICES]

# Secrets the manifests may reference, and who provides each (deploy/README.md, "Secrets")
SECRETS = {
    **{f"kasane-{s}-db": "operator" for s in SERVICES},
    **{f"kasane-{s}": "Strimzi User Operator" for s in SERVICES},
    "kasane-cluster-ca-cert": "Strimzi Cluster Operator",
    "kasane-pg-ca": "CloudNativePG",
    "kasane-jwt-public-keys": "operator",
    "kasane-backup-s3": "operator",
}


def fake_secrets(service: str) -> dict[tuple[str, str], str]:
    return {(f"kasane-{service}-db", "username"): f"kasane_{service}",
            (f"kasane-{service}-db", "password"): "db-password",
            (f"kasane-{service}", "password"): "kafka-password"}


def container(deployment: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == name]
    return found


@pytest.mark.parametrize(("overlay", "service"), CASES)
def test_api_and_worker_from_one_image(overlay: str, service: str) -> None:
    objects = render(overlay)
    api = named(objects, "Deployment", f"kasane-{service}-api")
    worker = named(objects, "Deployment", f"kasane-{service}-worker")
    images = {c["image"] for d in (api, worker) for c in
              d["spec"]["template"]["spec"]["containers"] + d["spec"]["template"]["spec"]["initContainers"]}
    assert len(images) == 1 and next(iter(images)).split(":")[0].endswith(f"kasane/{service}")
    assert container(api, "api")["args"] == ["api"]
    assert container(worker, "worker")["args"] == ["worker"]


@pytest.mark.parametrize(("overlay", "service"), CASES)
def test_migrations_run_before_each_process(overlay: str, service: str) -> None:
    for role in ("api", "worker"):
        spec = named(render(overlay), "Deployment", f"kasane-{service}-{role}")["spec"]["template"]["spec"]
        (init,) = spec["initContainers"]
        assert init["args"] == ["migrate"]
        assert init["image"] == spec["containers"][0]["image"]


@pytest.mark.parametrize(("overlay", "service"), CASES)
def test_probes(overlay: str, service: str) -> None:
    api_port, worker_port, _ = PORTS[service]
    objects = render(overlay)
    for role, port_name, port in (("api", "http", api_port), ("worker", "worker", worker_port)):
        c = container(named(objects, "Deployment", f"kasane-{service}-{role}"), role)
        assert {p["name"]: p["containerPort"] for p in c["ports"]}[port_name] == port
        assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port_name}
        assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port_name}
        assert c["startupProbe"]["httpGet"]["path"] == "/healthz"


@pytest.mark.parametrize(("overlay", "service"), CASES)
def test_service_routes_to_the_api_only(overlay: str, service: str) -> None:
    objects = render(overlay)
    svc = named(objects, "Service", f"kasane-{service}-api")
    pod_labels = {role: named(objects, "Deployment", f"kasane-{service}-{role}")["spec"]["template"]
                  ["metadata"]["labels"] for role in ("api", "worker")}
    assert labels_match({"matchLabels": svc["spec"]["selector"]}, pod_labels["api"])
    assert not labels_match({"matchLabels": svc["spec"]["selector"]}, pod_labels["worker"])
    assert svc["spec"]["ports"][0]["targetPort"] == "http"


@pytest.mark.parametrize(("overlay", "service"), CASES)
def test_settings_are_read_by_the_service(overlay: str, service: str) -> None:
    """The environment each container starts with, loaded by the service's own settings
    class: every value lands where it should (a misspelt key would be silently ignored)."""
    objects = render(overlay)
    settings_class = next(v for v in vars(importlib.import_module(f"kasane_{service}.settings")).values()
                          if isinstance(v, type) and getattr(v, "service", None) == service)
    api_port, worker_port, metrics_port = PORTS[service]
    own = configmap(objects, f"kasane-{service}-settings")["data"]
    prefix = service.upper() + "_"
    known = {prefix + f.upper() for f in settings_class.model_fields}
    assert set(own) <= known, f"keys no setting reads: {set(own) - known}"

    for role in ("api", "worker"):
        deployment = named(objects, "Deployment", f"kasane-{service}-{role}")
        env = env_of(container(deployment, role), objects, fake_secrets(service))
        with pytest.MonkeyPatch.context() as mp:
            for key in list(os.environ):
                if key.startswith(("KASANE_", "KAFKA_", "DATABASE_URL", "OTEL_", "PG", prefix)):
                    mp.delenv(key)
            for key, value in env.items():
                mp.setenv(key, value)
            settings = settings_class()
        assert settings.kafka_bootstrap_servers == "kasane-kafka-bootstrap:9093"
        assert settings.kafka_security_protocol == "SASL_SSL"
        assert settings.kafka_sasl_mechanism == "SCRAM-SHA-512"
        assert settings.kafka_sasl_username == f"kasane-{service}"
        assert settings.kafka_sasl_password == "kafka-password"
        assert str(settings.kafka_ssl_cafile) == "/etc/kasane/kafka-ca/ca.crt"
        assert (settings.http_host, settings.http_port, settings.worker_port, settings.metrics_port) == (
            "0.0.0.0", api_port, worker_port, metrics_port)
        assert str(settings.profile_path) == "/etc/kasane/profile/profile.yaml"
        assert settings.group_id == f"kasane-{service}"
        # the database: its own, through the read-write service, TLS verified; the role
        # and password come from the environment (PGUSER/PGPASSWORD), never the URL
        url = urlsplit(settings.database_url)
        assert (url.hostname, url.port, url.path, url.username, url.password) == (
            "kasane-pg-rw", 5432, f"/kasane_{service}", None, None)
        assert parse_qs(url.query) == {"sslmode": ["verify-full"]}
        assert (env["PGUSER"], env["PGPASSWORD"]) == (f"kasane_{service}", "db-password")
        assert env["PGSSLROOTCERT"] == "/etc/kasane/postgres-ca/ca.crt"
        if role == "api":
            assert [str(p) for p in settings.jwt_public_key_files] == ["/etc/kasane/jwt/jwt.pub.pem"]


@pytest.mark.parametrize(("overlay", "service"), CASES)
def test_files_the_settings_name_are_mounted(overlay: str, service: str) -> None:
    objects = render(overlay)
    for role in ("api", "worker"):
        deployment = named(objects, "Deployment", f"kasane-{service}-{role}")
        spec = deployment["spec"]["template"]["spec"]
        mounts = {m["mountPath"]: m["name"] for m in container(deployment, role)["volumeMounts"]}
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert volumes[mounts["/tmp"]]["emptyDir"]  # the root filesystem is read-only
        assert volumes[mounts["/etc/kasane/profile"]]["configMap"]["name"].startswith("kasane-profile-")
        assert volumes[mounts["/etc/kasane/kafka-ca"]]["secret"]["secretName"] == "kasane-cluster-ca-cert"
        assert volumes[mounts["/etc/kasane/postgres-ca"]]["secret"]["secretName"] == "kasane-pg-ca"
        if role == "api":
            assert volumes[mounts["/etc/kasane/jwt"]]["secret"]["secretName"] == "kasane-jwt-public-keys"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_profile_configmap_is_the_municipality_profile(overlay: str) -> None:
    profile = configmap(render(overlay), "kasane-profile")
    assert profile["data"] == {"profile.yaml": (ROOT / "profiles" / "sample-city.yaml").read_text()}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_are_referenced_never_included(overlay: str) -> None:
    objects = render(overlay)
    assert of_kind(objects, "Secret") == []
    referenced: set[str] = set()
    for deployment in of_kind(objects, "Deployment"):
        spec = deployment["spec"]["template"]["spec"]
        for c in spec["containers"] + spec.get("initContainers", []):
            for var in c.get("env", []):
                if any(word in var["name"] for word in ("PASSWORD", "SECRET", "TOKEN", "PGUSER")):
                    assert "value" not in var, f"{var['name']} has a literal value"
                if "secretKeyRef" in var.get("valueFrom", {}):
                    referenced.add(var["valueFrom"]["secretKeyRef"]["name"])
        referenced |= {v["secret"]["secretName"] for v in spec["volumes"] if "secret" in v}
    for role in named(objects, "Cluster", "kasane-pg")["spec"]["managed"]["roles"]:
        referenced.add(role["passwordSecret"]["name"])
    backup = named(objects, "Cluster", "kasane-pg")["spec"].get("backup")
    if backup:
        referenced |= {ref["name"] for ref in backup["barmanObjectStore"]["s3Credentials"].values()}
    assert referenced <= set(SECRETS), referenced - set(SECRETS)
    readme = (ROOT / "deploy" / "README.md").read_text()

    def generic(name: str) -> str:
        for service in SERVICES:
            name = name.replace(f"-{service}", "-<service>")
        return name

    assert [name for name in sorted(referenced) if f"`{generic(name)}`" not in readme] == []
    for config in of_kind(objects, "ConfigMap"):
        for key, value in config["data"].items():
            assert "PASSWORD" not in key and "password=" not in value.lower(), (config["metadata"]["name"], key)


@pytest.mark.parametrize(("overlay", "service"), CASES)
def test_prometheus_scrapes_the_metrics_ports(overlay: str, service: str) -> None:
    _, worker_port, metrics_port = PORTS[service]
    objects = render(overlay)
    for role, port in (("api", metrics_port), ("worker", worker_port)):
        template = named(objects, "Deployment", f"kasane-{service}-{role}")["spec"]["template"]
        annotations = template["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/path"] == "/metrics"
        assert int(annotations["prometheus.io/port"]) == port
        assert port in {p["containerPort"] for p in template["spec"]["containers"][0]["ports"]}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_never_get_a_service_account_token(overlay: str) -> None:
    for deployment in of_kind(render(overlay), "Deployment"):
        assert deployment["spec"]["template"]["spec"]["automountServiceAccountToken"] is False
