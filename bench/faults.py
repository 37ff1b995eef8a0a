"""``make faults``: the local stack under a steady load of consultations while parts of it
fail (issue 13). Not a test: it prints a table.

For each fault, consultations are posted to intake for the whole phase by a partner that
retries each one with the same ``Idempotency-Key`` until it is acknowledged (as a real
partner system would), while the fault happens in the middle: the broker stopped for 15 s,
the intake worker (intake's relay leader: one replica) killed and restarted, the
coordination worker (a consumer) killed and restarted, PostgreSQL restarted. Then it
waits until every acknowledged consultation has its effect in coordination (the fact on
the household's timeline) and counts, per fault:

- acknowledged: consultations intake answered 201/200;
- published: their ``ConsultationReceived`` events marked published in intake's outbox;
- applied: those whose fact is on coordination's timeline;
- lost: acknowledged, never applied (after the wait); duplicated: a consultation stored
  twice in intake, or its fact applied twice in coordination;
- recovered in: seconds from the part being back until the last acknowledged one applied.
  It includes draining the backlog the load itself builds: the first row (no fault) is
  the baseline to compare with.

Run against the stack ``make up`` started (it adds consultations of an agency named
``sk-houkatsu-kita`` to its databases; ``make clean`` removes them with everything else).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
import httpx
from kasane_devstack import ports, postgres, procs, services
from kasane_devstack.kafka import Broker
from kasane_devstack.paths import KEYS
from kasane_shared.auth.cli import mint
from kasane_shared.contracts.intake import ConsultationReceived

AGENCY = "sk-houkatsu-kita"
PHASE_SECONDS = 30.0
FAULT_AT = 8.0
POSTERS = 4
RECOVERY_LIMIT = 180.0


@dataclass
class Phase:
    name: str
    acknowledged: set[str] = field(default_factory=set)
    refused: list[str] = field(default_factory=list)
    attempts: int = 0
    back_at: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)


def _token() -> str:
    return mint((KEYS / "dev-jwt.key.pem").read_bytes(), agency=AGENCY,
                scopes=["consultations:read", "consultations:write"], subject="faults-bench", ttl_seconds=3600)


async def _poster(client: httpx.AsyncClient, phase: Phase, until: float, token: str) -> None:
    """Post consultations one after another; retry each with its key until acknowledged."""
    while time.monotonic() < until:
        # letters only: twelve digits in a row look like a My Number and are refused
        key = "faults-" + "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex)
        body = {"channel": "phone", "consulted_by": "self", "external_id": key, "concern_codes": ["housing"]}
        while True:
            phase.attempts += 1
            try:
                r = await client.post("/v1/consultations", json=body,
                                      headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})
                if r.status_code in (200, 201):
                    phase.acknowledged.add(r.json()["id"])
                    break
                if r.status_code < 500 and r.status_code != 429:
                    phase.refused.append(f"{r.status_code} {r.text[:300]}")  # final: not retried
                    break
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5)


def _restart_worker(service: str) -> Callable[[], Awaitable[None]]:
    async def fault() -> None:
        procs.kill(services._pid_file(service, "worker"))  # a crash: SIGKILL, no shutdown
        await asyncio.sleep(2)
        await asyncio.to_thread(services.start_all, services.stack_env())
    return fault


async def _broker_down() -> None:
    broker = Broker()
    await asyncio.to_thread(broker.stop)
    await asyncio.sleep(15)
    await asyncio.to_thread(broker.start)


async def _postgres_restart() -> None:
    await asyncio.to_thread(postgres.stop)
    await asyncio.to_thread(postgres.start)


FAULTS: list[tuple[str, Callable[[], Awaitable[None]]]] = [
    ("none (baseline)", lambda: asyncio.sleep(0)),
    ("broker stopped 15 s", _broker_down),
    ("intake worker killed (relay leader)", _restart_worker("intake")),
    ("coordination worker killed (consumer)", _restart_worker("coordination")),
    ("PostgreSQL restarted", _postgres_restart),
]


async def _effects(ids: list[str]) -> tuple[int, int, int, int]:
    """(published, applied, stored twice in intake, applied twice in coordination)."""
    intake = await asyncpg.connect(postgres.service_url("intake"))
    coordination = await asyncpg.connect(postgres.service_url("coordination"))
    try:
        published = await intake.fetchval(
            "SELECT count(*) FROM outbox WHERE type = $1 AND aggregate_id = ANY($2) AND published_at IS NOT NULL",
            ConsultationReceived.event_type, ids)
        twice_intake = await intake.fetchval(
            """SELECT count(*) FROM (SELECT external_id FROM consultations WHERE agency_id = $1
                  AND external_id IN (SELECT external_id FROM consultations WHERE id::text = ANY($2))
                GROUP BY external_id HAVING count(*) > 1) d""", AGENCY, ids)
        rows = await coordination.fetch(
            "SELECT consultation_id::text AS id, count(*) AS n FROM timeline WHERE type = $1 "
            "AND consultation_id::text = ANY($2) GROUP BY consultation_id", ConsultationReceived.event_type, ids)
    finally:
        await intake.close()
        await coordination.close()
    return published, len(rows), twice_intake, sum(1 for r in rows if r["n"] > 1)


Outcome = tuple[int, int, int, int, float]  # published, applied, stored twice, applied twice, recovered


async def _phase(name: str, fault: Callable[[], Awaitable[None]], base_url: str, token: str) -> tuple[Phase, Outcome]:
    phase = Phase(name)
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        until = time.monotonic() + PHASE_SECONDS
        posters = [asyncio.create_task(_poster(client, phase, until, token)) for _ in range(POSTERS)]
        await asyncio.sleep(FAULT_AT)
        await fault()
        phase.back_at = time.monotonic()
        await asyncio.gather(*posters)
    ids = sorted(phase.acknowledged)
    deadline = time.monotonic() + RECOVERY_LIMIT
    while True:
        published, applied, twice_intake, twice_applied = await _effects(ids)
        if applied == len(ids) or time.monotonic() > deadline:
            recovered = time.monotonic() - phase.back_at
            break
        await asyncio.sleep(1)
    return phase, (published, applied, twice_intake, twice_applied, recovered)


async def run() -> None:
    intake = next(s for s in ports.current().services if s.name == "intake")
    base_url = f"http://127.0.0.1:{intake.api}"
    token = _token()
    print("== faults: consultations posted to intake under a fault; effects counted in coordination")
    print(f"{'fault':40} {'acked':>6} {'published':>9} {'applied':>7} {'lost':>5} {'duplicated':>10} {'recovered':>10}")
    for name, fault in FAULTS:
        phase, (published, applied, twice_intake, twice_applied, recovered) = await _phase(name, fault, base_url,
                                                                                            token)
        acked = len(phase.acknowledged)
        print(f"{name:40} {acked:>6} {published:>9} {applied:>7} {acked - applied:>5} "
              f"{twice_intake + twice_applied:>10} {recovered:>9.1f}s   ({phase.attempts} attempts, "
              f"{len(phase.refused)} refused)")
        for refusal in sorted(set(phase.refused))[:3]:
            print(f"    refused: {refusal}")


if __name__ == "__main__":
    asyncio.run(run())
