"""The outbox relay against real Kafka and PostgreSQL (DESIGN.md, reliability patterns)."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict

import pytest
from kasane_devstack.kafka import Broker
from kasane_devstack.procs import free_port
from kasane_shared.events import outbox
from kasane_shared.service import build_api

from tests.support.app import client_for
from tests.support.kafka import eventually, header, read_topic
from tests.support.runners import running
from tests.support.stack import TestStack
from tests.support.things import SPEC, ThingRecorded
from tests.support.things_env import ThingsEnv, make_things_env

pytestmark = pytest.mark.integration


async def _write(env: ThingsEnv, thing_id: uuid.UUID, n: int) -> None:
    """One state change and its event in one transaction, the aggregate row locked first."""
    async with env.pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO things (id, label) VALUES ($1, 'x')"
            " ON CONFLICT (id) DO UPDATE SET version = things.version + 1",
            thing_id,
        )
        await outbox.enqueue(conn, ThingRecorded(thing_id=thing_id, n=n))


async def _backlog(env: ThingsEnv) -> int:
    return await env.pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")


def _by_key(records) -> dict[str, list[int]]:
    import json

    seen: dict[str, list[int]] = defaultdict(list)
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        seen[r.key.decode()].append(json.loads(r.value)["n"])
    return seen


async def test_committed_rows_publish_in_order_and_rolled_back_ones_never(stack: TestStack) -> None:
    env = await make_things_env(stack, "order")
    a, b, ghost = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for n in range(5):
        await _write(env, a, n)
    with pytest.raises(RuntimeError):
        async with env.pool.acquire() as conn, conn.transaction():
            await outbox.enqueue(conn, ThingRecorded(thing_id=ghost, n=0))
            raise RuntimeError("the state change failed")
    await _write(env, b, 0)

    async with running(env.relay()):
        await eventually(lambda: _backlog(env), lambda n: n == 0, what="outbox drained")
    records = await read_topic(stack.bootstrap, env.topic, at_least=6)

    assert _by_key(records) == {str(a): [0, 1, 2, 3, 4], str(b): [0]}
    first = records[0]
    assert header(first, "ce_source") == "/kasane/test"
    assert header(first, "ce_type") == ThingRecorded.event_type
    assert header(first, "ce_subject") == f"thing/{first.key.decode()}"
    assert header(first, "ce_dataschema") == f"https://kasane.example/events/{ThingRecorded.event_type}.json"
    ids = await env.pool.fetch("SELECT id::text FROM outbox ORDER BY seq")
    assert sorted(header(r, "ce_id") for r in records) == sorted(r["id"] for r in ids)


async def test_a_write_while_kafka_is_down_is_published_once_after_it_returns(
    stack: TestStack, tmp_path
) -> None:
    broker = Broker(name=f"kafka-outage-{stack.run_id}", port=free_port(),
                    controller_port=free_port(), home=tmp_path / "broker", heap="256m")
    await asyncio.to_thread(broker.start)
    try:
        env = await make_things_env(stack, "outage", kafka_bootstrap_servers=broker.bootstrap)
        app = build_api(SPEC, env.settings)
        relay = env.relay()
        async with running(relay), client_for(app) as client:
            headers = stack.auth("sk-jiritsu", "things:write")
            ok = await client.post("/v1/things", json={"label": "before"}, headers=headers)
            assert ok.status_code == 201
            await eventually(lambda: _backlog(env), lambda n: n == 0, what="first event published")

            await asyncio.to_thread(broker.stop)
            during = await client.post("/v1/things", json={"label": "during", "count": 3}, headers=headers)
            assert during.status_code == 201, during.text  # the write never fails for Kafka
            await asyncio.sleep(3)
            assert await _backlog(env) == 3
            ready = await client.get("/readyz")
            assert ready.status_code == 200 and ready.json()["checks"]["kafka"] == "down"

            await asyncio.to_thread(broker.start)
            await eventually(lambda: _backlog(env), lambda n: n == 0, timeout=60,
                             what="backlog drained after Kafka returned")
        records = await read_topic(broker.bootstrap, env.topic, at_least=4, settle=2)
        ce_ids = [header(r, "ce_id") for r in records]
        assert len(ce_ids) == 4 and len(set(ce_ids)) == 4
        during_id = during.json()["id"]
        assert _by_key(records)[during_id] == [0, 1, 2]
    finally:
        await asyncio.to_thread(broker.stop)


async def test_two_relays_publish_every_event_once_in_key_order(stack: TestStack) -> None:
    env = await make_things_env(stack, "tworelays", relay_batch_size=50)
    keys = [uuid.uuid4() for _ in range(5)]
    per_key = 40
    first, second = env.relay(), env.relay()
    stop_first, stop_second = asyncio.Event(), asyncio.Event()
    overlaps = 0
    tasks = [asyncio.create_task(first.run(stop_first)), asyncio.create_task(second.run(stop_second))]

    async def watch() -> None:
        nonlocal overlaps
        while not stop_second.is_set():
            overlaps += first.is_leader and second.is_leader
            await asyncio.sleep(0.005)

    watcher = asyncio.create_task(watch())

    async def writer(key: uuid.UUID) -> None:
        for n in range(per_key):
            await _write(env, key, n)
            if n == per_key // 2 and key == keys[0]:
                leader = first if first.is_leader else second
                (stop_first if leader is first else stop_second).set()  # hand over mid-stream

    await asyncio.gather(*(writer(k) for k in keys))
    await eventually(lambda: _backlog(env), lambda n: n == 0, timeout=30, what="outbox drained")
    stop_first.set()
    stop_second.set()
    await asyncio.gather(*tasks, watcher)

    records = await read_topic(stack.bootstrap, env.topic, at_least=len(keys) * per_key)
    ce_ids = [header(r, "ce_id") for r in records]
    assert len(ce_ids) == len(keys) * per_key == len(set(ce_ids))
    assert _by_key(records) == {str(k): list(range(per_key)) for k in keys}
    assert overlaps == 0
    assert first.published > 0 and second.published > 0  # the standby took over


async def test_a_relay_killed_between_send_and_mark_sends_again_and_the_inbox_absorbs_it(
    stack: TestStack,
) -> None:
    env = await make_things_env(stack, "crash")
    things = [uuid.uuid4() for _ in range(3)]
    for t in things:
        for n in range(2):
            await _write(env, t, n)

    class Crash(Exception):
        pass

    async def die(_rows) -> None:
        raise Crash("relay process died after Kafka acknowledged")

    crashing = env.relay(after_send=die)
    with pytest.raises(Crash):
        await crashing.run(asyncio.Event())
    assert await _backlog(env) == 6  # sent, never marked

    async with running(env.relay()):
        await eventually(lambda: _backlog(env), lambda n: n == 0, what="republished")
    records = await read_topic(stack.bootstrap, env.topic, at_least=12)
    ce_ids = [header(r, "ce_id") for r in records]
    assert len(ce_ids) == 12 and len(set(ce_ids)) == 6  # each event twice on the topic

    async with running(env.consumer()):
        await eventually(lambda: env.pool.fetchval("SELECT count(*) FROM inbox"), lambda n: n == 6,
                         what="inbox claims")
        await asyncio.sleep(1)  # let the duplicates arrive too
    applied = await env.pool.fetch("SELECT thing_id, n FROM applied ORDER BY thing_id, n")
    assert sorted((r["thing_id"], r["n"]) for r in applied) == sorted((t, n) for t in things for n in range(2))
