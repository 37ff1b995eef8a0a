"""A row the broker refuses is parked, its key's later rows wait, other keys flow (issue 13);
real Kafka (a topic with a lowered max.message.bytes) and real PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid

import pytest
from aiokafka.partitioner import DefaultPartitioner
from kasane_shared import metrics, service
from kasane_shared.events import outbox
from kasane_shared.events.parking import key_hash
from kasane_shared.events.streams import TopicSpec
from kasane_shared.kafka import ensure_topics
from kasane_shared.service import outbox_command

from tests.support.kafka import eventually, header, read_topic
from tests.support.runners import running
from tests.support.stack import PROFILE, TestStack
from tests.support.things import SPEC, TEST_STREAM, ThingRecorded
from tests.support.things_env import ThingsEnv, make_things_env

pytestmark = pytest.mark.integration

LIMIT = 1024  # the topic's max.message.bytes: one small event fits, a padded one does not
PADDING = "x" * 4000


def _partition(key: uuid.UUID) -> int:
    return int(DefaultPartitioner()(str(key).encode(), [0, 1, 2], [0, 1, 2]))


def _keys() -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """A (to be refused), B on A's partition (so a refused batch holds both), C on another."""
    a = uuid.uuid4()
    b = next(k for k in iter(uuid.uuid4, None) if _partition(k) == _partition(a))
    c = next(k for k in iter(uuid.uuid4, None) if _partition(k) != _partition(a))
    return a, b, c


async def _write(env: ThingsEnv, thing_id: uuid.UUID, n: int, *, padded: bool = False) -> int:
    async with env.pool.acquire() as conn, conn.transaction():
        await outbox.enqueue(conn, ThingRecorded(thing_id=thing_id, n=n))
        seq = await conn.fetchval("SELECT max(seq) FROM outbox")
        if padded:  # what a bug or an unexpected input would make: too large for the topic
            await conn.execute(
                "UPDATE outbox SET payload = payload || jsonb_build_object('padding', $2::text)"
                " WHERE seq = $1", seq, PADDING)
        return int(seq)


async def _row(env: ThingsEnv, seq: int):
    return await env.pool.fetchrow(
        "SELECT published_at, parked_at, park_reason, refusals FROM outbox WHERE seq = $1", seq)


async def _async(value: int | None) -> int | None:
    return value


def _distinct_by_key(records) -> dict[str, list[int]]:
    """Per key, the n of each event in topic order, repeats (at least once) left out."""
    seen: dict[str, list[int]] = {}
    ids: set[str | None] = set()
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        if header(r, "ce_id") not in ids:
            ids.add(header(r, "ce_id"))
            seen.setdefault(r.key.decode(), []).append(json.loads(r.value)["n"])
    return seen


async def test_a_refused_row_is_parked_its_key_waits_other_keys_flow_and_unparking_replays_in_order(
    stack: TestStack, caplog: pytest.LogCaptureFixture
) -> None:
    topic = f"{stack.prefix}parking.{TEST_STREAM.name}"
    await ensure_topics(None, [TopicSpec(topic, 3, 1)], bootstrap_servers=stack.bootstrap,
                        configs={"message.timestamp.type": "LogAppendTime", "max.message.bytes": str(LIMIT)})
    env = await make_things_env(stack, "parking")
    assert env.topic == topic
    a, b, c = _keys()
    await _write(env, b, 0)
    big = await _write(env, a, 0, padded=True)
    held = await _write(env, a, 1)
    await _write(env, b, 1)
    await _write(env, c, 0)

    caplog.set_level(logging.WARNING, logger="kasane_shared.events.relay")
    async with running(env.relay()):
        await eventually(lambda: _row(env, big), lambda r: r["parked_at"] is not None, what="row parked")
        await eventually(
            lambda: env.pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"),
            lambda n: n == 2, what="the other keys published")
        await eventually(lambda: _async(metrics.outbox_parked.get("things")), lambda v: v == 1,
                         what="kasane_outbox_parked")

        parked = await _row(env, big)
        assert parked["published_at"] is None and parked["refusals"] == env.settings.relay_park_after
        assert parked["park_reason"].startswith("MessageSizeTooLargeError")
        waiting = await _row(env, held)
        assert waiting["published_at"] is None and waiting["parked_at"] is None  # held, not parked
        records = await read_topic(stack.bootstrap, topic, at_least=3)
        assert _distinct_by_key(records) == {str(b): [0, 1], str(c): [0]}  # nothing of A's key went

        line = next(r.getMessage() for r in caplog.records if "outbox row parked" in r.getMessage())
        assert f"seq {big}" in line and topic in line and key_hash(str(a)) in line
        assert str(a) not in line and "xxxx" not in line  # neither the key nor the payload

        listed = await outbox_command(env.settings, None)
        assert [(p["seq"], p["held"]) for p in listed["parked"]] == [(big, 1)]

        # unparked but not fixed: refused again, parked again, its key still waits
        assert await outbox_command(env.settings, [big]) == {"unparked": [big], "not_parked": []}
        await eventually(lambda: _row(env, big), lambda r: r["parked_at"] is not None, what="parked again")
        assert (await _row(env, held))["published_at"] is None

        # fixed, then unparked: it and the row held behind it go out, in order
        await env.pool.execute("UPDATE outbox SET payload = payload - 'padding' WHERE seq = $1", big)
        assert await outbox_command(env.settings, [big, held]) == {"unparked": [big], "not_parked": [held]}
        await eventually(
            lambda: env.pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"),
            lambda n: n == 0, what="outbox drained after unparking")
        await eventually(lambda: _async(metrics.outbox_parked.get("things")), lambda v: v == 0,
                         what="kasane_outbox_parked back to 0")
    records = await read_topic(stack.bootstrap, topic, at_least=5)
    assert _distinct_by_key(records) == {str(a): [0, 1], str(b): [0, 1], str(c): [0]}



async def test_the_command_line_lists_parked_rows_and_unparks_them(
    stack: TestStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env = await make_things_env(stack, "parkcli")
    seq = await _write(env, uuid.uuid4(), 0)
    await env.pool.execute(  # parked as the relay parks (no relay runs here)
        "UPDATE outbox SET parked_at = now(), park_reason = 'MessageSizeTooLargeError', refusals = 3"
        " WHERE seq = $1", seq)
    monkeypatch.setenv("THINGS_DATABASE_URL", env.settings.database_url)
    monkeypatch.setenv("THINGS_PROFILE_PATH", str(PROFILE))
    monkeypatch.setenv("THINGS_JWT_ISSUER", "kasane-dev")
    monkeypatch.setattr(service, "configure_logging", lambda *_args: None)  # keep pytest's logging

    await asyncio.to_thread(service.main, SPEC, ["outbox", "parked"])
    listed = json.loads(capsys.readouterr().out)["parked"]
    assert [(p["seq"], p["park_reason"], p["held"]) for p in listed] == [(seq, "MessageSizeTooLargeError", 0)]
    assert "payload" not in listed[0]

    with pytest.raises(SystemExit) as exit_:
        await asyncio.to_thread(service.main, SPEC, ["outbox", "unpark", "--seq", str(seq), "--seq", "999999"])
    assert exit_.value.code == 1  # 999999 was not parked
    assert json.loads(capsys.readouterr().out) == {"unparked": [seq], "not_parked": [999999]}
    assert await env.pool.fetchval("SELECT parked_at IS NULL AND refusals = 0 FROM outbox WHERE seq = $1", seq)


async def test_a_row_over_the_brokers_default_limit_is_parked_and_the_other_key_flows(stack: TestStack) -> None:
    # aiokafka puts a record of any size alone in a batch, so the broker is the one to refuse
    env = await make_things_env(stack, "parkhuge")  # the topic keeps the default 1 MiB limit
    a, c = uuid.uuid4(), uuid.uuid4()
    await _write(env, c, 0)
    huge = await _write(env, a, 0)
    await env.pool.execute(
        "UPDATE outbox SET payload = payload || jsonb_build_object('padding', repeat('x', 1100000))"
        " WHERE seq = $1", huge)
    await _write(env, c, 1)
    async with running(env.relay()):
        await eventually(lambda: _row(env, huge), lambda r: r["parked_at"] is not None, what="row parked")
        await eventually(
            lambda: env.pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"),
            lambda n: n == 1, what="the other key published")
    assert (await _row(env, huge))["park_reason"].startswith("MessageSizeTooLargeError")
    records = await read_topic(stack.bootstrap, env.topic, at_least=2)
    assert _distinct_by_key(records) == {str(c): [0, 1]}
