"""支援会議 (Art. 106-6) confidentiality and the 重層的支援会議's consent rule, along the
school-report journey: a case without consent is discussed at a 支援会議, then, once the
mother's consent arrives from intake, at a 重層的支援会議 that approves its plan."""

from __future__ import annotations

import json
from uuid import UUID

import pytest
from kasane_coordination.main import SPEC
from kasane_shared.contracts.codes import ConsentScope
from kasane_shared.contracts.coordination import MeetingHeld
from kasane_shared.contracts.intake import ConsentWithdrawn
from kasane_shared.events.streams import COORDINATION

from tests.coordination.support import (
    CHILDREN,
    DESK,
    HEALTH,
    OUTSIDER,
    SCHOOL,
    auth,
    case_of_referral,
    consent,
    move,
    name_lead,
    ok,
    plan_body,
    problem,
    referral,
    wait_consent,
)
from tests.support.clock import today
from tests.support.kafka import eventually
from tests.support.privacy import assert_no_personal_data
from tests.support.service_env import service_env
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration

MATERIAL = "4年生の長男が2学期から登校していない。母は夜勤で疲れている様子、乳児の弟あり。"
MINUTES = "学校・保健センター・子育て支援で見守りを分担。母への声かけは担任から。"


async def test_a_case_without_consent_goes_to_a_shien_kaigi_then_after_consent_to_a_jusou_kaigi(
    stack: TestStack,
) -> None:
    async with service_env(stack, SPEC, "coord_meetings") as svc, svc.worker():
        report = referral(from_agency=SCHOOL, consent=False)
        await svc.publish(report)
        case_id = str(await case_of_referral(svc, report.referral_id))
        desk = auth(stack, DESK)

        # a 重層的支援会議 refuses a case whose consent does not cover its members
        jusou = ok(await svc.client.post("/v1/meetings", json={
            "kind": "jusou_shien_kaigi", "scheduled_on": today().isoformat(),
            "member_agency_ids": [SCHOOL, CHILDREN]}, headers=desk), 201)["id"]
        refused = problem(await svc.client.post(f"/v1/meetings/{jusou}/agenda", json={"case_id": case_id},
                                                headers=desk), 409)
        assert refused["type"].endswith("/consent-required") and refused["case_id"] == case_id

        # a 支援会議 may discuss it without consent
        shien = ok(await svc.client.post("/v1/meetings", json={
            "kind": "shien_kaigi", "scheduled_on": today().isoformat(),
            "member_agency_ids": [SCHOOL, CHILDREN, HEALTH]}, headers=desk), 201)
        shien_id = shien["id"]
        assert shien["confidential"] is True and shien["agenda"] is None and shien["minutes"] is None
        # the chair too acknowledges before putting anything before it
        early = problem(await svc.client.post(f"/v1/meetings/{shien_id}/agenda", json={"case_id": case_id},
                                              headers=desk), 403)
        assert early["type"].endswith("/confidentiality-not-acknowledged")
        ok(await svc.client.post(f"/v1/meetings/{shien_id}/acknowledgements", headers=desk))
        ok(await svc.client.post(f"/v1/meetings/{shien_id}/agenda", json={"case_id": case_id}, headers=desk))
        ok(await svc.client.post(f"/v1/meetings/{shien_id}/acknowledgements", headers=auth(stack, SCHOOL)))
        ok(await svc.client.post(f"/v1/meetings/{shien_id}/materials", json={"case_id": case_id,
                                                                             "content": MATERIAL},
                                 headers=auth(stack, SCHOOL)), 201)

        # a member who has not acknowledged is refused the material, and sees no agenda
        body = problem(await svc.client.get(f"/v1/meetings/{shien_id}/materials", headers=auth(stack, HEALTH)), 403)
        assert body["type"].endswith("/confidentiality-not-acknowledged")
        health_view = ok(await svc.client.get(f"/v1/meetings/{shien_id}", headers=auth(stack, HEALTH)))
        assert health_view["acknowledged"] is False and health_view["agenda"] is None
        assert MATERIAL not in json.dumps(health_view, ensure_ascii=False)
        problem(await svc.client.post(f"/v1/meetings/{shien_id}/materials", json={"content": "x"},
                                      headers=auth(stack, HEALTH)), 403)
        # a non-member is refused everything
        for path in ("", "/materials"):
            body = problem(await svc.client.get(f"/v1/meetings/{shien_id}{path}", headers=auth(stack, OUTSIDER)),
                           403)
            assert body["type"].endswith("/not-a-member")
        problem(await svc.client.post(f"/v1/meetings/{shien_id}/acknowledgements", headers=auth(stack, OUTSIDER)),
                403)
        # the acknowledgement is personal: another member of staff of the school has not made it
        colleague = auth(stack, SCHOOL, subject="sk-school-kita/teacher-2")
        problem(await svc.client.get(f"/v1/meetings/{shien_id}/materials", headers=colleague), 403)

        # after acknowledging, the member sees it
        ok(await svc.client.post(f"/v1/meetings/{shien_id}/acknowledgements", headers=auth(stack, HEALTH)))
        seen = ok(await svc.client.get(f"/v1/meetings/{shien_id}/materials", headers=auth(stack, HEALTH)))
        assert [m["content"] for m in seen] == [MATERIAL]
        reads = await svc.pool.fetch(
            "SELECT agency_id, action FROM audit_log WHERE resource_type = 'meeting_material' ORDER BY id")
        assert (HEALTH, "read") in {(r["agency_id"], r["action"]) for r in reads}
        assert (CHILDREN, "read") not in {(r["agency_id"], r["action"]) for r in reads}

        ok(await svc.client.post(f"/v1/meetings/{shien_id}/held", json={
            "held_on": today().isoformat(),
            "attendees": [{"agency_id": DESK, "role": "chair"}, {"agency_id": SCHOOL}, {"agency_id": HEALTH}],
            "decisions": [{"case_id": case_id, "decision": "continue_case"}], "minutes": MINUTES}, headers=desk))
        held = ok(await svc.client.get(f"/v1/meetings/{shien_id}", headers=auth(stack, HEALTH)))
        assert held["status"] == "held" and held["minutes"] == MINUTES
        assert held["agenda"][0]["decision"] == "continue_case"
        # on the case's timeline the 支援会議 (on the agenda, held: kind, attendees, decision) shows
        # to the team's staff who acknowledged it, not to a colleague on the team who did not
        async def meeting_entries(headers: dict[str, str]) -> list[dict]:
            items = ok(await svc.client.get(f"/v1/cases/{case_id}/timeline", headers=headers))["items"]
            return [e for e in items if e["data"].get("meeting_id") == shien_id]

        assert {e["type"] for e in await meeting_entries(auth(stack, SCHOOL))} == {
            "coordination.meeting.case_on_agenda", "coordination.meeting.held"}
        assert await meeting_entries(colleague) == []

        # the mother's consent arrives from intake: the 重層的支援会議 now takes the case
        await svc.publish(consent(report.household_id, person_id=report.person_id))
        await wait_consent(svc, stack, case_id, DESK)
        ok(await svc.client.post(f"/v1/meetings/{jusou}/agenda", json={"case_id": case_id}, headers=desk))
        await name_lead(svc, stack, case_id, lead=SCHOOL, by=DESK)
        await move(svc, stack, case_id, "assessing", SCHOOL)
        await move(svc, stack, case_id, "planning", SCHOOL)
        plan = ok(await svc.client.post(f"/v1/cases/{case_id}/plans", json=plan_body(),
                                        headers=auth(stack, SCHOOL)), 201)
        ok(await svc.client.post(f"/v1/cases/{case_id}/plans/{plan['id']}/propose", json={"meeting_id": jusou},
                                 headers=auth(stack, SCHOOL)))
        ok(await svc.client.post(f"/v1/meetings/{jusou}/held", json={
            "held_on": today().isoformat(),
            "attendees": [{"agency_id": DESK, "role": "chair"}, {"agency_id": SCHOOL}, {"agency_id": CHILDREN}],
            "decisions": [{"case_id": case_id, "decision": "approve_plan", "plan_id": plan["id"]}],
            "minutes": "プランを承認"}, headers=desk))
        case = ok(await svc.client.get(f"/v1/cases/{case_id}", headers=auth(stack, SCHOOL)))
        assert case["status"] == "in_support" and case["active_plan"]["plan_id"] == plan["id"]

        # the meeting's content never left: events carry ids and decision codes only
        records = await svc.read(COORDINATION.name, at_least=10)
        # keyed by meeting: two meetings' events may sit on different partitions, so by kind
        held_events = {e["kind"]: e for e in (json.loads(r.value) for r in records
                                              if dict(r.headers)["ce_type"].decode() == MeetingHeld.event_type)}
        assert {kind: e["decisions"] for kind, e in held_events.items()} == {
            "shien_kaigi": [{"case_id": case_id, "decision": "continue_case"}],
            "jusou_shien_kaigi": [{"case_id": case_id, "decision": "approve_plan"}]}
        assert held_events["shien_kaigi"]["attendee_agency_ids"] == sorted([DESK, SCHOOL, HEALTH])
        assert_no_personal_data(records, [MATERIAL, MINUTES, "プランを承認", plan_body()["goals"][0]["text"]])


async def test_withdrawn_consent_closes_the_jusou_kaigi_again(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "coord_meetings_withdraw") as svc, svc.worker():
        event = referral(consent=True)
        await svc.publish(event)
        case_id = str(await case_of_referral(svc, event.referral_id))
        desk = auth(stack, DESK)
        first = ok(await svc.client.post("/v1/meetings", json={
            "kind": "jusou_shien_kaigi", "scheduled_on": today().isoformat(),
            "member_agency_ids": [CHILDREN]}, headers=desk), 201)["id"]
        ok(await svc.client.post(f"/v1/meetings/{first}/agenda", json={"case_id": case_id}, headers=desk))
        await svc.publish(ConsentWithdrawn(consent_id=UUID(int=1), person_id=event.person_id,
                                           withdrawn_on=today()))

        async def consent_state() -> bool:
            return ok(await svc.client.get(f"/v1/cases/{case_id}", headers=desk))["consent_in_force"]

        await eventually(consent_state, lambda v: v is False, what="the withdrawal", timeout=60)
        # holding the meeting now would share the case without consent: refused
        body = problem(await svc.client.post(f"/v1/meetings/{first}/held", json={
            "held_on": today().isoformat(), "attendees": [{"agency_id": DESK, "role": "chair"}],
            "decisions": [{"case_id": case_id, "decision": "continue_case"}]}, headers=desk), 409)
        assert body["type"].endswith("/consent-required")
        assert (await svc.pool.fetchval("SELECT status FROM meetings WHERE id = $1", UUID(first))) == "scheduled"


async def test_a_member_added_to_a_jusou_kaigi_must_be_covered_by_every_agenda_cases_consent(
    stack: TestStack,
) -> None:
    """Issue 12: the consent rule is checked when a case goes on the agenda, and again for
    each case there when the chair adds a member afterwards."""
    async with service_env(stack, SPEC, "coord_meetings_add_member") as svc, svc.worker():
        event = referral(consent=False)
        await svc.publish(event)
        case_id = str(await case_of_referral(svc, event.referral_id))
        await svc.publish(consent(event.household_id, scope=ConsentScope.named_agencies,
                                  agency_ids=[DESK, CHILDREN, SCHOOL]))
        await eventually(lambda: svc.pool.fetchval("SELECT count(*) FROM consents"), lambda n: n == 1,
                         what="the named consent", timeout=60)
        desk = auth(stack, DESK)
        meeting = ok(await svc.client.post("/v1/meetings", json={
            "kind": "jusou_shien_kaigi", "scheduled_on": today().isoformat(),
            "member_agency_ids": [CHILDREN]}, headers=desk), 201)["id"]
        ok(await svc.client.post(f"/v1/meetings/{meeting}/agenda", json={"case_id": case_id}, headers=desk))

        async def members() -> set[str]:
            return {r["agency_id"] for r in await svc.pool.fetch(
                "SELECT agency_id FROM meeting_members WHERE meeting_id = $1", UUID(meeting))}

        before = await members()
        refused = problem(await svc.client.post(f"/v1/meetings/{meeting}/members", json={"agency_id": HEALTH},
                                                headers=desk), 409)
        assert refused["type"].endswith("/consent-required") and refused["case_id"] == case_id
        assert await members() == before
        ok(await svc.client.post(f"/v1/meetings/{meeting}/members", json={"agency_id": SCHOOL}, headers=desk))
        assert await members() == before | {SCHOOL}
        # a 支援会議 needs no consent (Art. 106-6): adding anyone there is the chair's call
        shien = ok(await svc.client.post("/v1/meetings", json={
            "kind": "shien_kaigi", "scheduled_on": today().isoformat(), "member_agency_ids": [CHILDREN]},
            headers=desk), 201)["id"]
        ok(await svc.client.post(f"/v1/meetings/{shien}/acknowledgements", headers=desk))
        ok(await svc.client.post(f"/v1/meetings/{shien}/agenda", json={"case_id": case_id}, headers=desk))
        ok(await svc.client.post(f"/v1/meetings/{shien}/members", json={"agency_id": HEALTH}, headers=desk))
