"""docker-compose.yml: `docker compose config` (Compose v2, the real CLI plugin) accepts it
with and without the observability profile, and what it normalises to holds the stack
`make up` runs: Kafka in KRaft mode, PostgreSQL with a database and role per service, the
four APIs and workers on the same ports, topics and migrations first, health-gated."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.support import PORTS, ROOT, SERVICES, tools

COMPOSE_FILE = ROOT / "docker-compose.yml"


def compose(*args: str, file: Path = COMPOSE_FILE) -> subprocess.CompletedProcess[str]:
    cmd, env = tools().compose_cmd("--project-directory", str(ROOT), "-f", str(file), *args)
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "KASANE_LOG_LEVEL", "COMPOSE_PROFILES", "COMPOSE_FILE"):
        env.pop(name, None)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env, check=False)


@cache
def config(*profiles: str) -> dict[str, Any]:
    """The file as `docker compose config` normalises it (read-only for the tests)."""
    done = compose(*[arg for p in profiles for arg in ("--profile", p)], "config", "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_compose_is_the_real_v2_cli() -> None:
    done = compose("version")
    assert done.returncode == 0, done.stderr
    assert "Docker Compose version v2." in done.stdout


def test_config_accepts_the_file() -> None:
    done = compose("config", "--quiet")
    assert done.returncode == 0, done.stderr


def test_config_rejects_a_broken_file(tmp_path: Path) -> None:
    """The validator can fail: a depends_on condition Compose does not know."""
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE_FILE.read_text().replace("condition: service_healthy", "condition: when_ready", 1))
    done = compose("config", "--quiet", file=broken)
    assert done.returncode != 0
    assert "condition value must be one of" in done.stderr


def test_services_and_profiles() -> None:
    core = {"kafka", "postgres", "topics", "jwt-keys"} | {
        f"{s}-{role}" for s in SERVICES for role in ("migrate", "api", "worker")}
    assert set(config()["services"]) == core
    assert set(config("observability")["services"]) == core | {"otel-collector", "jaeger"}


def test_kafka_is_a_single_kraft_node() -> None:
    kafka = config()["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    env = kafka["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka:9093"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert "127.0.0.1:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert {(p["published"], p["target"]) for p in kafka["ports"]} == {("9092", 9092)}
    assert kafka["healthcheck"]["test"][0] == "CMD"


def test_postgres_creates_a_database_and_role_per_service() -> None:
    postgres = config()["services"]["postgres"]
    assert postgres["image"].startswith("postgres:")
    init = [v for v in postgres["volumes"] if v["target"].startswith("/docker-entrypoint-initdb.d/")]
    assert [Path(v["source"]) for v in init] == [ROOT / "deploy" / "docker" / "postgres" / "init-databases.sh"]
    assert {(p["published"], p["target"]) for p in postgres["ports"]} == {("55432", 5432)}
    assert "--host" in postgres["healthcheck"]["test"]  # over TCP: not ready while initialising


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_runs_api_and_worker_after_topics_and_migrations(service: str) -> None:
    services = config()["services"]
    api_port, worker_port, metrics_port = PORTS[service]
    migrate = services[f"{service}-migrate"]
    assert migrate["command"] == ["migrate"]
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy", "required": True}}
    for role, ports in (("api", {api_port, metrics_port}), ("worker", {worker_port})):
        s = services[f"{service}-{role}"]
        assert s["build"] == {"context": str(ROOT), "dockerfile": f"services/{service}/Dockerfile"}
        assert s["image"] == migrate["image"] == f"kasane/{service}:dev"
        assert s["command"] == [role]
        conditions = {name: d["condition"] for name, d in s["depends_on"].items()}
        assert conditions[f"{service}-migrate"] == "service_completed_successfully"
        assert conditions["topics"] == "service_completed_successfully"
        assert conditions["kafka"] == conditions["postgres"] == "service_healthy"
        assert {(p["host_ip"], int(p["published"]), p["target"]) for p in s["ports"]} == {
            ("127.0.0.1", port, port) for port in ports}
        assert s["healthcheck"]["test"] == ["CMD", "kasane-healthcheck"]
        assert s["read_only"] is True and s["cap_drop"] == ["ALL"]
    assert services["topics"]["entrypoint"] == ["kasane-topics"]
    assert services["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"


def image_env(service: str) -> dict[str, str]:
    """The ENV the service's Dockerfile sets in its final stage."""
    import dockerfile

    env: dict[str, str] = {}
    for command in dockerfile.parse_file(str(ROOT / "services" / service / "Dockerfile")):
        if command.cmd == "FROM":
            env = {}
        elif command.cmd == "ENV":
            pairs = command.value
            env.update({pairs[i]: pairs[i + 1] for i in range(0, len(pairs), 2)})
    return env


@pytest.mark.parametrize("service", SERVICES)
def test_the_service_reads_the_compose_environment(service: str) -> None:
    """The image's ENV plus the compose environment, loaded by the service's settings class."""
    settings_class = next(v for v in vars(importlib.import_module(f"kasane_{service}.settings")).values()
                          if isinstance(v, type) and getattr(v, "service", None) == service)
    env = {**image_env(service), **config()["services"][f"{service}-api"]["environment"]}
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith(("KASANE_", "KAFKA_", "DATABASE_URL", "OTEL_", "PG", service.upper() + "_")):
                mp.delenv(key)
        for key, value in env.items():
            mp.setenv(key, value)
        settings = settings_class()
    assert (settings.http_port, settings.worker_port, settings.metrics_port) == PORTS[service]
    assert settings.http_host == "0.0.0.0"
    assert settings.kafka_bootstrap_servers == "kafka:19092"
    assert settings.database_url == (
        f"postgresql://kasane_{service}:kasane-{service}-dev@postgres:5432/kasane_{service}")
    assert not settings.otlp_endpoint  # tracing is off unless the observability profile is asked for


def test_observability_profile() -> None:
    services = config("observability")["services"]
    collector = services["otel-collector"]
    assert collector["profiles"] == ["observability"]
    (mount,) = collector["volumes"]
    assert Path(mount["source"]) == ROOT / "deploy" / "docker" / "otel-collector.yaml"
    assert services["jaeger"]["image"].startswith("jaegertracing/jaeger:")
    config_text = (ROOT / "deploy" / "docker" / "otel-collector.yaml").read_text()
    assert "jaeger:4317" in config_text and "0.0.0.0:4318" in config_text
