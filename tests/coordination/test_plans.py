"""Support plan versions: never overwritten, proposed by the lead, approved or returned only
by a 重層的支援会議's decision; reviews and their overdue events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from uuid import UUID

import pytest
from kasane_coordination.main import SPEC
from kasane_shared.contracts.coordination import PlanApproved, PlanProposed, PlanReturned, PlanReviewOverdue
from kasane_shared.events.streams import COORDINATION

from tests.coordination.support import (
    DESK,
    DISABILITY,
    ELDERLY,
    approved_case,
    auth,
    consent,
    move,
    name_lead,
    ok,
    open_case,
    plan_body,
    problem,
    wait_consent,
)
from tests.support.clock import today
from tests.support.service_env import ServiceEnv, service_env
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def svc(stack: TestStack) -> AsyncIterator[ServiceEnv]:
    async with service_env(stack, SPEC, "coord_plans") as env, env.worker():
        yield env


async def _planning_case(svc: ServiceEnv, stack: TestStack) -> str:
    case = await open_case(svc, stack)
    await svc.publish(consent(UUID(case["household_id"])))
    await wait_consent(svc, stack, case["id"])
    await name_lead(svc, stack, case["id"])
    await move(svc, stack, case["id"], "assessing")
    await move(svc, stack, case["id"], "planning")
    return case["id"]


async def _meeting(svc: ServiceEnv, stack: TestStack, kind: str = "jusou_shien_kaigi", chair: str = ELDERLY,
                   members: tuple[str, ...] = (DESK,)) -> str:
    return ok(await svc.client.post("/v1/meetings", json={
        "kind": kind, "scheduled_on": today().isoformat(), "member_agency_ids": list(members)},
        headers=auth(stack, chair)), 201)["id"]


def _held(case_id: str, decision: str, plan_id: str | None = None, **kw: str) -> dict:
    return {"held_on": today().isoformat(),
            "attendees": [{"agency_id": ELDERLY, "role": "chair"}, {"agency_id": DESK}],
            "decisions": [{"case_id": case_id, "decision": decision, "plan_id": plan_id, **kw}],
            "minutes": "本人の意向を確認し、役割分担を合意した"}


async def test_versions_are_never_overwritten_and_approval_goes_only_through_a_meeting(
    svc: ServiceEnv, stack: TestStack,
) -> None:
    lead = auth(stack, ELDERLY)
    case_id = await _planning_case(svc, stack)
    v1 = ok(await svc.client.post(f"/v1/cases/{case_id}/plans", json=plan_body(goal="最初の目標"), headers=lead), 201)
    v2 = ok(await svc.client.post(f"/v1/cases/{case_id}/plans", json=plan_body(goal="二つ目の目標"),
                                  headers=auth(stack, DESK)), 201)
    assert (v1["version"], v2["version"], v2["based_on"]) == (1, 2, v1["id"])
    plans = ok(await svc.client.get(f"/v1/cases/{case_id}/plans", headers=lead))
    assert [(p["version"], p["status"], p["goals"][0]["text"]) for p in plans] == [
        (1, "revised", "最初の目標"), (2, "draft", "二つ目の目標")]  # the first draft's words are kept
    assert plans[0]["superseded_by"] == v2["id"]

    # there is no route that approves a plan
    for verb in ("approve", "status"):
        assert (await svc.client.post(f"/v1/cases/{case_id}/plans/{v2['id']}/{verb}", json={},
                                      headers=lead)).status_code in (404, 405)
    # proposing needs the lead
    jusou = await _meeting(svc, stack)
    refused = problem(await svc.client.post(f"/v1/cases/{case_id}/plans/{v2['id']}/propose",
                                            json={"meeting_id": jusou}, headers=auth(stack, DESK)), 403)
    assert refused["type"].endswith("/lead-only")
    # and a 重層的支援会議: a 支援会議 does not take plans
    shien = await _meeting(svc, stack, "shien_kaigi")
    ok(await svc.client.post(f"/v1/meetings/{shien}/acknowledgements", headers=lead))
    wrong = problem(await svc.client.post(f"/v1/cases/{case_id}/plans/{v2['id']}/propose",
                                          json={"meeting_id": shien}, headers=lead), 409)
    assert wrong["type"].endswith("/meeting-kind")
    proposed = ok(await svc.client.post(f"/v1/cases/{case_id}/plans/{v2['id']}/propose",
                                        json={"meeting_id": jusou}, headers=lead))
    assert proposed["status"] == "proposed" and proposed["proposed_meeting_id"] == jusou
    # while a version is before the meeting, no new one is drafted
    problem(await svc.client.post(f"/v1/cases/{case_id}/plans", json=plan_body(), headers=lead), 409)
    # moving the case into support still needs an approved plan
    problem(await svc.client.post(f"/v1/cases/{case_id}/status", json={"to": "in_support", "reason_code": "x"},
                                  headers=lead), 409)

    # a 支援会議 cannot approve it, and a meeting cannot approve a version not proposed to it
    ok(await svc.client.post(f"/v1/meetings/{shien}/agenda", json={"case_id": case_id}, headers=lead))
    body = problem(await svc.client.post(f"/v1/meetings/{shien}/held",
                                         json=_held(case_id, "approve_plan", v2["id"]), headers=lead), 422)
    assert [e["field"] for e in body["errors"]] == ["decisions.0.decision"]
    body = problem(await svc.client.post(f"/v1/meetings/{jusou}/held",
                                         json=_held(case_id, "approve_plan", v1["id"]), headers=lead), 422)
    assert [e["field"] for e in body["errors"]] == ["decisions.0.plan_id"]
    assert ok(await svc.client.get(f"/v1/cases/{case_id}/plans/{v2['id']}", headers=lead))["status"] == "proposed"

    # the meeting returns it with a reason; the next version is approved
    ok(await svc.client.post(f"/v1/meetings/{jusou}/held",
                             json=_held(case_id, "return_plan", v2["id"], reason_code="needs_persons_view"),
                             headers=lead))
    returned = ok(await svc.client.get(f"/v1/cases/{case_id}/plans/{v2['id']}", headers=lead))
    assert returned["status"] == "returned" and returned["return_reason_code"] == "needs_persons_view"
    assert returned["active"] is False
    v3 = ok(await svc.client.post(f"/v1/cases/{case_id}/plans", json=plan_body(goal="三つ目"), headers=lead), 201)
    assert v3["based_on"] == v2["id"]
    second = await _meeting(svc, stack)
    ok(await svc.client.post(f"/v1/cases/{case_id}/plans/{v3['id']}/propose", json={"meeting_id": second},
                             headers=lead))
    ok(await svc.client.post(f"/v1/meetings/{second}/held", json=_held(case_id, "approve_plan", v3["id"]),
                             headers=lead))
    case = ok(await svc.client.get(f"/v1/cases/{case_id}", headers=lead))
    assert case["status"] == "in_support"  # approval moved the planned case into support
    assert case["active_plan"]["plan_id"] == v3["id"]
    approved = ok(await svc.client.get(f"/v1/cases/{case_id}/plans/{v3['id']}", headers=lead))
    assert approved["status"] == "approved" and approved["decided_meeting_id"] == second
    assert approved["review_due"] == (today() + timedelta(days=90)).isoformat()
    assert [h["to_status"] for h in approved["history"]] == ["draft", "proposed", "approved"]

    # a review, then a revision approved at another meeting: the old version becomes revised
    ok(await svc.client.post(f"/v1/cases/{case_id}/plans/{v3['id']}/review", headers=lead))
    v4 = ok(await svc.client.post(f"/v1/cases/{case_id}/plans", json=plan_body(goal="見直し後"), headers=lead), 201)
    third = await _meeting(svc, stack)
    ok(await svc.client.post(f"/v1/cases/{case_id}/plans/{v4['id']}/propose", json={"meeting_id": third},
                             headers=lead))
    assert ok(await svc.client.get(f"/v1/cases/{case_id}", headers=lead))["active_plan"]["plan_id"] == v3["id"]
    ok(await svc.client.post(f"/v1/meetings/{third}/held", json=_held(case_id, "approve_plan", v4["id"]),
                             headers=lead))
    plans = ok(await svc.client.get(f"/v1/cases/{case_id}/plans", headers=lead))
    assert [(p["version"], p["status"], p["active"]) for p in plans] == [
        (1, "revised", False), (2, "returned", False), (3, "revised", False), (4, "approved", True)]
    assert [p["goals"][0]["text"] for p in plans] == ["最初の目標", "二つ目の目標", "三つ目", "見直し後"]

    records = await svc.read(COORDINATION.name, at_least=1)
    plan_events = [(dict(r.headers)["ce_type"].decode(), json.loads(r.value)) for r in records
                   if r.key == case_id.encode() and b".plan." in dict(r.headers)["ce_type"]]
    assert [(t, e["version"]) for t, e in plan_events] == [
        (PlanProposed.event_type, 2), (PlanReturned.event_type, 2), (PlanProposed.event_type, 3),
        (PlanApproved.event_type, 3), (PlanProposed.event_type, 4), (PlanApproved.event_type, 4)]
    assert plan_events[0][1]["responsible_agency_ids"] == [ELDERLY, "sk-jiritsu"]
    assert plan_events[1][1]["reason_code"] == "needs_persons_view"


async def test_action_progress_on_the_active_plan_only(svc: ServiceEnv, stack: TestStack) -> None:
    done = await approved_case(svc, stack)
    lead = auth(stack, ELDERLY)
    plan = ok(await svc.client.get(f"/v1/cases/{done.case_id}/plans/{done.plan_id}", headers=lead))
    action = plan["actions"][0]["id"]
    moved = ok(await svc.client.post(f"/v1/cases/{done.case_id}/plans/{done.plan_id}/actions/{action}/status",
                                     json={"status": "in_progress"}, headers=lead))
    assert moved["actions"][0]["status"] == "in_progress"
    draft = ok(await svc.client.post(f"/v1/cases/{done.case_id}/plans", json=plan_body(), headers=lead), 201)
    problem(await svc.client.post(
        f"/v1/cases/{done.case_id}/plans/{draft['id']}/actions/{draft['actions'][0]['id']}/status",
        json={"status": "done"}, headers=lead), 409)


async def test_an_overdue_review_raises_one_event(svc: ServiceEnv, stack: TestStack) -> None:
    past = plan_body(start_on=(today() - timedelta(days=100)).isoformat(),
                     review_on=(today() - timedelta(days=3)).isoformat())
    done = await approved_case(svc, stack, plan=past)
    await svc.run_job("plan_reviews")
    await svc.run_job("plan_reviews")  # a second tick reports nothing new
    rows = await svc.pool.fetch("SELECT payload FROM outbox WHERE type = $1 AND aggregate_id = $2",
                                PlanReviewOverdue.event_type, done.case_id)
    assert [r["payload"]["plan_id"] for r in rows] == [done.plan_id]
    assert rows[0]["payload"]["review_due"] == (today() - timedelta(days=3)).isoformat()
    # once the review starts the plan is no longer overdue
    ok(await svc.client.post(f"/v1/cases/{done.case_id}/plans/{done.plan_id}/review", headers=auth(stack, ELDERLY)))
    await svc.run_job("between_agencies")
    flags = ok(await svc.client.get(f"/v1/flags?case_id={done.case_id}", headers=auth(stack, ELDERLY)))
    assert "review_overdue" not in {f["code"] for f in flags}


async def test_plan_input_is_checked(svc: ServiceEnv, stack: TestStack) -> None:
    case_id = await _planning_case(svc, stack)
    lead = auth(stack, ELDERLY)
    bad = plan_body()
    bad["actions"][1]["responsible_agency_id"] = "sk-nowhere"
    body = problem(await svc.client.post(f"/v1/cases/{case_id}/plans", json=bad, headers=lead), 422)
    assert body["errors"][0]["field"] == "actions.1.responsible_agency_id"
    body = problem(await svc.client.post(f"/v1/cases/{case_id}/plans", json={**plan_body(), "goals": []},
                                         headers=lead), 422)
    assert body["errors"][0]["field"] == "goals"
    assert await svc.pool.fetchval("SELECT count(*) FROM plans WHERE case_id = $1", UUID(case_id)) == 0
    # an information-only member reads plans but does not draft them
    ok(await svc.client.post(f"/v1/cases/{case_id}/team/invitations",
                             json={"agency_id": DISABILITY, "role": "information_only"}, headers=lead), 201)
    ok(await svc.client.post(f"/v1/cases/{case_id}/team/accept", headers=auth(stack, DISABILITY)))
    problem(await svc.client.post(f"/v1/cases/{case_id}/plans", json=plan_body(),
                                  headers=auth(stack, DISABILITY)), 403)
