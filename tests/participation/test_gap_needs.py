"""Gap needs: when nothing fits, the need is recorded and emitted without person data; the
summary counts them by area and need; a new place later matches the waiting request."""

from __future__ import annotations

import json
import uuid

import pytest
from kasane_shared.events.streams import PARTICIPATION

from tests.participation.helpers import COORDINATOR, SPEC, Api, place_event, requested_event
from tests.support.kafka import eventually, header
from tests.support.service_env import service_env
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration


async def test_no_place_fits_then_a_new_place_is_matched(stack: TestStack) -> None:
    """Journey 3: nothing fits, a gap need goes to community, a place developed for it opens,
    and the waiting request is proposed that place; the coordinator takes it from there."""
    async with service_env(stack, SPEC, "p_gap_journey") as svc:
        api = Api(svc)
        await api.opportunity(km=1.0, languages=["ja"], accommodations=["short_hours"])  # no quiet space
        event = requested_event()
        async with svc.worker():
            await svc.publish(event)
            request = await eventually(lambda: svc.pool.fetchrow(
                "SELECT * FROM participation_requests WHERE id = $1", event.request_id),
                lambda r: r is not None, what="the request")
            assert request["status"] == "waiting"
            summary = await api.get("/v1/gap-needs/summary")
            assert [(i["area_code"], i["need"], i["recorded"], i["waiting"], i["matched"]) for i in summary["items"]] \
                == [("SK-N-01", "short_hours", 1, 1, 0), ("SK-N-01", "withdrawal", 1, 1, 0)]
            assert summary["items"][0]["area_name"] == "北小学校区"

            # community develops a place for it (its facts fit: quiet space, Tuesday afternoon)
            developed = place_event(development_id=uuid.uuid4())
            await svc.publish(developed)
            request = await eventually(lambda: svc.pool.fetchrow(
                "SELECT * FROM participation_requests WHERE id = $1", event.request_id),
                lambda r: r["status"] == "proposed", what="the proposal")
            records = await svc.read(PARTICIPATION.name, at_least=3)

        by_type = {header(r, "ce_type").split(".")[-2]: json.loads(r.value) for r in records}
        gap = by_type["recorded"]
        assert gap["area_code"] == "SK-N-01" and gap["need_codes"] == ["short_hours", "withdrawal"]
        assert gap["wanted_kinds"] == ["place_to_be"] and gap["accommodations"] == ["quiet_space"]
        assert set(gap) == {"gap_need_id", "area_code", "need_codes", "wanted_kinds", "accommodations", "languages"}
        opportunity = await svc.pool.fetchrow("SELECT * FROM opportunities WHERE source_place_id = $1",
                                              developed.place_id)
        proposed = by_type["proposed"]
        assert proposed["request_id"] == str(event.request_id) and proposed["case_id"] == str(event.case_id)
        assert proposed["opportunity_id"] == str(opportunity["id"]) and proposed["kind"] == "place_to_be"
        [match] = await api.get(f"/v1/requests/{event.request_id}/proposals")
        assert match["proposed_by"] == "system" and match["status"] == "proposed"
        assert any(r["code"] == "step.first" for r in match["reasons"])

        summary = await api.get("/v1/gap-needs/summary")
        assert [(i["need"], i["waiting"], i["matched"]) for i in summary["items"]] == \
            [("short_hours", 0, 1), ("withdrawal", 0, 1)]
        placement = await api.accept(match["id"])
        assert placement["status"] == "active" and placement["opportunity_id"] == str(opportunity["id"])


async def test_the_summary_counts_by_area_and_need(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "p_gap_summary") as svc:
        api = Api(svc)
        # no opportunities at all: every request waits with a gap need
        await api.request(area_code="SK-N-01", needs=["withdrawal", "isolation"])
        await api.request(area_code="SK-N-01", needs=["withdrawal"])
        await api.request(area_code="SK-N-02", needs=["withdrawal"])
        await api.request(area_code="SK-S-01", needs=[], max_step="place_to_be")  # needs: the kind wanted
        summary = await api.get("/v1/gap-needs/summary")
        assert [(i["area_code"], i["need"], i["recorded"], i["waiting"]) for i in summary["items"]] == [
            ("SK-N-01", "isolation", 1, 1), ("SK-N-01", "withdrawal", 2, 2),
            ("SK-N-02", "withdrawal", 1, 1), ("SK-S-01", "place_to_be", 1, 1)]
        north = await svc.client.get("/v1/gap-needs/summary", params={"area_code": "SK-N"}, headers=api.auth())
        assert {i["area_code"] for i in north.json()["items"]} == {"SK-N-01", "SK-N-02"}
        bad = await svc.client.get("/v1/gap-needs/summary", params={"area_code": "nowhere"}, headers=api.auth())
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "area_code"
        denied = await svc.client.get("/v1/gap-needs/summary", headers=api.auth(COORDINATOR, "requests:read"))
        assert denied.status_code == 403
        assert await api.outbox_types() == ["gap_need.recorded"] * 4


async def test_a_coordinator_records_a_gap_when_nothing_offered_suits(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "p_gap_manual") as svc:
        api = Api(svc)
        await api.opportunity()
        request = await api.request(needs=["farming"])
        assert request["status"] == "open"  # something fits, but the person wants something else
        first = await api.post(f"/v1/requests/{request['id']}/gap-need", status=201)
        again = await api.post(f"/v1/requests/{request['id']}/gap-need", status=200)
        assert again["id"] == first["id"] and first["need_codes"] == ["farming"]
        assert (await api.get(f"/v1/requests/{request['id']}"))["status"] == "waiting"
        assert await api.outbox_types() == ["opportunity.published", "gap_need.recorded"]
        # closing the request ends its gap's waiting, but the gap stays counted
        await api.post(f"/v1/requests/{request['id']}/close", {"reason_code": "moved_away"})
        [item] = (await api.get("/v1/gap-needs/summary"))["items"]
        assert (item["recorded"], item["waiting"], item["matched"]) == (1, 0, 0)
