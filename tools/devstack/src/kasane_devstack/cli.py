"""``kasane-stack up|infra|down|status|env``: the local stack without Docker."""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
import time

from kasane_devstack import postgres, services
from kasane_devstack.kafka import Broker
from kasane_devstack.paths import KEYS, LOGS, ensure_dirs


def infra() -> dict[str, str]:
    """Kafka, PostgreSQL, keys and topics; return the stack's environment."""
    from kasane_shared.auth.cli import keygen
    from kasane_shared.events.streams import all_topics
    from kasane_shared.kafka import ensure_topics

    ensure_dirs()
    started = time.monotonic()
    postgres.start()
    postgres.provision()
    broker = Broker()
    broker.start()
    keygen(KEYS)
    asyncio.run(ensure_topics(None, all_topics(), bootstrap_servers=broker.bootstrap))
    print(f"infrastructure ready in {time.monotonic() - started:.1f}s", flush=True)
    return services.stack_env(broker.bootstrap)


def up() -> None:
    env = infra()
    services.migrate_all(env)
    services.start_all(env)
    print_summary()


def print_summary() -> None:
    print("\nKasane is up (all on 127.0.0.1):")
    print(f"  PostgreSQL  127.0.0.1:{postgres.PORT}   databases kasane_<service>, admin role {postgres.ADMIN_USER}")
    print("  Kafka       127.0.0.1:9092    (KRaft, single node; controller on 9093)")
    for s in services.SERVICES:
        print(f"  {s.name:<13} http://127.0.0.1:{s.api}/docs   worker probes :{s.worker}, metrics :{s.metrics} and :{s.worker}/metrics")
    print(f"\n  logs:   {LOGS}/")
    print("  token:  .local/venv/bin/kasane-token mint --agency sk-houkatsu-kita --scope 'consultations:read consultations:write'")
    print("  env:    eval \"$(.local/venv/bin/kasane-stack env)\"   (for CLIs and pytest)")
    print("  stop:   make down")


def down() -> None:
    services.stop_all()
    Broker().stop()
    postgres.stop()
    print("Kasane stopped (data kept in .local/; `make clean` removes it)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="kasane-stack", description=__doc__)
    parser.add_argument("command", choices=["up", "infra", "down", "status", "env"])
    args = parser.parse_args(argv)
    if args.command == "up":
        up()
    elif args.command == "infra":
        infra()
    elif args.command == "down":
        down()
    elif args.command == "env":
        for k, v in services.stack_env().items():
            print(f"export {k}={shlex.quote(v)}")
    else:
        print(f"postgres: {'up' if postgres.running() else 'down'}")
        print(f"kafka: {'up' if Broker().running() else 'down'}")
        for name, state in services.status().items():
            print(f"{name}: {state}")
    sys.stdout.flush()
