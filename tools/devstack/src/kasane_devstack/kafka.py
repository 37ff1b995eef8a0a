"""A real Apache Kafka 4.x broker (KRaft, single node) from Maven Central's jars.

The jars are resolved once by Maven from ``kafka/pom.xml`` into ``.local/kafka/libs``;
storage is formatted with ``kafka.tools.StorageTool`` and the broker runs as
``kafka.Kafka`` on the machine's Java 17 with a bounded heap. Topics are never
auto-created: the stack creates each one with its partitions.
"""

from __future__ import annotations

import asyncio
import base64
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from kasane_devstack import procs
from kasane_devstack.paths import LOCAL, LOGS, RUN

KAFKA_HOME = LOCAL / "kafka"
LIBS = KAFKA_HOME / "libs"
STAMP = LIBS / ".resolved"

_LOG4J = """\
Configuration:
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: WARN
      AppenderRef:
        - ref: STDOUT
    Logger:
      - name: kafka.server.KafkaRaftServer
        level: INFO
      - name: kafka.server.BrokerServer
        level: INFO
"""


def ensure_java() -> None:
    if shutil.which("java") is None:
        procs.apt_install("openjdk-17-jre-headless")


def ensure_jars() -> Path:
    """Resolve the broker's jars from Maven Central unless done already."""
    pom = files("kasane_devstack") / "kafka" / "pom.xml"
    if STAMP.exists() and STAMP.read_text() == pom.read_text():
        return LIBS
    ensure_java()
    if shutil.which("mvn") is None:
        procs.apt_install("maven")
    if LIBS.exists():
        shutil.rmtree(LIBS)
    LIBS.mkdir(parents=True)
    print("resolving Apache Kafka's jars from Maven Central (first run only) ...", flush=True)
    subprocess.run(
        ["mvn", "-q", "-B", "-f", str(pom), "dependency:copy-dependencies",
         f"-DoutputDirectory={LIBS}"],
        check=True,
    )
    STAMP.write_text(pom.read_text())
    return LIBS


@dataclass(frozen=True)
class Broker:
    """One single-node KRaft broker with its own data directory and ports."""

    name: str = "kafka"
    port: int = 9092
    controller_port: int = 9093
    home: Path = KAFKA_HOME / "broker"
    heap: str = "512m"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def log_file(self) -> Path:
        return LOGS / f"{self.name}.log"

    @property
    def pid_file(self) -> Path:
        return RUN / f"{self.name}.pid"

    def _write_config(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True)
        props = self.home / "server.properties"
        props.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.bootstrap.servers=127.0.0.1:{self.controller_port}",
                    f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
                    f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                    "controller.listener.names=CONTROLLER",
                    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                    "inter.broker.listener.name=PLAINTEXT",
                    f"log.dirs={self.data_dir}",
                    "auto.create.topics.enable=false",
                    "num.partitions=1",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=10",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "delete.topic.enable=true",
                    "",
                ]
            )
        )
        (self.home / "log4j2.yaml").write_text(_LOG4J)
        return props

    def _format(self, props: Path) -> None:
        if (self.data_dir / "meta.properties").exists():
            return
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        subprocess.run(
            ["java", "-cp", f"{LIBS}/*", f"-Dlog4j2.configurationFile={self.home / 'log4j2.yaml'}",
             "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(props), "--standalone"],
            check=True, stdout=subprocess.DEVNULL,
        )

    def running(self) -> bool:
        return procs.read_pid(self.pid_file) is not None

    def start(self, timeout: float = 90.0) -> None:
        """Start the broker unless it runs; return once it answers metadata requests."""
        ensure_jars()
        props = self._write_config()
        if not self.running():
            if procs.port_open(self.port):
                raise RuntimeError(
                    f"port {self.port} is taken by another program; stop it or set "
                    "KAFKA_BOOTSTRAP_SERVERS to use an existing broker"
                )
            self._format(props)
            procs.spawn(
                ["java", f"-Xms{self.heap}", f"-Xmx{self.heap}", "-XX:+UseG1GC",
                 "-Djava.awt.headless=true",
                 f"-Dlog4j2.configurationFile={self.home / 'log4j2.yaml'}",
                 "-cp", f"{LIBS}/*", "kafka.Kafka", str(props)],
                log=self.log_file, pid_file=self.pid_file,
            )
        procs.wait_for_port(self.port, timeout, f"Kafka ({self.name})", self.log_file)
        asyncio.run(_wait_for_metadata(self.bootstrap, timeout))

    def stop(self) -> bool:
        return procs.stop(self.pid_file, timeout=60)

    def kill(self) -> None:
        procs.kill(self.pid_file)


async def _wait_for_metadata(bootstrap: str, timeout: float) -> None:
    """Wait until the broker answers metadata and can coordinate consumer groups (a new
    broker creates its offsets topic on the first lookup and answers "not available" until
    then; services and tests starting right after would see that error)."""
    from aiokafka.admin import AIOKafkaAdminClient

    deadline = asyncio.get_running_loop().time() + timeout
    last: Exception | None = None
    while asyncio.get_running_loop().time() < deadline:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
        try:
            await admin.start()
            await admin.list_topics()
            await admin.find_coordinator("kasane-stack-warmup")
            return
        except Exception as exc:
            last = exc
        finally:
            await admin.close()
        await asyncio.sleep(0.5)
    raise RuntimeError(f"Kafka at {bootstrap} did not answer within {timeout:.0f}s: {last}")
