"""The 8050 journey: intake's consultation, screening and referral open a case; agencies join
with one lead; assessments, a plan approved at a 重層的支援会議, outreach to the son, a
participation request and participation's match and placements all show on one timeline, in
order. Assessments keep each person's own words, versioned."""

from __future__ import annotations

import json
from datetime import timedelta
from uuid import UUID, uuid4

import pytest
from kasane_coordination.main import SPEC
from kasane_shared.contracts.codes import OpportunityKind, PlacementOutcome
from kasane_shared.contracts.coordination import ParticipationRequested
from kasane_shared.contracts.intake import (
    ConsultationReceived,
    ConsultationScreened,
    HouseholdMemberLinked,
    ScreeningSummary,
)
from kasane_shared.contracts.participation import (
    MatchProposed,
    PlacementEnded,
    PlacementFollowedUp,
    PlacementStarted,
)
from kasane_shared.events.streams import COORDINATION

from tests.coordination.support import (
    DESK,
    DISABILITY,
    ELDERLY,
    POVERTY,
    auth,
    case_of_referral,
    move,
    name_lead,
    ok,
    plan_body,
    problem,
    referral,
)
from tests.support.clock import today
from tests.support.kafka import eventually
from tests.support.service_env import service_env
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration

MOTHER_WISH = "できるだけ長くこの家で息子と暮らしたい"
SON_WISH = "今はまだ外に出るのは怖いけど、何か役に立てることがあれば"


async def test_the_timeline_shows_every_step_across_the_services_in_order(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "coord_timeline") as svc, svc.worker():
        household, mother, son = uuid4(), uuid4(), uuid4()
        consultation = uuid4()
        # stamped as the owners stamp their events: by a database clock (the test's may be faked)
        t0 = await svc.pool.fetchval("SELECT clock_timestamp()") - timedelta(hours=2)
        for person, relationship, band in ((mother, "head", "80-84"), (son, "child", "50-54")):
            await svc.publish(HouseholdMemberLinked(household_id=household, person_id=person,
                                                    relationship=relationship, lives_together=True, age_band=band),
                              time=t0)
        await svc.publish(ConsultationReceived(
            consultation_id=consultation, agency_id=ELDERLY, received_at=t0, channel="walk_in",
            consulted_by="family", anonymous=False, household_id=household, person_id=mother,
            area_code="SK-N-01", age_band="80-84", concern_codes=["elderly_care", "withdrawal"]),
            time=t0 + timedelta(minutes=1))
        summary = ScreeningSummary(screening_id=uuid4(), score=7, fields_involved=["elderly", "disability"],
                                   patterns=["8050"], recommendation="refer_to_collaboration",
                                   rules_version="2026.11-1")
        await svc.publish(ConsultationScreened(consultation_id=consultation, household_id=household,
                                               area_code="SK-N-01", screening=summary),
                          time=t0 + timedelta(minutes=2))
        event = referral(household_id=household, person_id=mother, consultation_id=consultation)
        await svc.publish(event, time=t0 + timedelta(minutes=3))
        case_id = str(await case_of_referral(svc, event.referral_id))
        centre, desk = auth(stack, ELDERLY), auth(stack, DESK)

        # the disability and self-reliance agencies join; the centre takes the lead
        for agency in (DISABILITY, POVERTY):
            ok(await svc.client.post(f"/v1/cases/{case_id}/team/invitations",
                                     json={"agency_id": agency, "role": "field_supporter"}, headers=desk), 201)
            ok(await svc.client.post(f"/v1/cases/{case_id}/team/accept", headers=auth(stack, agency)))
        team = await name_lead(svc, stack, case_id, ELDERLY, by=DESK)
        assert team["lead_agency_id"] == ELDERLY
        assert sum(m["role"] == "lead" for m in team["members"]) == 1
        await move(svc, stack, case_id, "assessing")

        # assessments per member, versioned, in the person's own words
        a1 = ok(await svc.client.post(f"/v1/cases/{case_id}/assessments", json={
            "person_id": str(mother), "needs": [{"field": "elderly", "codes": ["care_burden"]}],
            "strengths": ["近所づきあいがある"], "wishes": MOTHER_WISH,
            "risks": [{"code": "fall", "level": "medium"}]}, headers=centre), 201)
        a2 = ok(await svc.client.post(f"/v1/cases/{case_id}/assessments", json={
            "person_id": str(son), "needs": [{"field": "disability", "codes": ["withdrawal"]},
                                             {"field": "poverty", "codes": ["no_income"]}],
            "wishes": SON_WISH}, headers=auth(stack, DISABILITY)), 201)
        a3 = ok(await svc.client.post(f"/v1/cases/{case_id}/assessments", json={
            "person_id": str(mother), "needs": [{"field": "elderly", "codes": ["care_burden", "dementia"]}],
            "wishes": MOTHER_WISH + "（二回目の面談でも同じ）"}, headers=centre), 201)
        assert (a1["version"], a2["version"], a3["version"]) == (1, 1, 2)
        assert a2["fields"] == ["disability", "poverty"]
        latest = ok(await svc.client.get(f"/v1/cases/{case_id}/assessments", headers=centre))
        assert {(a["person_id"], a["version"]) for a in latest} == {(str(mother), 2), (str(son), 1)}
        every = ok(await svc.client.get(f"/v1/cases/{case_id}/assessments?versions=all", headers=centre))
        assert [a["wishes"] for a in every if a["person_id"] == str(mother)] == [
            MOTHER_WISH, MOTHER_WISH + "（二回目の面談でも同じ）"]  # the first version is kept as it was

        # the plan, approved at a 重層的支援会議 (the referral carried the mother's consent)
        await move(svc, stack, case_id, "planning")
        plan = ok(await svc.client.post(f"/v1/cases/{case_id}/plans", json=plan_body(), headers=centre), 201)
        meeting = ok(await svc.client.post("/v1/meetings", json={
            "kind": "jusou_shien_kaigi", "scheduled_on": today().isoformat(),
            "member_agency_ids": [DESK, DISABILITY, POVERTY]}, headers=centre), 201)["id"]
        ok(await svc.client.post(f"/v1/cases/{case_id}/plans/{plan['id']}/propose", json={"meeting_id": meeting},
                                 headers=centre))
        ok(await svc.client.post(f"/v1/meetings/{meeting}/held", json={
            "held_on": today().isoformat(),
            "attendees": [{"agency_id": ELDERLY, "role": "chair"}, {"agency_id": DESK},
                          {"agency_id": DISABILITY}, {"agency_id": POVERTY}],
            "decisions": [{"case_id": case_id, "decision": "approve_plan", "plan_id": plan["id"]}],
            "minutes": "息子さんへのアウトリーチを障害者相談支援センターが担う"}, headers=centre))

        # outreach to the son until he accepts support
        outreach = ok(await svc.client.post("/v1/outreach", json={
            "case_id": case_id, "person_id": str(son), "reason_code": "long_term_withdrawal"},
            headers=auth(stack, DISABILITY)), 201)
        for stage in ("contact_made", "building_relationship", "accepts_support"):
            ok(await svc.client.post(f"/v1/outreach/{outreach['id']}/contacts", json={
                "method": "visit", "contacted_on": today().isoformat(), "outcome_code": "reached",
                "stage": stage}, headers=auth(stack, DISABILITY)), 201)

        # a participation request from the plan's action for the son
        action = plan["actions"][1]["id"]
        body = {"plan_id": plan["id"], "action_id": action, "person_id": str(son),
                "needs": ["social_contact"], "preferences": ["place_to_be"],
                "required_accommodations": ["gradual_start", "no_phone_calls"], "languages": ["ja"],
                "area_code": "SK-N-01", "travel_km": 3.0, "current_step": "place_to_be",
                "max_step": "employment_trial",
                "availability": [{"weekdays": [1, 3], "start_hour": 13, "end_hour": 16}]}
        key = {"Idempotency-Key": f"pr-{case_id}"}
        request = ok(await svc.client.post(f"/v1/cases/{case_id}/participation-requests", json=body,
                                           headers={**auth(stack, POVERTY), **key}), 201)
        again = ok(await svc.client.post(f"/v1/cases/{case_id}/participation-requests", json=body,
                                         headers={**auth(stack, POVERTY), **key}), 201)
        assert again["id"] == request["id"]
        assert request["participant_id"] not in (str(son), str(mother)) and request["age_band"] == "50-54"
        bad = problem(await svc.client.post(f"/v1/cases/{case_id}/participation-requests",
                                            json={**body, "current_step": "employment", "max_step": "place_to_be"},
                                            headers=auth(stack, POVERTY)), 422)
        assert bad["errors"][0]["field"] == "current_step"

        # participation's facts come back
        request_id, opportunity, placement = UUID(request["id"]), uuid4(), uuid4()
        for fact in (
            MatchProposed(match_id=uuid4(), request_id=request_id, case_id=UUID(case_id), opportunity_id=opportunity,
                          kind=OpportunityKind.place_to_be, score=0.82),
            PlacementStarted(placement_id=placement, request_id=request_id, case_id=UUID(case_id),
                             opportunity_id=opportunity, kind=OpportunityKind.place_to_be, area_code="SK-N-01",
                             started_on=today()),
            # participation may leave the case out: the request still finds it
            PlacementFollowedUp(placement_id=placement, request_id=request_id, followed_up_on=today(),
                                status_code="going_well"),
            PlacementEnded(placement_id=placement, request_id=request_id, case_id=UUID(case_id),
                           outcome=PlacementOutcome.moved_to_next_step, ended_on=today(),
                           area_code="SK-N-01"),
        ):
            await svc.publish(fact)

        async def timeline() -> list[dict]:
            return ok(await svc.client.get(f"/v1/cases/{case_id}/timeline", headers=centre))["items"]

        items = await eventually(timeline, lambda t: t[-1]["type"] == "participation.placement.ended",
                                 what="participation's facts on the timeline", timeout=60)
        types = [i["type"] for i in items]
        expected_order = [
            "intake.household.member_linked", "intake.consultation.received", "intake.consultation.screened",
            "intake.consultation.referred", "coordination.case.opened", "coordination.team.member_joined",
            "coordination.team.lead_changed", "coordination.case.status_changed",
            "coordination.assessment.recorded", "coordination.plan.drafted", "coordination.plan.proposed",
            "coordination.meeting.held", "coordination.plan.approved", "coordination.outreach.started",
            "coordination.outreach.contact_logged", "coordination.participation.requested",
            "participation.match.proposed", "participation.placement.started",
            "participation.placement.followed_up", "participation.placement.ended",
        ]
        positions = [types.index(t) for t in expected_order]
        assert positions == sorted(positions), types
        assert types.count("coordination.assessment.recorded") == 3
        assert types.count("coordination.outreach.contact_logged") == 3
        assert types.count("coordination.team.member_joined") == 4  # centre, desk, disability, poverty
        assert [i["at"] for i in items] == sorted(i["at"] for i in items)
        assert {i["service"] for i in items} == {"intake", "coordination", "participation"}
        held = next(i for i in items if i["type"] == "coordination.meeting.held")
        assert held["data"]["decision"] == "approve_plan"
        # pages: the cursor walks the same entries
        first = ok(await svc.client.get(f"/v1/cases/{case_id}/timeline?limit=5", headers=centre))
        second = ok(await svc.client.get(f"/v1/cases/{case_id}/timeline?limit=5&cursor={first['next_cursor']}",
                                         headers=centre))
        assert [i["seq"] for i in first["items"] + second["items"]] == [i["seq"] for i in items[:10]]
        problem(await svc.client.get(f"/v1/cases/{case_id}/timeline?cursor=bm90LWEtY3Vyc29y", headers=centre), 400)

        # what went out: the request carries the pseudonym and codes, never the son's id or words
        records = await svc.read(COORDINATION.name, at_least=20)
        requested = [json.loads(r.value) for r in records
                     if dict(r.headers)["ce_type"].decode() == ParticipationRequested.event_type]
        assert len(requested) == 1
        out = requested[0]
        assert out["participant_id"] == request["participant_id"] and out["request_id"] == request["id"]
        assert out["required_accommodations"] == ["gradual_start", "no_phone_calls"]
        assert out["max_step"] == "employment_trial" and out["age_band"] == "50-54"
        assert str(son) not in json.dumps(out)
