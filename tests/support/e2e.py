"""All four services as real processes, API and worker each, for end-to-end journeys.

Each journey run gets fresh databases (migrated by the services' own `migrate` command),
a private topic namespace, free ports, and a trace file per process: the services export
their spans there as JSON lines (``KASANE_TRACE_FILE``), so a test can follow one trace
id through every process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from kasane_devstack.procs import free_port
from kasane_shared.events.streams import SERVICES, all_topics
from opentelemetry import propagate, trace
from opentelemetry.sdk.trace import TracerProvider

from tests.support.kafka import read_topic
from tests.support.stack import PROFILE, TestStack

BIN = Path(sys.executable).parent


@dataclass
class Process:
    service: str
    role: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path
    trace_file: Path


@dataclass
class System:
    """The running system: a client per service, topics, and the spans exported so far."""

    stack: TestStack
    prefix: str
    work: Path
    ports: dict[str, int]
    processes: list[Process] = field(default_factory=list)
    clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)

    def __getitem__(self, service: str) -> httpx.AsyncClient:
        return self.clients[service]

    async def read(self, logical_topic: str, **kwargs: Any) -> list[Any]:
        return await read_topic(self.stack.bootstrap, self.prefix + logical_topic, **kwargs)

    def spans(self) -> list[dict[str, Any]]:
        """Every span every process has exported, with the process it came from."""
        found = []
        for p in self.processes:
            if p.trace_file.exists():
                for line in p.trace_file.read_text(encoding="utf-8").splitlines():
                    if line.strip():
                        span = json.loads(line)
                        span["_process"] = f"{p.service}-{p.role}"
                        found.append(span)
        return found

    def logs(self) -> str:
        return "\n".join(f"--- {p.service}-{p.role}\n" + p.log.read_text(errors="replace")[-4000:]
                         for p in self.processes if p.log.exists())


def _env(stack: TestStack, prefix: str, work: Path, service: str, role: str, db_url: str,
         ports: dict[str, int]) -> dict[str, str]:
    upper = service.upper()
    env = {k: v for k, v in os.environ.items() if not k.startswith(tuple(s.upper() + "_" for s in SERVICES))}
    env.update({
        "KAFKA_BOOTSTRAP_SERVERS": stack.bootstrap,
        "KASANE_TOPIC_PREFIX": prefix,
        "KASANE_PROFILE": str(PROFILE),
        "KASANE_JWT_PUBLIC_KEY_FILES": str(stack.keys_dir / "dev-jwt.pub.pem"),
        "KASANE_JWT_ISSUER": "kasane-dev",
        "KASANE_JWT_AUDIENCE": "kasane",
        "KASANE_TRACE_FILE": str(work / f"{service}-{role}.spans.jsonl"),
        f"{upper}_DATABASE_URL": db_url,
        f"{upper}_HTTP_PORT": str(ports[f"{service}-api"]),
        f"{upper}_WORKER_PORT": str(ports[f"{service}-worker"]),
        f"{upper}_RELAY_POLL_SECONDS": "0.2",
        f"{upper}_CONSUMER_BACKOFF_SECONDS": "0.1",
    })
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    return env


def _bound(p: Process, timeout: float) -> bool:
    """Wait until the process's server says it listens on its own port (True) or the process
    exits (False). An open port alone is not enough: it may be another program's."""
    listening = re.compile(rf"running on http://[^\s:]+:{p.port}\b")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if p.log.exists() and listening.search(p.log.read_text(errors="replace")):
            return True
        if p.proc.poll() is not None:
            return False
        time.sleep(0.2)
    raise RuntimeError(f"{p.service} {p.role} did not listen on port {p.port} within {timeout:.0f}s; see {p.log}")


@contextlib.asynccontextmanager
async def running_system(stack: TestStack, name: str, work: Path) -> AsyncIterator[System]:
    """Start the four services (API and worker each) for one journey; stop them after."""
    prefix = f"{stack.prefix}{name}."
    await stack.ensure_topics(all_topics(prefix))
    ports = {f"{s}-{role}": free_port() for s in SERVICES for role in ("api", "worker")}
    system = System(stack, prefix, work, ports)
    urls = {}
    for service in SERVICES:
        url = await stack.create_database(f"{name}_{service}", [])
        urls[service] = url
        await asyncio.to_thread(
            subprocess.run, [str(BIN / f"kasane-{service}"), "migrate"], check=True, capture_output=True,
            env=_env(stack, prefix, work, service, "migrate", url, ports))

    def launch(service: str, role: str) -> Process:
        log = work / f"{service}-{role}.log"
        with log.open("ab") as out:
            proc = subprocess.Popen(
                [str(BIN / f"kasane-{service}"), role], stdout=out, stderr=subprocess.STDOUT,
                env=_env(stack, prefix, work, service, role, urls[service], ports),
            )
        return Process(service, role, ports[f"{service}-{role}"], proc, log, work / f"{service}-{role}.spans.jsonl")

    try:
        for service in SERVICES:
            for role in ("api", "worker"):
                system.processes.append(launch(service, role))
        for i, p in enumerate(system.processes):
            tries = 1
            while not await asyncio.to_thread(_bound, p, 60):
                if tries == 3:
                    raise RuntimeError(f"{p.service} {p.role} exited before listening; see {p.log}")
                # another program took the port between choosing it and binding it: another port
                tries += 1
                ports[f"{p.service}-{p.role}"] = free_port()
                p = system.processes[i] = launch(p.service, p.role)
        for service in SERVICES:
            system.clients[service] = httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{ports[f'{service}-api']}", timeout=30)
        yield system
    finally:
        for client in system.clients.values():
            await client.aclose()
        for p in system.processes:
            p.proc.terminate()
        for p in system.processes:
            try:
                await asyncio.to_thread(p.proc.wait, 30)
            except subprocess.TimeoutExpired:
                p.proc.kill()


_provider = TracerProvider()
_tracer = _provider.get_tracer("kasane.e2e")


@contextlib.contextmanager
def journey_trace(name: str) -> Iterator[str]:
    """A client-side root span for a whole journey; yields its trace id (hex). Requests
    sent with :func:`traced` inside it carry its ``traceparent``, as a partner system's
    own tracing would, so every service's spans join one trace."""
    with _tracer.start_as_current_span(f"journey {name}") as span:
        yield format(span.get_span_context().trace_id, "032x")


def traced(headers: dict[str, str]) -> dict[str, str]:
    """``headers`` plus the current trace context."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=trace.set_span_in_context(trace.get_current_span()))
    return {**headers, **carrier}
