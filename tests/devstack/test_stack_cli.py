"""``kasane-stack`` as a person runs it, in a checkout of its own (``KASANE_ROOT``) so that
nothing here touches a running stack: the environment it prints, the ports it records,
`down` with pid files that name programs not the stack's, and failures said in one line."""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kasane_devstack import procs
from kasane_devstack.ports import DEFAULTS, OFFSET_SETTING, setting
from kasane_devstack.servers import ENV_MARK

STACK = Path(sys.executable).parent / "kasane-stack"
SETTINGS = ("KASANE_STACK_", "KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "KASANE_TEST_SERVERS", "KASANE_DEBUG")


def run(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(SETTINGS) and not k.endswith("_DATABASE_URL")}
    return subprocess.run([str(STACK), *args], capture_output=True, text=True, timeout=120, check=False,
                          env={**base, "KASANE_ROOT": str(root), "KASANE_STACK_STATE_DIR": str(root / "state"),
                               **env})


def exported(out: str) -> dict[str, str]:
    values = {}
    for line in out.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        values[name] = shlex.split(value)[0] if value else ""
    return values


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "checkout" / ".local").mkdir(parents=True)
    return tmp_path / "checkout"


def test_env_exports_the_stacks_servers_and_ports(root: Path) -> None:
    env = exported(run(root, "env").stdout)
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:9092"
    assert env["DATABASE_URL"].endswith("@127.0.0.1:55432/postgres")
    assert env["INTAKE_HTTP_PORT"] == "8001" and env["COMMUNITY_METRICS_PORT"] == "9004"
    assert env[ENV_MARK]


def test_env_follows_the_port_settings_and_then_the_ports_up_recorded(root: Path) -> None:
    env = exported(run(root, "env", **{OFFSET_SETTING: "3000", setting("postgres"): "45432"}).stdout)
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:12092"
    assert "@127.0.0.1:45432/" in env["DATABASE_URL"] and "@127.0.0.1:45432/" in env["INTAKE_DATABASE_URL"]
    assert (env["PARTICIPATION_HTTP_PORT"], env["PARTICIPATION_WORKER_PORT"]) == ("11003", "11103")
    # what `make up` records is found again without the settings (make status, down, demo)
    recorded = {k: v + 3000 for k, v in DEFAULTS.items()}
    (root / ".local" / "stack.json").write_text(json.dumps({"ports": recorded}))
    env = exported(run(root, "env").stdout)
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:12092"
    assert env["COORDINATION_WORKER_PORT"] == "11102"


def test_env_never_overwrites_servers_a_person_set(root: Path) -> None:
    mine = {"KAFKA_BOOTSTRAP_SERVERS": "kafka.example:9092",
            "DATABASE_URL": "postgresql://me:pw@db.example:5432/postgres"}
    env = exported(run(root, "env", **mine).stdout)
    assert not {"KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", ENV_MARK} & env.keys()
    assert not [k for k in env if k.endswith("_DATABASE_URL")]  # each service finds its database on DATABASE_URL
    assert env["INTAKE_HTTP_PORT"] == "8001"


def test_env_replaces_what_an_earlier_env_exported(root: Path) -> None:
    first = exported(run(root, "env").stdout)
    again = exported(run(root, "env", **{k: first[k] for k in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", ENV_MARK)},
                         **{OFFSET_SETTING: "100"}).stdout)
    assert again["KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:9192"  # the stack moved: the shell follows


@pytest.fixture
def unrelated() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(["sleep", "300"], start_new_session=True)
    yield proc
    proc.kill()
    proc.wait()


def test_down_never_signals_a_program_that_a_stale_pid_file_names(root: Path, unrelated) -> None:
    """After a reboot every pid file may name another program: `make down` must leave it
    alone, PostgreSQL's own postmaster.pid included (pg_ctl would signal whatever it names)."""
    run_dir = root / ".local" / "run"
    run_dir.mkdir()
    start = procs.start_ticks(unrelated.pid)
    for name in ("intake-api", "intake-worker", "coordination-api"):  # the start time differs
        (run_dir / f"{name}.pid").write_text(json.dumps({"pid": unrelated.pid, "start": start + 5,
                                                         "boot": procs.boot_id()}))
    (run_dir / "kafka.pid").write_text(json.dumps({"pid": unrelated.pid, "start": start, "boot": "an-older-boot"}))
    (run_dir / "community-worker.pid").write_text(str(unrelated.pid))  # the old form
    # a cluster in the checkout (a non-root stack's layout) whose postmaster.pid names it too;
    # its third line is the start time, an hour before the program's
    data = root / ".local" / "postgres" / "data"
    data.mkdir(parents=True)
    (data / "PG_VERSION").write_text("15\n")
    postmaster = data / "postmaster.pid"
    postmaster.write_text(f"{unrelated.pid}\n{data}\n{int(time.time()) - 3600}\n55432\n\n127.0.0.1\n0 0\nready\n")

    status = run(root, "status")
    assert status.returncode == 0, status.stderr
    assert "postgres: down" in status.stdout and "kafka: down" in status.stdout
    assert "intake-api: down" in status.stdout and "community-worker: down" in status.stdout  # up starts them

    done = run(root, "down")
    assert done.returncode == 0, done.stderr
    assert "stopped 0 service processes" in done.stdout
    assert unrelated.poll() is None
    assert not postmaster.exists() and not list(run_dir.glob("*.pid"))


def test_a_postmaster_pid_naming_a_program_started_at_that_second_is_still_not_postgres(root: Path, unrelated) -> None:
    data = root / ".local" / "postgres" / "data"
    data.mkdir(parents=True)
    (data / "PG_VERSION").write_text("15\n")
    at = procs.started_at(unrelated.pid)
    assert at is not None
    (data / "postmaster.pid").write_text(f"{unrelated.pid}\n{data}\n{int(at)}\n55432\n\n127.0.0.1\n0 0\nready\n")
    done = run(root, "down")
    assert done.returncode == 0, done.stderr
    assert unrelated.poll() is None  # its command line is `sleep`, not postgres


def test_a_port_taken_fails_at_once_in_one_line_naming_the_setting(root: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run(root, "up", **{setting("postgres"): str(port), OFFSET_SETTING: "17"})
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr + done.stdout
    assert f"port {port} (postgres) is taken" in lines[0] and setting("postgres") in lines[0]
    assert not (root / ".local" / "postgres").exists()  # nothing was set up before the check


def test_a_bad_port_setting_fails_in_one_line(root: Path) -> None:
    done = run(root, "status", **{setting("kafka"): "kafka"})
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and setting("kafka") in done.stderr and "likely fix" in done.stderr


def test_a_disabled_stack_refuses_to_start(root: Path) -> None:
    done = run(root, "infra", KASANE_STACK_DISABLED="1")
    assert done.returncode == 1
    assert "disabled" in done.stderr and "Traceback" not in done.stderr
    assert not (root / ".local" / "postgres").exists()
