"""Outreach: intake's request starts an engagement (once), contacts move the relationship at
the person's pace, and silence past the profile's days raises one overdue event."""

from __future__ import annotations

import json
from datetime import timedelta
from uuid import UUID, uuid4

import pytest
from kasane_coordination.main import SPEC
from kasane_shared.contracts.coordination import OutreachContactLogged, OutreachOverdue, OutreachStarted
from kasane_shared.contracts.intake import OutreachRequested
from kasane_shared.events.streams import COORDINATION

from tests.coordination.support import DESK, ELDERLY, OUTSIDER, auth, ok, open_case, problem
from tests.support.clock import today
from tests.support.kafka import eventually
from tests.support.service_env import service_env
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration

NOTE = "玄関越しに声をかけた。母親によると本人は二階の自室にいる。"


def _requested(**kw: object) -> OutreachRequested:
    values: dict[str, object] = {
        "referral_id": uuid4(), "consultation_id": uuid4(), "from_agency_id": ELDERLY,
        "reason_code": "long_term_withdrawal", "household_id": uuid4(), "person_id": uuid4(),
        "area_code": "SK-N-01", "age_band": "45-49", "concern_codes": ["withdrawal"], **kw}
    return OutreachRequested(**values)


async def test_a_request_starts_one_engagement_and_contacts_move_it(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "coord_outreach") as svc, svc.worker():
        request = _requested()
        ce_id = await svc.publish(request)
        await svc.publish(request, event_id=ce_id)  # redelivered
        await svc.publish(request)  # re-sent under a new id
        engagement_id = await eventually(
            lambda: svc.pool.fetchval("SELECT id FROM outreach_engagements WHERE referral_id = $1",
                                      request.referral_id),
            lambda v: v is not None, what="the engagement", timeout=60)
        marker = _requested()
        await svc.publish(marker, key=str(request.consultation_id))
        await eventually(lambda: svc.pool.fetchval("SELECT count(*) FROM outreach_engagements"),
                         lambda n: n == 2, what="the marker engagement", timeout=60)
        assert await svc.pool.fetchval("SELECT count(*) FROM outreach_engagements WHERE referral_id = $1",
                                       request.referral_id) == 1
        # no case opens by itself; the desk carries it, the requesting centre sees it too
        assert await svc.pool.fetchval("SELECT count(*) FROM cases") == 0
        desk, centre = auth(stack, DESK), auth(stack, ELDERLY)
        engagement = ok(await svc.client.get(f"/v1/outreach/{engagement_id}", headers=centre))
        assert (engagement["agency_id"], engagement["requested_by_agency_id"]) == (DESK, ELDERLY)
        assert engagement["stage"] == "not_reached" and engagement["status"] == "active"
        assert engagement["case_id"] is None
        problem(await svc.client.get(f"/v1/outreach/{engagement_id}", headers=auth(stack, OUTSIDER)), 404)

        day = today()
        steps = [("letter", "letter_left", None), ("visit", "not_reached", None),
                 ("through_minsei_iin", "reached", "contact_made"), ("visit", "reached", "building_relationship"),
                 ("visit", "refused", "contact_made"),  # a step back is allowed
                 ("visit", "reached", "accepts_support")]
        for i, (method, outcome, stage) in enumerate(steps):
            body = {"method": method, "contacted_on": (day - timedelta(days=len(steps) - i)).isoformat(),
                    "outcome_code": outcome, "note": NOTE}
            if stage:
                body["stage"] = stage
            got = ok(await svc.client.post(f"/v1/outreach/{engagement_id}/contacts", json=body, headers=desk), 201)
        assert got["stage"] == "accepts_support"
        assert [c["stage_after"] for c in got["contacts"]] == [
            "not_reached", "not_reached", "contact_made", "building_relationship", "contact_made",
            "accepts_support"]
        # a planned contact, then made
        planned = ok(await svc.client.post(f"/v1/outreach/{engagement_id}/contacts", json={
            "status": "planned", "method": "phone", "planned_on": (day + timedelta(days=7)).isoformat()},
            headers=desk), 201)
        assert planned["next_contact_on"] == (day + timedelta(days=7)).isoformat()
        contact_id = next(c["id"] for c in planned["contacts"] if c["status"] == "planned")
        done = ok(await svc.client.post(f"/v1/outreach/{engagement_id}/contacts/{contact_id}/done", json={
            "contacted_on": day.isoformat(), "outcome_code": "reached"}, headers=desk))
        assert done["last_contact_on"] == day.isoformat() and done["days_without_contact"] == 0

        # once the person accepts support a case is opened from the engagement
        linked = ok(await svc.client.post(f"/v1/outreach/{engagement_id}/case", json={}, headers=desk))
        case = ok(await svc.client.get(f"/v1/cases/{linked['case_id']}", headers=desk))
        assert case["origin"] == "outreach" and case["household_id"] == str(request.household_id)
        timeline = ok(await svc.client.get(f"/v1/cases/{linked['case_id']}/timeline", headers=desk))["items"]
        types = [e["type"] for e in timeline]
        assert types.count("coordination.outreach.contact_logged") == 7
        assert types.index("intake.outreach.requested") < types.index("coordination.outreach.started") \
            < types.index("coordination.case.opened")

        records = await svc.read(COORDINATION.name, at_least=9)
        mine = [r for r in records if r.key == str(engagement_id).encode()]
        types = [dict(r.headers)["ce_type"].decode() for r in mine]
        assert types == [OutreachStarted.event_type] + [OutreachContactLogged.event_type] * 7
        started = json.loads(mine[0].value)
        assert started["referral_id"] == str(request.referral_id) and started["area_code"] == "SK-N-01"
        assert NOTE not in b"".join(r.value for r in records).decode()


async def test_silence_raises_one_overdue_event_and_a_contact_clears_it(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "coord_outreach_overdue") as svc:
        case = await open_case(svc, stack, ELDERLY)
        centre = auth(stack, ELDERLY)
        long_ago = (today() - timedelta(days=45)).isoformat()
        silent = ok(await svc.client.post("/v1/outreach", json={
            "case_id": case["id"], "reason_code": "no_response", "started_on": long_ago}, headers=centre), 201)
        recent = ok(await svc.client.post("/v1/outreach", json={
            "case_id": case["id"], "reason_code": "no_response", "started_on": long_ago}, headers=centre), 201)
        ok(await svc.client.post(f"/v1/outreach/{recent['id']}/contacts", json={
            "method": "phone", "contacted_on": (today() - timedelta(days=29)).isoformat(),
            "outcome_code": "reached"}, headers=centre), 201)
        resting = ok(await svc.client.post("/v1/outreach", json={
            "case_id": case["id"], "reason_code": "no_response", "started_on": long_ago}, headers=centre), 201)
        ok(await svc.client.post(f"/v1/outreach/{resting['id']}/status",
                                 json={"status": "paused", "reason_code": "hospitalised"}, headers=centre))
        assert silent["overdue"] is True and silent["days_without_contact"] == 45
        listed = ok(await svc.client.get("/v1/outreach?overdue=true", headers=centre))
        assert [e["id"] for e in listed] == [silent["id"]]

        async def overdue_events() -> list[dict]:
            rows = await svc.pool.fetch("SELECT payload FROM outbox WHERE type = $1 ORDER BY seq",
                                        OutreachOverdue.event_type)
            return [r["payload"] for r in rows]

        await svc.run_job("outreach_overdue")
        await svc.run_job("outreach_overdue")
        events = await overdue_events()
        assert [(e["engagement_id"], e["days_without_contact"], e["case_id"]) for e in events] == [
            (silent["id"], 45, case["id"])]
        # a contact breaks the silence: no new event; the engagement stays open (nothing forces closure)
        after = ok(await svc.client.post(f"/v1/outreach/{silent['id']}/contacts", json={
            "method": "visit", "contacted_on": today().isoformat(), "outcome_code": "not_reached"},
            headers=centre), 201)
        assert after["overdue"] is False and after["status"] == "active"
        await svc.run_job("outreach_overdue")
        assert len(await overdue_events()) == 1
        assert (await svc.pool.fetchval("SELECT overdue_notified_on FROM outreach_engagements WHERE id = $1",
                                        UUID(silent["id"]))) is None
        # contact dates in the future are refused, naming the field; nothing is stored
        body = problem(await svc.client.post(f"/v1/outreach/{silent['id']}/contacts", json={
            "method": "visit", "contacted_on": (today() + timedelta(days=5)).isoformat(),
            "outcome_code": "reached"}, headers=centre), 422)
        assert body["errors"][0]["field"] == "contacted_on"
        body = problem(await svc.client.post(f"/v1/outreach/{silent['id']}/contacts", json={
            "method": "carrier_pigeon", "contacted_on": today().isoformat(), "outcome_code": "reached"},
            headers=centre), 422)
        assert body["errors"][0]["field"] == "method"
        assert await svc.pool.fetchval("SELECT count(*) FROM outreach_contacts WHERE engagement_id = $1",
                                       UUID(silent["id"])) == 1


async def test_a_request_for_a_household_with_an_open_case_joins_that_case(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "coord_outreach_join") as svc, svc.worker():
        case = await open_case(svc, stack, ELDERLY)
        request = _requested(household_id=UUID(case["household_id"]))
        await svc.publish(request)
        engagement_id = await eventually(
            lambda: svc.pool.fetchval("SELECT id FROM outreach_engagements WHERE referral_id = $1",
                                      request.referral_id),
            lambda v: v is not None, what="the engagement", timeout=60)
        # the case's lead and field supporters work on it: the opener sees it through the case
        got = ok(await svc.client.get(f"/v1/outreach/{engagement_id}", headers=auth(stack, ELDERLY)))
        assert got["case_id"] == case["id"]
        timeline = ok(await svc.client.get(f"/v1/cases/{case['id']}/timeline", headers=auth(stack, ELDERLY)))
        assert "coordination.outreach.started" in [i["type"] for i in timeline["items"]]
