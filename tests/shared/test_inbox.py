"""The inbox consumer against real Kafka and PostgreSQL: exactly-once application,
dead letters that never block a partition, retries, replay, and heartbeats."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaProducer
from kasane_shared.events.consumer import InboxConsumer
from kasane_shared.events.deadletters import read_dead_letters, replay
from kasane_shared.events.envelope import Envelope, encode

from tests.support.kafka import eventually, header, read_topic
from tests.support.runners import running
from tests.support.stack import TestStack
from tests.support.things import TEST_STREAM, ThingRecorded, apply_thing
from tests.support.things_env import ThingsEnv, make_things_env

pytestmark = pytest.mark.integration


def _record(thing: uuid.UUID, n: int, *, event_id: str | None = None, poison: bool = False,
            data: dict | None = None) -> tuple[bytes | None, bytes, list[tuple[str, bytes]]]:
    return encode(Envelope(
        id=event_id or str(uuid.uuid4()), source="/kasane/test", type=ThingRecorded.event_type,
        time=datetime.now(UTC), key=str(thing),
        data=data if data is not None else {"thing_id": str(thing), "n": n, "poison": poison},
    ))


async def _produce(env: ThingsEnv, *records: tuple[bytes | None, bytes, list[tuple[str, bytes]]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=env.stack.bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for key, value, headers in records:
            await producer.send_and_wait(env.topic, value=value, key=key, headers=headers)
    finally:
        await producer.stop()


async def _count(env: ThingsEnv, sql: str) -> int:
    return await env.pool.fetchval(sql)


async def _committed(env: ThingsEnv) -> int:
    """Sum of the group's committed offsets on the test topic."""
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.errors import GroupCoordinatorNotAvailableError

    admin = AIOKafkaAdminClient(bootstrap_servers=env.stack.bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(env.settings.group_id)
        return sum(o.offset for tp, o in offsets.items() if tp.topic == env.topic)
    except GroupCoordinatorNotAvailableError:
        return 0  # the group is still forming; `eventually` asks again
    finally:
        await admin.close()


async def test_an_event_delivered_twice_is_applied_once(stack: TestStack) -> None:
    env = await make_things_env(stack, "twice")
    thing = uuid.uuid4()
    same = _record(thing, 0, event_id="evt-twice-1")
    await _produce(env, same, same, _record(thing, 1))
    async with running(env.consumer()):
        await eventually(lambda: _committed(env), lambda n: n == 3, what="all three offsets committed")
    assert await _count(env, "SELECT count(*) FROM applied") == 2
    assert await _count(env, "SELECT count(*) FROM inbox") == 2


async def test_poison_goes_to_the_dead_letter_topic_and_the_partition_moves_on(stack: TestStack) -> None:
    env = await make_things_env(stack, "poison")
    thing = uuid.uuid4()  # one key: one partition, so order matters
    good_before = _record(thing, 0)
    rejected = _record(thing, 1, poison=True)
    key, value, headers = _record(thing, 2)
    no_id = (key, value, [(k, v) for k, v in headers if k != "ce_id"])
    bad_data = _record(thing, 3, data={"thing_id": "not-a-uuid", "n": "three", "name": "山田花子"})
    good_after = _record(thing, 4)
    await _produce(env, good_before, rejected, no_id, bad_data, good_after)

    async with running(env.consumer()):
        await eventually(lambda: _committed(env), lambda n: n == 5, what="every offset committed")
    applied = await env.pool.fetch("SELECT n FROM applied ORDER BY n")
    assert [r["n"] for r in applied] == [0, 4]

    letters = await read_topic(stack.bootstrap, env.settings.dead_letter_topic, at_least=3)
    assert len(letters) == 3
    errors = [header(r, "kasane_dlt_error") for r in letters]
    assert errors[0].startswith("rejected: thing")
    assert "missing CloudEvents headers: ce_id" in errors[1]
    assert errors[2].startswith("invalid event data: thing_id: uuid_parsing")
    assert "山田" not in "".join(errors)  # the rejected input is never echoed
    assert [header(r, "kasane_dlt_offset") for r in letters] == ["1", "2", "3"]
    assert {header(r, "kasane_dlt_topic") for r in letters} == {env.topic}
    assert {header(r, "kasane_dlt_group") for r in letters} == {env.settings.group_id}
    assert letters[0].value == rejected[1]  # the original record, unchanged


async def test_a_failing_handler_is_retried_then_succeeds(stack: TestStack) -> None:
    env = await make_things_env(stack, "flaky", consumer_max_attempts=5)
    calls = 0

    async def flaky(conn, event, ctx) -> None:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise RuntimeError("the database said no, for now")
        await apply_thing(conn, event, ctx)

    consumer = InboxConsumer(env.settings, env.pool, topics=[TEST_STREAM.name],
                             handlers={ThingRecorded.event_type: flaky})
    await _produce(env, _record(uuid.uuid4(), 0))
    async with running(consumer):
        await eventually(lambda: _committed(env), lambda n: n == 1, what="offset committed")
    assert calls == 3
    assert await _count(env, "SELECT count(*) FROM applied") == 1
    assert await read_topic(stack.bootstrap, env.settings.dead_letter_topic, settle=0.5, timeout=3) == []


async def test_dead_letters_are_listed_and_replayed_after_a_fix(stack: TestStack) -> None:
    env = await make_things_env(stack, "replay", consumer_max_attempts=2)
    fixed = False

    async def needs_fix(conn, event, ctx) -> None:
        if not fixed:
            raise RuntimeError("a bug in this handler")
        await apply_thing(conn, event, ctx)

    consumer = InboxConsumer(env.settings, env.pool, topics=[TEST_STREAM.name],
                             handlers={ThingRecorded.event_type: needs_fix})
    await _produce(env, _record(uuid.uuid4(), 7, event_id="evt-replay-7"))
    async with running(consumer):
        await eventually(lambda: _committed(env), lambda n: n == 1, what="dead-lettered and committed")
        letters = await read_dead_letters(env.settings)
        assert [(d.summary()["ce_id"], d.summary()["attempts"]) for d in letters] == [("evt-replay-7", "2")]
        assert letters[0].summary()["error"] == "RuntimeError: a bug in this handler"

        fixed = True
        assert await replay(env.settings, [letters[0].offset]) == [letters[0].offset]
        await eventually(lambda: _count(env, "SELECT count(*) FROM applied"), lambda n: n == 1,
                         what="replayed event applied")
    replayed = [r for r in await read_topic(stack.bootstrap, env.topic, at_least=2) if r.offset == 1]
    assert header(replayed[0], "kasane_replayed_from") == f"{env.settings.dead_letter_topic}@0"
    assert header(replayed[0], "kasane_dlt_error") is None


async def test_a_long_handler_keeps_its_partition(stack: TestStack) -> None:
    """A handler slower than the session timeout must not lose the group membership:
    heartbeats run beside it, so the record is committed once by the same member."""
    env = await make_things_env(stack, "slow")
    calls = 0

    async def slow(conn, event, ctx) -> None:
        nonlocal calls
        calls += 1
        await asyncio.sleep(9)
        await apply_thing(conn, event, ctx)

    consumer = InboxConsumer(
        env.settings, env.pool, topics=[TEST_STREAM.name], handlers={ThingRecorded.event_type: slow},
        kafka_options={"session_timeout_ms": 6000, "heartbeat_interval_ms": 1000},
    )
    await _produce(env, _record(uuid.uuid4(), 0))
    async with running(consumer):
        await eventually(lambda: _committed(env), lambda n: n == 1, timeout=30, what="committed")
    assert calls == 1
    assert await _count(env, "SELECT count(*) FROM applied") == 1



async def test_a_v1_event_with_a_field_added_by_a_newer_publisher_is_applied(stack: TestStack) -> None:
    """Tolerant reader on Kasane's own topics: a new optional field is a compatible change."""
    env = await make_things_env(stack, "tolerant")
    thing = uuid.uuid4()
    newer = _record(thing, 7, data={"thing_id": str(thing), "n": 7, "poison": False, "added_later": {"x": 1}})
    await _produce(env, newer)
    async with running(env.consumer()):
        await eventually(lambda: _committed(env), lambda n: n == 1, what="offset committed")
    assert [r["n"] for r in await env.pool.fetch("SELECT n FROM applied")] == [7]
    assert await read_topic(stack.bootstrap, env.settings.dead_letter_topic, settle=1.0) == []
