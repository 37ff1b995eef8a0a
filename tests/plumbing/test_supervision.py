"""Supervision of the worker's loops: a loop killed from inside comes back (or, held down,
makes /readyz fail), and a consumer that stops polling is not ready."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from kasane_intake.main import SPEC
from kasane_shared.events.streams import PARTNER_CONSULTATIONS
from kasane_shared.supervision import Supervisor

from tests.plumbing.support import consultation, metric, partner_record, running_worker
from tests.support.kafka import eventually
from tests.support.service_env import service_env
from tests.support.stack import TestStack


@pytest.mark.integration
@pytest.mark.parametrize("name", ["consumer", "relay"])
async def test_a_loop_killed_from_inside_comes_back_counted_and_working(stack: TestStack, name: str) -> None:
    async with service_env(stack, SPEC, f"sup{name}") as svc, running_worker(svc) as worker:
        await eventually(lambda: _status(worker), lambda s: s == 200, timeout=30, what="ready at first")
        supervisor = worker.app.state.worker.supervisor  # type: ignore[attr-defined]
        loop = supervisor.loops[name]
        labels = {"service": "intake", "loop": name}
        before = metric((await worker.get("/metrics")).text, "kasane_worker_loop_restarts_total", labels)
        killed = loop.task
        killed.cancel()
        await eventually(lambda: _current(loop), lambda t: t is not killed and loop.up, what=f"{name} restarted")
        after = metric((await worker.get("/metrics")).text, "kasane_worker_loop_restarts_total", labels)
        assert after == before + 1
        # the restarted loops work: a partner consultation is applied (consumer) and its
        # event published (relay leads again)
        external_id = f"SUP-{uuid.uuid4().hex[:8]}"
        await svc.produce(PARTNER_CONSULTATIONS.name, *partner_record(external_id))
        await eventually(lambda: consultation(svc, external_id), lambda rows: len(rows) == 1, timeout=30,
                         what="applied after the restart")
        await eventually(lambda: _leads(worker), lambda v: v == 1.0, timeout=30, what="relay leads")
        assert (await worker.get("/readyz")).status_code == 200


@pytest.mark.integration
async def test_a_loop_held_down_makes_readyz_fail(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "supdown") as svc, \
            running_worker(svc, worker_restart_backoff_seconds=3600.0) as worker:
        await eventually(lambda: _status(worker), lambda s: s == 200, timeout=30, what="ready at first")
        loop = worker.app.state.worker.supervisor.loops["consumer"]  # type: ignore[attr-defined]
        loop.task.cancel()
        ready = await eventually(lambda: worker.get("/readyz"), lambda r: r.json()["checks"]["loops"] == "down",
                                 what="the consumer's loop reported down")
        assert ready.status_code == 503


@pytest.mark.integration
async def test_a_consumer_that_has_not_polled_within_the_window_is_not_ready(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "supstale") as svc, \
            running_worker(svc, consumer_poll_stale_seconds=0.0) as worker:
        consumer = worker.app.state.worker.consumer  # type: ignore[attr-defined]
        await eventually(lambda: _polled(consumer), lambda p: p, timeout=30, what="a first poll")
        ready = await worker.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["consumer"] == "down"
        assert ready.json()["checks"]["loops"] == "up"


async def test_a_loop_that_keeps_dying_fails_liveness() -> None:
    stop = asyncio.Event()
    supervisor = Supervisor("unit", stop, backoff=0.0, give_up_after=3)
    runs = 0

    async def broken(_stop: asyncio.Event) -> None:
        nonlocal runs
        runs += 1
        raise RuntimeError("boom")

    supervisor.start("broken", broken)
    await eventually(_async(lambda: supervisor.failed()), lambda f: f == ["broken"], what="failed")
    assert runs >= 3
    stop.set()
    await asyncio.wait(supervisor.watchers, timeout=5)
    assert all(w.done() for w in supervisor.watchers)


def _async(f):  # type: ignore[no-untyped-def]
    async def probe():  # type: ignore[no-untyped-def]
        return f()
    return probe


async def _current(loop):  # type: ignore[no-untyped-def]
    return loop.task


async def _polled(consumer) -> bool:  # type: ignore[no-untyped-def]
    return consumer.last_poll is not None and consumer.in_group


async def _status(worker) -> int:  # type: ignore[no-untyped-def]
    return (await worker.get("/readyz")).status_code


async def _leads(worker) -> float | None:  # type: ignore[no-untyped-def]
    return metric((await worker.get("/metrics")).text, "kasane_relay_leader", {"service": "intake"})
