"""The four services, API and worker each, as background processes of the local stack."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from dataclasses import dataclass

from kasane_devstack import postgres, procs
from kasane_devstack.paths import KEYS, LOGS, PROFILE, RUN, VENV_BIN


@dataclass(frozen=True)
class ServicePorts:
    name: str
    api: int
    worker: int
    metrics: int


SERVICES = (
    ServicePorts("intake", 8001, 8101, 9001),
    ServicePorts("coordination", 8002, 8102, 9002),
    ServicePorts("participation", 8003, 8103, 9003),
    ServicePorts("community", 8004, 8104, 9004),
)


def stack_env(kafka_bootstrap: str = "127.0.0.1:9092") -> dict[str, str]:
    """The environment the stack's services (and the tests) run with."""
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "DATABASE_URL": postgres.admin_url(),
        "KASANE_PROFILE": str(PROFILE),
        "KASANE_JWT_PUBLIC_KEY_FILES": str(KEYS / "dev-jwt.pub.pem"),
        "KASANE_JWT_ISSUER": "kasane-dev",
        "KASANE_JWT_AUDIENCE": "kasane",
    }
    for s in SERVICES:
        prefix = s.name.upper()
        env[f"{prefix}_DATABASE_URL"] = postgres.service_url(s.name)
        env[f"{prefix}_HTTP_PORT"] = str(s.api)
        env[f"{prefix}_WORKER_PORT"] = str(s.worker)
        env[f"{prefix}_METRICS_PORT"] = str(s.metrics)
    return env


def _pid_file(name: str, role: str):
    return RUN / f"{name}-{role}.pid"


def migrate_all(env: dict[str, str]) -> None:
    for s in SERVICES:
        subprocess.run([str(VENV_BIN / f"kasane-{s.name}"), "migrate"], check=True,
                       env={**os.environ, **env}, stdout=subprocess.DEVNULL)


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
            return r.status == 200 and json.load(r).get("status") == "ok"
    except OSError:
        return False


def start_all(env: dict[str, str]) -> None:
    """Start each API and worker that is not running, then wait until all answer."""
    for s in SERVICES:
        for role, port in (("api", s.api), ("worker", s.worker)):
            pid_file = _pid_file(s.name, role)
            if procs.read_pid(pid_file) is not None:
                continue
            if procs.port_open(port):
                raise RuntimeError(f"port {port} for {s.name} {role} is taken by another program")
            procs.spawn([str(VENV_BIN / f"kasane-{s.name}"), role],
                        log=LOGS / f"{s.name}-{role}.log", pid_file=pid_file,
                        env={**os.environ, **env})
    for s in SERVICES:
        for role, port in (("api", s.api), ("worker", s.worker)):
            procs.wait_for_port(port, 60, f"{s.name} {role}", LOGS / f"{s.name}-{role}.log")


def stop_all() -> None:
    for s in SERVICES:
        for role in ("api", "worker"):
            procs.stop(_pid_file(s.name, role))


def status() -> dict[str, str]:
    out = {}
    for s in SERVICES:
        for role, port in (("api", s.api), ("worker", s.worker)):
            running = procs.read_pid(_pid_file(s.name, role)) is not None
            out[f"{s.name}-{role}"] = ("up" if healthy(port) else "starting") if running else "down"
    return out
