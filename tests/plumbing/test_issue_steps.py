"""Issue 13's three steps, as a new user tried them: one record of 100 KB of nested arrays
on the partner topic stopped intake's consumer for good, silently."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

import pytest
from kasane_intake.main import SPEC
from kasane_shared.events.streams import PARTNER_CONSULTATIONS

from tests.plumbing.support import committed, consultation, partner_record, running_worker
from tests.support.kafka import eventually, header, read_topic
from tests.support.service_env import service_env
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration


async def test_nested_arrays_are_dead_lettered_and_both_valid_events_after_them_applied(
    stack: TestStack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with service_env(stack, SPEC, "steps") as svc, running_worker(svc) as worker:
        # 1. valid ce_* headers, a known source, and 50,000 nested arrays as the value
        _key, _value, headers = partner_record("STEP-NESTED", key="STEP-A")
        nested = b"[" * 50_000 + b"]" * 50_000
        await svc.produce(PARTNER_CONSULTATIONS.name, b"STEP-A", nested, headers)
        # 2. a valid partner consultation after it (same key: the same partition), and one
        # with a different key
        first, second = f"STEP-{uuid.uuid4().hex[:8]}", f"STEP-{uuid.uuid4().hex[:8]}"
        await svc.produce(PARTNER_CONSULTATIONS.name, *partner_record(first, key="STEP-A"))
        await svc.produce(PARTNER_CONSULTATIONS.name, *partner_record(second, key="STEP-B"))
        # 3. both are applied, and the nested record waits in kasane-intake.dlt
        for external_id in (first, second):
            await eventually(lambda e=external_id: consultation(svc, e), lambda rows: len(rows) == 1,
                             timeout=30, what=f"{external_id} applied")
        letters = await read_topic(stack.bootstrap, svc.settings.dead_letter_topic, at_least=1)
        assert len(letters) == 1
        reason = header(letters[0], "kasane_dlt_error")
        assert reason is not None and "nested" in reason
        assert "[" not in reason  # the reason, never the value
        assert header(letters[0], "kasane_dlt_topic") == svc.topic(PARTNER_CONSULTATIONS.name)
        topic = svc.topic(PARTNER_CONSULTATIONS.name)
        await eventually(lambda: committed(stack, svc.settings.group_id, topic), lambda n: n == 3,
                         what="every partner offset committed")
        ready = await worker.get("/readyz")
        assert ready.status_code == 200, ready.text
        metrics = (await worker.get("/metrics")).text
        assert "kasane_events_dead_lettered_total{" in metrics
    assert any(r.levelno >= logging.WARNING and "dead-lettered" in r.getMessage() for r in caplog.records)


def test_the_nested_value_really_is_what_python_cannot_parse() -> None:
    """The record of step 1 is the one that killed the consumer: json raises RecursionError
    (not ValueError) on it, which the CloudEvents binding does not catch."""
    import json

    from cloudevents.core.bindings.kafka import KafkaMessage, from_binary
    from cloudevents.core.formats.json import JSONFormat

    nested = b"[" * 50_000 + b"]" * 50_000
    with pytest.raises(RecursionError):
        json.loads(nested)
    _key, _value, headers = partner_record("X", key="X", now=datetime.now(UTC))
    with pytest.raises(RecursionError):
        from_binary(KafkaMessage(headers=dict(headers), key=b"X", value=nested), JSONFormat())
