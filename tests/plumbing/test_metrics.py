"""The worker's /metrics carries the series operators alert on (names fixed by issue 13),
and their values move when events flow through the real Kafka and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from kasane_intake.main import SPEC
from kasane_shared.events.streams import PARTNER_CONSULTATIONS
from prometheus_client.parser import text_string_to_metric_families

from tests.plumbing.support import consultation, metric, partner_record, running_worker
from tests.support.kafka import eventually
from tests.support.service_env import service_env
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration

NAMES = (
    "kasane_consumer_lag", "kasane_events_consumed_total", "kasane_events_dead_lettered_total",
    "kasane_events_published_total", "kasane_outbox_backlog", "kasane_outbox_oldest_age_seconds",
    "kasane_outbox_parked", "kasane_relay_leader", "kasane_consumer_last_poll_timestamp_seconds",
    "kasane_relay_last_publish_timestamp_seconds", "kasane_worker_loop_restarts_total",
)


async def test_every_series_is_exposed_and_moves_when_events_flow(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "metrics") as svc, running_worker(svc) as worker:
        group, topic = svc.settings.group_id, svc.topic(PARTNER_CONSULTATIONS.name)

        async def page() -> str:
            return (await worker.get("/metrics")).text

        def consumed(text: str, outcome: str) -> float | None:
            return metric(text, "kasane_events_consumed_total", {"group": group, "topic": topic, "outcome": outcome})

        first = await eventually(page, lambda t: metric(t, "kasane_relay_leader", {"service": "intake"}) == 1.0
                                 and metric(t, "kasane_consumer_last_poll_timestamp_seconds", {"group": group}),
                                 timeout=30, what="relay leading and consumer polling")
        published = metric(first, "kasane_events_published_total", {"service": "intake"}) or 0.0
        polled = metric(first, "kasane_consumer_last_poll_timestamp_seconds", {"group": group})
        assert consumed(first, "applied") == 0.0 and consumed(first, "dead_lettered") == 0.0

        external_id = f"MET-{uuid.uuid4().hex[:8]}"
        await svc.produce(PARTNER_CONSULTATIONS.name, *partner_record(external_id))
        await svc.produce(PARTNER_CONSULTATIONS.name, b"MET-BAD", b"\xff\xfe not utf-8",
                          partner_record("MET-BAD")[2])
        await eventually(lambda: consultation(svc, external_id), lambda rows: len(rows) == 1, timeout=30,
                         what="applied")
        after = await eventually(
            page, lambda t: consumed(t, "dead_lettered") == 1.0
            and (metric(t, "kasane_events_published_total", {"service": "intake"}) or 0.0) > published,
            timeout=30, what="counters moved")
        assert consumed(after, "applied") == 1.0
        assert metric(after, "kasane_events_dead_lettered_total", {"group": group, "topic": topic}) == 1.0
        assert (metric(after, "kasane_consumer_last_poll_timestamp_seconds", {"group": group}) or 0) > (polled or 0)
        for name in NAMES:
            assert f"\n{name}{{" in after, name

        def lags(text: str) -> list[float]:
            return [s.value for f in text_string_to_metric_families(text) for s in f.samples
                    if s.name == "kasane_consumer_lag" and s.labels.get("group") == group
                    and s.labels.get("topic") == topic]

        # a series per partition held, at 0 once both records are behind the consumer
        await eventually(page, lambda t: bool(lags(t)) and all(v == 0.0 for v in lags(t)), timeout=30,
                         what="lag at zero")
        drained = await eventually(page, lambda t: metric(t, "kasane_outbox_backlog", {"service": "intake"}) == 0,
                                   timeout=30, what="outbox drained")
        assert metric(drained, "kasane_outbox_oldest_age_seconds", {"service": "intake"}) == 0.0
        assert (metric(drained, "kasane_relay_last_publish_timestamp_seconds", {"service": "intake"}) or 0) > 0
