"""The four services run together as processes: each answers, and a client's trace
context reaches every one of them."""

from __future__ import annotations

import pytest
from kasane_shared.events.streams import SERVICES

from tests.support.e2e import journey_trace, running_system, traced
from tests.support.stack import TestStack

pytestmark = pytest.mark.e2e


async def test_all_services_up_and_joined_to_the_callers_trace(stack: TestStack, tmp_path) -> None:
    async with running_system(stack, "smoke", tmp_path) as system:
        with journey_trace("smoke") as trace_id:
            for service in SERVICES:
                r = await system[service].get("/v1/me", headers=traced(stack.auth("sk-shakyo")))
                assert r.status_code == 200, (service, r.text)
                ready = await system[service].get("/readyz")
                assert ready.json()["checks"] == {"postgres": "up", "kafka": "up"}
    servers = {s["_process"] for s in system.spans()
               if s["context"]["trace_id"] == "0x" + trace_id and s["kind"] == "SpanKind.SERVER"}
    assert servers == {f"{s}-api" for s in SERVICES}
