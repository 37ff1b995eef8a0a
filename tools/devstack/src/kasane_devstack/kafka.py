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
import uuid
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

from kasane_devstack import ports, procs
from kasane_devstack.paths import LOCAL, LOGS, RUN
from kasane_devstack.report import Failure, say, waiting

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
        say("  installing Java 17 from Debian's packages (first run on this machine)")
        procs.apt_install("openjdk-17-jre-headless")


def ensure_jars() -> Path:
    """Resolve the broker's jars from Maven Central unless done already. They are copied
    into ``libs.partial`` and moved into place once all are there, so an interrupted
    download is started over by the next run (Maven's own cache resumes it)."""
    pom = files("kasane_devstack") / "kafka" / "pom.xml"
    if STAMP.exists() and STAMP.read_text() == pom.read_text():
        return LIBS
    ensure_java()
    if shutil.which("mvn") is None:
        say("  installing Maven from Debian's packages (first run on this machine)")
        procs.apt_install("maven")
    partial = KAFKA_HOME / "libs.partial"
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    say("  resolving Apache Kafka's jars from Maven Central (first run only; about 45 MB)")
    procs.run_logged(
        ["mvn", "-q", "-B", "-f", str(pom), "dependency:copy-dependencies", f"-DoutputDirectory={partial}"],
        log=LOGS / "maven.log", what="resolving Kafka's jars with Maven",
        fix="check that Maven Central is reachable, then make up again (it resumes)",
    )
    (partial / STAMP.name).write_text(pom.read_text())
    if LIBS.exists():
        shutil.rmtree(LIBS)
    partial.rename(LIBS)
    return LIBS


def _default_port() -> int:
    return ports.current().kafka


def _default_controller_port() -> int:
    return ports.current().kafka_controller


def new_cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, URL-safe base64 without padding, never starting
    with '-' (StorageTool would read such an id as an option, as Kafka's own Uuid avoids)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


@dataclass(frozen=True)
class Broker:
    """One single-node KRaft broker with its own data directory and ports."""

    name: str = "kafka"
    port: int = field(default_factory=_default_port)
    controller_port: int = field(default_factory=_default_controller_port)
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

    def _properties(self, data_dir: Path) -> str:
        return "\n".join(
            [
                "process.roles=broker,controller",
                "node.id=1",
                f"controller.quorum.bootstrap.servers=127.0.0.1:{self.controller_port}",
                f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
                f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                "controller.listener.names=CONTROLLER",
                "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                "inter.broker.listener.name=PLAINTEXT",
                f"log.dirs={_escape(data_dir)}",
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

    def _write_config(self) -> Path:
        """The broker's configuration, written on every start (the ports may have moved)."""
        self.home.mkdir(parents=True, exist_ok=True)
        props = self.home / "server.properties"
        props.write_text(self._properties(self.data_dir))
        (self.home / "log4j2.yaml").write_text(_LOG4J)
        return props

    def _log4j(self) -> str:
        return f"-Dlog4j2.configurationFile={(self.home / 'log4j2.yaml').as_uri()}"

    def _format(self) -> None:
        """Format the storage once. The tool writes into ``data.partial``, renamed to
        ``data`` when it has finished: a half-formatted directory from an interrupted run
        is removed and formatted again, never started from."""
        if (self.data_dir / "meta.properties").exists():
            return
        partial = self.home / "data.partial"
        for leftover, why in ((partial, "an interrupted storage format"),
                              (self.data_dir, "a storage directory that was never formatted")):
            if leftover.exists():
                say(f"  removing {leftover} ({why} of an earlier run)")
                shutil.rmtree(leftover)
        props = self.home / "format.properties"
        props.write_text(self._properties(partial))
        cluster_id = new_cluster_id()
        procs.run_logged(
            ["java", "-cp", f"{LIBS}/*", self._log4j(), "kafka.tools.StorageTool", "format", "-t", cluster_id,
             "-c", str(props), "--standalone"],
            log=LOGS / f"{self.name}-format.log", what="formatting Kafka's storage",
            fix="read the log; make up again formats afresh",
        )
        props.unlink()
        partial.rename(self.data_dir)

    def running(self) -> bool:
        return procs.read_pid(self.pid_file) is not None

    def start(self, timeout: float = 90.0) -> None:
        """Start the broker unless it runs; return once it answers metadata requests and
        can coordinate consumer groups."""
        ensure_jars()
        if not self.running():
            if procs.port_open(self.port) or procs.port_open(self.controller_port):
                taken = self.port if procs.port_open(self.port) else self.controller_port
                raise Failure(
                    f"port {taken} for Kafka ({self.name}) is taken by another program",
                    fix=f"stop it, or move the stack: {ports.setting('kafka')}=... "
                        f"{ports.setting('kafka-controller')}=... make up",
                )
            props = self._write_config()
            self._format()
            procs.spawn(
                ["java", f"-Xms{self.heap}", f"-Xmx{self.heap}", "-XX:+UseG1GC",
                 "-Djava.awt.headless=true", self._log4j(),
                 "-cp", f"{LIBS}/*", "kafka.Kafka", str(props)],
                log=self.log_file, pid_file=self.pid_file,
            )
        fix = "read the log; a port taken or too little memory are the usual causes"
        procs.wait_until(lambda: procs.port_open(self.port), what=f"Kafka ({self.name}) to listen on {self.port}",
                         timeout=timeout, log=self.log_file, fix=fix, alive=self.running)
        asyncio.run(_wait_for_metadata(self.bootstrap, timeout, self.log_file))

    def stop(self) -> bool:
        return procs.stop(self.pid_file, timeout=60)

    def kill(self) -> None:
        procs.kill(self.pid_file)


def _escape(path: Path) -> str:
    """A path as a Java properties value (backslashes are escapes there)."""
    return str(path).replace("\\", "\\\\")


async def _wait_for_metadata(bootstrap: str, timeout: float, log: Path) -> None:
    """Wait until the broker answers metadata and can coordinate consumer groups (a new
    broker creates its offsets topic on the first lookup and answers "not available" until
    then; services and tests starting right after would see that error)."""
    from aiokafka.admin import AIOKafkaAdminClient

    waiting(f"Kafka at {bootstrap} to answer metadata and group-coordinator requests")
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
    raise Failure(f"Kafka at {bootstrap} did not answer metadata requests within {timeout:.0f} s ({last})",
                  log=log, fix="read the log; make down && make up restarts the broker")
