"""Ids in a request body are resources too (issue 12): opening a case or an outreach
engagement on a household, person or consultation needs a relationship to it that
coordination knows from intake's facts (published to the real broker and consumed by the
worker), its own teams or a consent; else 404 and nothing written."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from kasane_coordination.main import SPEC
from kasane_shared.contracts.codes import ConsentScope, ReferralStatus, ReferralTarget
from kasane_shared.contracts.intake import ConsultationReceived, ReferralStatusChanged

from tests.coordination.support import (
    DESK,
    DISABILITY,
    ELDERLY,
    OUTSIDER,
    POVERTY,
    approved_case,
    auth,
    consent,
    move,
    ok,
    open_case,
    problem,
    referral,
)
from tests.support.kafka import eventually
from tests.support.service_env import ServiceEnv, service_env
from tests.support.stack import TestStack

TABLES = ("cases", "case_team", "outbox", "outreach_engagements", "participation_requests", "audit_log")


async def counts(svc: ServiceEnv) -> dict[str, int]:
    return {t: await svc.pool.fetchval(f"SELECT count(*) FROM {t}") for t in TABLES}


async def refused(svc: ServiceEnv, stack: TestStack, agency: str, body: dict[str, Any],
                  path: str = "/v1/cases") -> None:
    """404 naming the field, and not a row written anywhere (no audit row either: nothing was read)."""
    before = await counts(svc)
    got = problem(await svc.client.post(path, json=body, headers=auth(stack, agency)), 404)
    assert got["errors"][0]["field"] in body and got["errors"][0]["field"].endswith("_id"), got
    assert await counts(svc) == before


async def opens(svc: ServiceEnv, stack: TestStack, agency: str, body: dict[str, Any]) -> dict[str, Any]:
    return ok(await svc.client.post("/v1/cases", json=body, headers=auth(stack, agency)), 201)


async def consumed(svc: ServiceEnv, event_id: str) -> None:
    await eventually(lambda: svc.pool.fetchval("SELECT true FROM inbox WHERE event_id = $1", event_id),
                     bool, what=f"the worker to apply {event_id}", timeout=60)


async def test_only_a_related_agency_opens_a_case_on_a_household_person_or_consultation(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "coord_relationships") as svc, svc.worker():
        household, person, consultation = uuid4(), uuid4(), uuid4()
        subjects = [{"household_id": str(household)}, {"person_id": str(person)},
                    {"consultation_id": str(consultation)}]
        # ids nobody reported: every agency, every scope, 404
        for body in subjects:
            await refused(svc, stack, ELDERLY, body)
        # the elderly centre's desk received a consultation on them (intake's fact, over the broker)
        received = await svc.publish(ConsultationReceived(
            consultation_id=consultation, agency_id=ELDERLY, received_at=await svc.pool.fetchval("SELECT now()"),
            channel="visit", consulted_by="self", anonymous=False, household_id=household, person_id=person,
            area_code="SK-N-01", concern_codes=["abuse_dv"]))
        await consumed(svc, received)
        for body in subjects:
            await refused(svc, stack, OUTSIDER, body)  # the fact is the elderly centre's, not everyone's
            await refused(svc, stack, DISABILITY, body)
        # a mix: one related id does not carry an unrelated one
        await refused(svc, stack, ELDERLY, {"household_id": str(household), "person_id": str(uuid4())})
        case_id = (await opens(svc, stack, ELDERLY, {"household_id": str(household), "person_id": str(person),
                                                     "consultation_id": str(consultation)}))["id"]

        # the case's team is related while the case is open: the desk (on the team) may open on
        # the household; once the case ends, it may not
        await opens(svc, stack, DESK, {"household_id": str(household), "reason_code": "second_issue"})
        ended = [c["id"] for c in ok(await svc.client.get("/v1/cases", headers=auth(stack, DESK)))["items"]]
        for cid in ended:
            await move(svc, stack, cid, "ended", ELDERLY if cid == case_id else DESK, outcome_code="resolved")
        await refused(svc, stack, DESK, {"household_id": str(household)})
        await opens(svc, stack, ELDERLY, {"household_id": str(household)})  # its desk fact stays

        # a referral to an agency relates it until the referral is rejected
        other = uuid4()
        ref = referral(household_id=other, target=ReferralTarget.agency, to_agency_id=POVERTY, consent=False)
        await consumed(svc, await svc.publish(ref))
        await opens(svc, stack, POVERTY, {"household_id": str(other)})
        rejected = await svc.publish(ReferralStatusChanged(
            referral_id=ref.referral_id, consultation_id=ref.consultation_id, status=ReferralStatus.rejected,
            by_agency_id=POVERTY, household_id=other))
        await consumed(svc, rejected)
        for c in ok(await svc.client.get("/v1/cases", headers=auth(stack, POVERTY)))["items"]:
            await move(svc, stack, c["id"], "ended", POVERTY, outcome_code="resolved")
        await refused(svc, stack, POVERTY, {"household_id": str(other)})

        # consent: one naming the agency relates it; a collaboration-wide one on its own does not
        third = uuid4()
        await consumed(svc, await svc.publish(consent(third, scope=ConsentScope.collaboration)))
        await refused(svc, stack, OUTSIDER, {"household_id": str(third)})
        await consumed(svc, await svc.publish(consent(third, scope=ConsentScope.named_agencies,
                                                      agency_ids=[OUTSIDER])))
        await opens(svc, stack, OUTSIDER, {"household_id": str(third)})
        await refused(svc, stack, DISABILITY, {"household_id": str(third)})


async def test_outreach_on_a_household_needs_a_relationship_to_it(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "coord_relationships_outreach") as svc, svc.worker():
        foreign = str(uuid4())
        await refused(svc, stack, OUTSIDER, {"household_id": foreign, "reason_code": "no_response"}, "/v1/outreach")
        await refused(svc, stack, OUTSIDER, {"person_id": foreign, "reason_code": "no_response"}, "/v1/outreach")
        # through a case the caller works on, a household other than the case's is still refused
        case = await open_case(svc, stack, ELDERLY)
        await refused(svc, stack, ELDERLY, {"case_id": case["id"], "household_id": foreign,
                                            "reason_code": "no_response"}, "/v1/outreach")
        ok(await svc.client.post("/v1/outreach", json={"case_id": case["id"], "household_id": case["household_id"],
                                                       "reason_code": "no_response"},
                                 headers=auth(stack, ELDERLY)), 201)
        # outreach on nobody in particular (an area's hard-to-reach) needs no relationship
        ok(await svc.client.post("/v1/outreach", json={"area_code": "SK-N-01", "reason_code": "no_response"},
                                 headers=auth(stack, OUTSIDER)), 201)


async def test_a_participation_request_is_for_the_cases_own_person(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "coord_relationships_participation") as svc, svc.worker():
        done = await approved_case(svc, stack)
        plan = ok(await svc.client.get(f"/v1/cases/{done.case_id}/plans/{done.plan_id}",
                                       headers=auth(stack, ELDERLY)))
        before = await counts(svc)
        body = {"plan_id": done.plan_id, "action_id": plan["actions"][0]["id"], "person_id": str(uuid4()),
                "needs": ["social_contact"], "area_code": "SK-N-01", "travel_km": 2.0}
        got = problem(await svc.client.post(f"/v1/cases/{done.case_id}/participation-requests", json=body,
                                            headers=auth(stack, ELDERLY)), 422)
        assert got["errors"][0]["field"] == "person_id"
        assert await counts(svc) == before
        del body["person_id"]
        ok(await svc.client.post(f"/v1/cases/{done.case_id}/participation-requests", json=body,
                                 headers=auth(stack, ELDERLY)), 201)
