"""A first `make up` interrupted halfway (initdb, Kafka's storage format, the jars'
download) is finished or started over by the next one, never half used. Real PostgreSQL,
Kafka and Maven, each in a place of its own (none of the running stack's)."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import pytest
from kasane_devstack import kafka, procs
from kasane_devstack.kafka import Broker, new_cluster_id


def _python(root: Path, code: str, **env: str) -> subprocess.Popen[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("KASANE_STACK_")}
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True, env={**base, "KASANE_ROOT": str(root), **env})


def _processes_naming(text: str) -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()
            and any(text in a for a in procs.cmdline(int(p.name)))]


def test_an_initdb_killed_halfway_is_started_over_and_the_cluster_serves(tmp_path: Path) -> None:
    """The checkout sits under pytest's 0700 temporary directory, as a clone under a 0700
    home would: the root-run server must still start (the cluster lives outside it)."""
    root = tmp_path / "a checkout"  # a space in the path, too
    (root / ".local").mkdir(parents=True)
    port = str(procs.free_port())
    first = _python(root, "from kasane_devstack import postgres; postgres.ensure_cluster()")
    link = root / ".local" / "postgres"
    try:
        deadline = time.monotonic() + 120
        while not (link.exists() and (link / "data.initdb" / "PG_VERSION").exists()):
            assert first.poll() is None, first.stdout.read() if first.stdout else ""
            assert time.monotonic() < deadline, "initdb never began"
            time.sleep(0.01)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        home = link.resolve()
        for pid in _processes_naming(str(home / "data.initdb")):  # initdb's own children, if any escaped
            os.kill(pid, signal.SIGKILL)
        assert (home / "data.initdb").exists() and not (home / "data").exists()  # killed halfway indeed

        second = _python(root, "from kasane_devstack import postgres; postgres.start(); postgres.provision()",
                         KASANE_STACK_POSTGRES_PORT=port)
        out, _ = second.communicate(timeout=180)
        assert second.returncode == 0, out
        assert "an interrupted initdb" in out
        assert (home / "data" / "PG_VERSION").exists() and not (home / "data.initdb").exists()

        async def databases() -> list[str]:
            conn = await asyncpg.connect(f"postgresql://kasane:kasane-dev@127.0.0.1:{port}/postgres")
            try:
                return [r[0] for r in await conn.fetch("SELECT datname FROM pg_database ORDER BY 1")]
            finally:
                await conn.close()

        assert "kasane_intake" in asyncio.run(databases())
    finally:
        first.kill()
        stop = _python(root, "from kasane_devstack import postgres; postgres.stop()", KASANE_STACK_POSTGRES_PORT=port)
        stop.communicate(timeout=120)
        if link.is_symlink():
            shutil.rmtree(link.resolve(), ignore_errors=True)


def test_a_half_formatted_kafka_storage_is_formatted_again(tmp_path: Path) -> None:
    home = tmp_path / "broker"
    (home / "data.partial").mkdir(parents=True)
    (home / "data.partial" / "bootstrap.checkpoint").write_bytes(b"\0half")
    (home / "data" / "__cluster_metadata-0").mkdir(parents=True)  # storage without meta.properties
    broker = Broker(name=f"kafka-devstack-{secrets.token_hex(3)}", port=procs.free_port(),
                    controller_port=procs.free_port(), home=home, heap="256m")
    try:
        broker.start()
        assert broker.running()
        assert (home / "data" / "meta.properties").exists() and not (home / "data.partial").exists()
    finally:
        broker.stop()
        broker.log_file.unlink(missing_ok=True)


@pytest.fixture
def kafka_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "kafka"
    monkeypatch.setattr(kafka, "KAFKA_HOME", home)
    monkeypatch.setattr(kafka, "LIBS", home / "libs")
    monkeypatch.setattr(kafka, "STAMP", home / "libs" / ".resolved")
    return home


def test_an_interrupted_download_of_the_jars_is_started_over(kafka_home: Path) -> None:
    (kafka_home / "libs.partial").mkdir(parents=True)
    (kafka_home / "libs.partial" / "kafka_2.13-4.4.0.jar").write_bytes(b"half a jar")
    (kafka_home / "libs").mkdir()
    (kafka_home / "libs" / "stale.jar").write_bytes(b"from an older pom")  # no stamp: never completed
    libs = kafka.ensure_jars()
    assert libs == kafka_home / "libs"
    assert (libs / ".resolved").exists() and not (libs / "stale.jar").exists()
    assert (libs / "kafka_2.13-4.4.0.jar").stat().st_size > 1_000_000
    assert not (kafka_home / "libs.partial").exists()


def test_a_cluster_id_never_reads_as_an_option() -> None:
    # about one id in 64 would start with '-', which StorageTool takes for an option
    ids = {new_cluster_id() for _ in range(5000)}
    assert len(ids) == 5000
    assert not any(i.startswith("-") for i in ids)
    assert all(len(i) == 22 for i in ids)
