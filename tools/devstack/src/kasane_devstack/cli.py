"""``kasane-stack up|infra|down|status|env``: the local stack without Docker.

Each step prints a line as it starts and one with its duration as it ends; a failure ends
with one line naming what failed, the log to read and the likely fix (``KASANE_DEBUG=1``
shows the traceback as well). Every port moves by one setting (``kasane_devstack.ports``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import sys
import time

from kasane_devstack import ports, postgres, services
from kasane_devstack.kafka import Broker
from kasane_devstack.paths import KEYS, LOGS, STACK_FILE, ensure_dirs
from kasane_devstack.report import Failure, print_failure, say, step

DISABLED = "KASANE_STACK_DISABLED"  # set to 1: nothing may start this checkout's servers


def _refuse_if_disabled() -> None:
    if os.environ.get(DISABLED, "") not in ("", "0"):
        raise Failure(f"the local stack's start is disabled ({DISABLED}={os.environ[DISABLED]}), yet something "
                      "tried to start it", fix=f"unset {DISABLED}, or set KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL")


def _check_moves(wanted: ports.Ports) -> None:
    """Ports cannot move under a running stack: its processes hold the old ones."""
    recorded = ports.read_record(STACK_FILE)
    if not recorded or recorded == dict(wanted.by_key):
        return
    old = ports.Ports({**ports.DEFAULTS, **recorded})
    if postgres.running() or services.running_any() or Broker(port=old.kafka, controller_port=old.kafka_controller).running():
        moved = ", ".join(f"{k} {recorded.get(k)} -> {v}" for k, v in wanted.by_key.items() if recorded.get(k) != v)
        raise Failure(f"this checkout's stack runs on other ports than asked for ({moved})",
                      fix="make down first, then make up with the new settings")


def _preflight(p: ports.Ports, with_services: bool) -> None:
    """Fail at once, before any download or initdb, when a port the stack still has to
    open is another program's."""
    from kasane_devstack import procs

    broker = Broker(port=p.kafka, controller_port=p.kafka_controller)
    needed: dict[str, int] = {}
    if not postgres.running():
        needed["postgres"] = p.postgres
    if not broker.running():
        needed |= {"kafka": p.kafka, "kafka-controller": p.kafka_controller}
    if with_services:
        needed |= services.ports_to_open()
    for key, port in needed.items():
        if procs.port_open(port):
            raise Failure(f"port {port} ({key.replace('-', ' ')}) is taken by another program",
                          fix=f"stop that program, or move the stack: {ports.setting(key)}=<free port> make up "
                              f"(or {ports.OFFSET_SETTING}=<n> to move every port)")


def infra(with_services: bool = False) -> dict[str, str]:
    """Kafka, PostgreSQL, keys and topics; return the stack's environment. With
    ``with_services`` (``up``), the services' ports must be free too, checked first."""
    from kasane_shared.auth.cli import keygen
    from kasane_shared.events.streams import all_topics
    from kasane_shared.kafka import ensure_topics

    _refuse_if_disabled()
    ensure_dirs()
    p = ports.current()
    _check_moves(p)
    _preflight(p, with_services)
    ports.write_record(STACK_FILE, p)
    if p.moved():
        say("ports moved by settings: " + ", ".join(f"{k} {v}" for k, v in p.moved().items()))
    with step(f"PostgreSQL: cluster and server on 127.0.0.1:{p.postgres}"):
        postgres.start()
    with step("PostgreSQL: the services' roles and databases"):
        postgres.provision()
    broker = Broker()
    with step(f"Kafka: broker on 127.0.0.1:{p.kafka} (controller :{p.kafka_controller})"):
        broker.start()
    with step("development key pair (.local/keys)"):
        keygen(KEYS)
    with step("Kafka: topics"):
        try:
            asyncio.run(ensure_topics(None, all_topics(), bootstrap_servers=broker.bootstrap))
        except Exception as exc:
            raise Failure(f"creating the topics: {exc}", log=broker.log_file,
                          fix="read the broker's log; make up again retries") from exc
    return services.stack_env(broker.bootstrap)


def up() -> None:
    started = time.monotonic()
    env = infra(with_services=True)
    with step("migrations, the four services' databases"):
        services.migrate_all(env)
    with step("services: API and worker each, until /readyz answers 200"):
        services.start_all(env)
    print_summary(time.monotonic() - started)


def print_summary(seconds: float) -> None:
    p = ports.current()
    print(f"\nKasane is up in {seconds:.0f} s (all on 127.0.0.1):")
    print(f"  PostgreSQL  127.0.0.1:{p.postgres}   databases kasane_<service>, admin role {postgres.ADMIN_USER}")
    print(f"  Kafka       127.0.0.1:{p.kafka}    (KRaft, single node; controller on {p.kafka_controller})")
    for s in p.services:
        print(f"  {s.name:<13} http://127.0.0.1:{s.api}/docs   worker probes :{s.worker}, metrics :{s.metrics} and :{s.worker}/metrics")
    print(f"\n  logs:   {LOGS}/")
    print("  token:  .local/venv/bin/kasane-token mint --agency sk-houkatsu-kita --scope 'consultations:read consultations:write'")
    print("  env:    eval \"$(.local/venv/bin/kasane-stack env)\"   (for CLIs and pytest)")
    print("  stop:   make down")
    sys.stdout.flush()


def down() -> None:
    with step("stopping this checkout's services, Kafka and PostgreSQL"):
        stopped = services.stop_all()
        p = ports.current()
        kafka = Broker(port=p.kafka, controller_port=p.kafka_controller).stop()
        pg = postgres.stop()
    say(f"stopped {stopped} service processes{', Kafka' if kafka else ''}{', PostgreSQL' if pg else ''} "
        "(data kept in .local/; `make clean` removes it)")


def status() -> None:
    p = ports.current()
    pg = postgres.server()
    if pg is None:
        print(f"postgres: down (:{p.postgres})")
    else:
        print(f"postgres: up (:{pg.port}, pid {pg.pid}, data {postgres.data_dir()})")
    print(f"kafka: {'up' if Broker().running() else 'down'} (:{p.kafka}, controller :{p.kafka_controller})")
    for name, state in services.status().items():
        print(f"{name}: {state}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="kasane-stack", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["up", "infra", "down", "status", "env"])
    args = parser.parse_args(argv)
    try:
        if args.command == "up":
            up()
        elif args.command == "infra":
            infra()
        elif args.command == "down":
            down()
        elif args.command == "env":
            for k, v in services.env_for_shell(os.environ).items():
                print(f"export {k}={shlex.quote(v)}")
        else:
            status()
    except BrokenPipeError:  # `kasane-stack status | head`
        sys.stderr.close()
        raise SystemExit(0) from None
    except KeyboardInterrupt:
        print_failure(Failure(f"kasane-stack {args.command} was interrupted",
                              fix="run it again: every step resumes or starts over cleanly"))
        raise SystemExit(130) from None
    except Exception as exc:
        if os.environ.get("KASANE_DEBUG"):
            raise
        print_failure(exc)
        raise SystemExit(1) from None
    sys.stdout.flush()
