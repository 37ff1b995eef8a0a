"""The four services, API and worker each, as background processes of the local stack."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from kasane_devstack import ports, postgres, procs
from kasane_devstack.paths import KEYS, LOGS, PROFILE, RUN, VENV_BIN
from kasane_devstack.ports import ServicePorts
from kasane_devstack.report import Failure, waiting
from kasane_devstack.servers import ENV_MARK, own_servers, servers_mark

ROLES = ("api", "worker")


def services() -> tuple[ServicePorts, ...]:
    return ports.current().services


def stack_env(kafka_bootstrap: str | None = None) -> dict[str, str]:
    """The environment the stack's services (and the tests) run with."""
    bootstrap = kafka_bootstrap or f"127.0.0.1:{ports.current().kafka}"
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "DATABASE_URL": postgres.admin_url(),
        "KASANE_PROFILE": str(PROFILE),
        "KASANE_JWT_PUBLIC_KEY_FILES": str(KEYS / "dev-jwt.pub.pem"),
        "KASANE_JWT_ISSUER": "kasane-dev",
        "KASANE_JWT_AUDIENCE": "kasane",
    }
    env[ENV_MARK] = servers_mark(bootstrap, env["DATABASE_URL"])
    for s in services():
        prefix = s.name.upper()
        env[f"{prefix}_DATABASE_URL"] = postgres.service_url(s.name)
        env[f"{prefix}_HTTP_PORT"] = str(s.api)
        env[f"{prefix}_WORKER_PORT"] = str(s.worker)
        env[f"{prefix}_METRICS_PORT"] = str(s.metrics)
    return env


def env_for_shell(environ: Mapping[str, str]) -> dict[str, str]:
    """What ``kasane-stack env`` prints: the stack's environment, less the servers a person
    chose (KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL both set: they stay, and each service
    finds its database on that server)."""
    env = stack_env()
    if own_servers(environ):
        for key in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", ENV_MARK,
                    *(f"{s.name.upper()}_DATABASE_URL" for s in services())):
            env.pop(key, None)
    return env


def _pid_file(name: str, role: str) -> Path:
    return RUN / f"{name}-{role}.pid"


def _log(name: str, role: str) -> Path:
    return LOGS / f"{name}-{role}.log"


def _port(s: ServicePorts, role: str) -> int:
    return s.api if role == "api" else s.worker


def migrate_all(env: Mapping[str, str]) -> None:
    """Each service's ``migrate``, the four at once (each is a process of its own, mostly
    Python's start-up); a failure names the first service that failed and its log."""
    running = []
    for s in services():
        log = LOGS / f"{s.name}-migrate.log"
        with log.open("ab") as out:
            proc = subprocess.Popen([str(VENV_BIN / f"kasane-{s.name}"), "migrate"], stdout=out,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env={**os.environ, **env})
        running.append((s.name, log, proc))
    failed = [(name, log, proc.wait()) for name, log, proc in running]
    for name, log, code in failed:
        if code != 0:
            raise Failure(f"{name}'s database migrations (exit {code})", log=log,
                          fix="read the log; a migration that fails on a fresh database is a bug to report")


def readiness(port: int) -> tuple[bool, str]:
    """GET /readyz on ``port``: whether it answered 200, and what it said."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
            body = json.load(r)
            return r.status == 200 and body.get("status") == "ready", body.get("status", "?")
    except urllib.error.HTTPError as exc:  # 503 while a dependency is down
        try:
            checks = json.load(exc).get("checks", {})
        except ValueError:
            checks = {}
        down = [k for k, v in checks.items() if v != "up"]
        return False, f"not ready ({', '.join(down) or exc.code} down)"
    except (OSError, ValueError):
        return False, "not answering"


def ports_to_open() -> dict[str, int]:
    """The ports of the APIs and workers that are not running (by setting key)."""
    out: dict[str, int] = {}
    for s in services():
        for role in ROLES:
            if procs.read_pid(_pid_file(s.name, role)) is None:
                out[f"{s.name}-{role}"] = _port(s, role)
                if role == "api":
                    out[f"{s.name}-metrics"] = s.metrics
    return out


def start_all(env: Mapping[str, str], timeout: float = 90.0) -> None:
    """Start each API and worker that is not running, then wait until each one's own
    ``/readyz`` answers 200 (its database, and the worker's Kafka, reachable)."""
    for s in services():
        for role in ROLES:
            pid_file, port = _pid_file(s.name, role), _port(s, role)
            if procs.read_pid(pid_file) is not None:
                continue
            needed = {f"{s.name}-{role}": port, **({f"{s.name}-metrics": s.metrics} if role == "api" else {})}
            for key, p in needed.items():
                if procs.port_open(p):
                    raise Failure(f"port {p} for {key.replace('-', ' ')} is taken by another program",
                                  fix=f"stop it, or move the stack: {ports.setting(key)}=<free port> make up")
            procs.spawn([str(VENV_BIN / f"kasane-{s.name}"), role], log=_log(s.name, role), pid_file=pid_file,
                        env={**os.environ, **env})
    deadline = time.monotonic() + timeout
    for s in services():
        for role in ROLES:
            port, pid_file = _port(s, role), _pid_file(s.name, role)
            if readiness(port)[0]:
                continue
            waiting(f"{s.name} {role}: GET http://127.0.0.1:{port}/readyz to answer 200")
            while not readiness(port)[0]:
                if procs.read_pid(pid_file) is None:
                    raise Failure(f"{s.name} {role} exited before it was ready", log=_log(s.name, role),
                                  fix="read the log's last lines")
                if time.monotonic() > deadline:
                    raise Failure(f"{s.name} {role} was not ready within {timeout:.0f} s "
                                  f"(/readyz: {readiness(port)[1]})", log=_log(s.name, role),
                                  fix="read the log; `make status` shows which dependency is down")
                time.sleep(0.25)


def stop_all() -> int:
    """Stop every API and worker this checkout started; how many were running."""
    return sum(procs.stop(_pid_file(s.name, role)) for s in services() for role in ROLES)


def running_any() -> bool:
    return any(procs.read_pid(_pid_file(s.name, role)) is not None for s in services() for role in ROLES)


def status() -> dict[str, str]:
    out = {}
    for s in services():
        for role in ROLES:
            port = _port(s, role)
            if procs.read_pid(_pid_file(s.name, role)) is None:
                out[f"{s.name}-{role}"] = f"down (:{port})"
            else:
                ready, said = readiness(port)
                out[f"{s.name}-{role}"] = f"{'ready' if ready else said} (:{port})"
    return out
