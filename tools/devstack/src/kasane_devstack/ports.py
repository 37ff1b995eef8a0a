"""Every port the local stack listens on, each movable by one setting.

    KASANE_STACK_KAFKA_PORT=19092 KASANE_STACK_POSTGRES_PORT=15432 make up
    KASANE_STACK_PORT_OFFSET=10000 make up      # every default port plus 10000

A setting is ``KASANE_STACK_<KEY>_PORT`` for each key of :data:`DEFAULTS` (``kafka``,
``kafka-controller``, ``postgres``, ``intake-api``, ``intake-worker``, ``intake-metrics``,
... with ``-`` as ``_``). ``make up`` records the ports it used in ``.local/stack.json``, so
``make status``, ``make down``, ``make demo`` and ``kasane-stack env`` in the same checkout
find the stack again without the settings. A port set explicitly wins over the offset,
the offset over the recorded port, the recorded port over the default.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kasane_devstack.report import Failure

SERVICE_NAMES = ("intake", "coordination", "participation", "community")

DEFAULTS: dict[str, int] = {
    "kafka": 9092,
    "kafka-controller": 9093,
    "postgres": 55432,
    **{f"{name}-{role}": base + i for i, name in enumerate(SERVICE_NAMES, start=1)
       for role, base in (("api", 8000), ("worker", 8100), ("metrics", 9000))},
}

OFFSET_SETTING = "KASANE_STACK_PORT_OFFSET"


class PortError(Failure):
    """A port setting that cannot be used; the message names the setting."""

    def __init__(self, what: str) -> None:
        super().__init__(what, fix="give each of the stack's ports a number of its own, 1-65535")


def setting(key: str) -> str:
    """The environment variable that moves the port ``key``."""
    return f"KASANE_STACK_{key.upper().replace('-', '_')}_PORT"


@dataclass(frozen=True)
class ServicePorts:
    name: str
    api: int
    worker: int
    metrics: int


@dataclass(frozen=True)
class Ports:
    by_key: Mapping[str, int]

    @property
    def kafka(self) -> int:
        return self.by_key["kafka"]

    @property
    def kafka_controller(self) -> int:
        return self.by_key["kafka-controller"]

    @property
    def postgres(self) -> int:
        return self.by_key["postgres"]

    @property
    def services(self) -> tuple[ServicePorts, ...]:
        k = self.by_key
        return tuple(ServicePorts(n, k[f"{n}-api"], k[f"{n}-worker"], k[f"{n}-metrics"]) for n in SERVICE_NAMES)

    def moved(self) -> dict[str, int]:
        """The ports that differ from the defaults."""
        return {k: v for k, v in self.by_key.items() if DEFAULTS[k] != v}


def _port(value: str, name: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise PortError(f"{name}={value!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise PortError(f"{name}={port} is outside 1-65535")
    return port


def resolve(environ: Mapping[str, str], recorded: Mapping[str, int] | None = None) -> Ports:
    """The ports to use, from the settings in ``environ`` and the ports ``make up`` recorded."""
    offset_text = environ.get(OFFSET_SETTING, "").strip()
    offset = None
    if offset_text:
        try:
            offset = int(offset_text)
        except ValueError:
            raise PortError(f"{OFFSET_SETTING}={offset_text!r} is not a number") from None
    chosen: dict[str, int] = {}
    origin: dict[str, str] = {}
    for key, default in DEFAULTS.items():
        name = setting(key)
        if environ.get(name, "").strip():
            chosen[key], origin[key] = _port(environ[name].strip(), name), name
        elif offset is not None:
            chosen[key], origin[key] = _port(str(default + offset), f"{OFFSET_SETTING} (for {name})"), OFFSET_SETTING
        elif recorded and key in recorded:
            chosen[key], origin[key] = int(recorded[key]), "the ports recorded by the last `make up`"
        else:
            chosen[key], origin[key] = default, "the default"
    seen: dict[int, str] = {}
    for key, port in chosen.items():
        if port in seen:
            raise PortError(f"{setting(seen[port])} and {setting(key)} are both {port} "
                            f"(from {origin[seen[port]]} and {origin[key]})")
        seen[port] = key
    return Ports(chosen)


def read_record(path: Path) -> dict[str, int] | None:
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None
    ports = data.get("ports") if isinstance(data, dict) else None
    if not isinstance(ports, dict):
        return None
    return {k: int(v) for k, v in ports.items() if k in DEFAULTS and isinstance(v, int)}


def write_record(path: Path, ports: Ports) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"ports": dict(ports.by_key)}, indent=2) + "\n")
    tmp.replace(path)


def load(path: Path, environ: Mapping[str, str] | None = None) -> Ports:
    return resolve(os.environ if environ is None else environ, read_record(path))


_current: Ports | None = None


def current() -> Ports:
    """This checkout's ports (the settings, else what ``make up`` recorded), read once."""
    global _current
    if _current is None:
        from kasane_devstack.paths import STACK_FILE

        _current = load(STACK_FILE)
    return _current
