"""The case status machine over HTTP: every illegal move is 409 problem+json and changes
nothing; every move records who, when and why; ending and reopening."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import pytest
from kasane_coordination.cases.statuses import TRANSITIONS
from kasane_coordination.main import SPEC
from kasane_shared.contracts.codes import CaseStatus

from tests.coordination.support import (
    DESK,
    ELDERLY,
    approved_case,
    auth,
    move,
    name_lead,
    ok,
    open_case,
    problem,
)
from tests.support.service_env import ServiceEnv, service_env
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration

ILLEGAL = [(a, b) for a, b in itertools.product(CaseStatus, CaseStatus) if b not in TRANSITIONS[a]]


@pytest.fixture(scope="module")
async def svc(stack: TestStack) -> AsyncIterator[ServiceEnv]:
    async with service_env(stack, SPEC, "coord_status") as env, env.worker():
        yield env


@pytest.fixture(scope="module")
async def case_in(svc: ServiceEnv, stack: TestStack) -> dict[CaseStatus, str]:
    """One case resting in each status, reached by legal moves (the lead moves them)."""
    cases: dict[CaseStatus, str] = {}

    async def fresh() -> str:
        case_id = (await open_case(svc, stack))["id"]
        await name_lead(svc, stack, case_id)
        return case_id

    cases[CaseStatus.referred] = await fresh()
    cases[CaseStatus.assessing] = await fresh()
    await move(svc, stack, cases[CaseStatus.assessing], "assessing")
    cases[CaseStatus.planning] = await fresh()
    for to in ("assessing", "planning"):
        await move(svc, stack, cases[CaseStatus.planning], to)
    cases[CaseStatus.light_contact] = await fresh()
    await move(svc, stack, cases[CaseStatus.light_contact], "light_contact")
    cases[CaseStatus.ended] = await fresh()
    await move(svc, stack, cases[CaseStatus.ended], "ended", outcome_code="resolved")
    cases[CaseStatus.in_support] = (await approved_case(svc, stack)).case_id
    cases[CaseStatus.monitoring] = (await approved_case(svc, stack)).case_id
    await move(svc, stack, cases[CaseStatus.monitoring], "monitoring")
    for status, case_id in cases.items():
        got = ok(await svc.client.get(f"/v1/cases/{case_id}", headers=auth(stack, ELDERLY)))
        assert got["status"] == status.value
    return cases


@pytest.mark.parametrize(("frm", "to"), ILLEGAL, ids=[f"{a.value}->{b.value}" for a, b in ILLEGAL])
async def test_an_illegal_transition_is_409_and_changes_nothing(
    svc: ServiceEnv, stack: TestStack, case_in: dict[CaseStatus, str], frm: CaseStatus, to: CaseStatus,
) -> None:
    case_id = case_in[frm]
    transitions_before = await svc.pool.fetchval("SELECT count(*) FROM case_transitions WHERE case_id = $1",
                                                 case_id)
    outbox_before = await svc.pool.fetchval("SELECT count(*) FROM outbox")
    body = problem(await svc.client.post(f"/v1/cases/{case_id}/status", json={
        "to": to.value, "reason_code": "try", "outcome_code": "resolved"}, headers=auth(stack, ELDERLY)), 409)
    assert body["type"].endswith("/illegal-transition")
    assert body["from_status"] == frm.value and body["to_status"] == to.value
    got = ok(await svc.client.get(f"/v1/cases/{case_id}", headers=auth(stack, ELDERLY)))
    assert got["status"] == frm.value
    assert await svc.pool.fetchval("SELECT count(*) FROM case_transitions WHERE case_id = $1",
                                   case_id) == transitions_before
    assert await svc.pool.fetchval("SELECT count(*) FROM outbox") == outbox_before


@pytest.mark.parametrize("frm", [CaseStatus.planning, CaseStatus.light_contact])
async def test_support_without_an_approved_plan_is_409(
    svc: ServiceEnv, stack: TestStack, case_in: dict[CaseStatus, str], frm: CaseStatus,
) -> None:
    body = problem(await svc.client.post(f"/v1/cases/{case_in[frm]}/status", json={
        "to": "in_support", "reason_code": "try"}, headers=auth(stack, ELDERLY)), 409)
    assert body["type"].endswith("/no-active-plan")


async def test_every_move_records_who_when_and_why_and_a_case_reopens(svc: ServiceEnv, stack: TestStack) -> None:
    case_id = (await open_case(svc, stack))["id"]
    # before there is a lead a field supporter moves the case; the desk does here
    await move(svc, stack, case_id, "assessing", DESK, reason_code="assessment_started", note="初回面談を設定")
    await move(svc, stack, case_id, "light_contact", DESK, reason_code="person_not_ready")
    await name_lead(svc, stack, case_id, ELDERLY, by=DESK)
    # with a lead, only the lead ends the case
    refused = problem(await svc.client.post(f"/v1/cases/{case_id}/status", json={
        "to": "ended", "reason_code": "x", "outcome_code": "resolved"}, headers=auth(stack, DESK)), 403)
    assert refused["type"].endswith("/team-role")
    missing = problem(await svc.client.post(f"/v1/cases/{case_id}/status", json={
        "to": "ended", "reason_code": "x"}, headers=auth(stack, ELDERLY)), 422)
    assert missing["errors"][0]["field"] == "outcome_code"
    ended = await move(svc, stack, case_id, "ended", outcome_code="moved_away", reason_code="moved")
    assert ended["status"] == "ended" and ended["outcome_code"] == "moved_away" and ended["ended_on"]
    reopened = await move(svc, stack, case_id, "assessing", reason_code="reopened")
    assert reopened["status"] == "assessing" and reopened["ended_on"] is None
    history = ok(await svc.client.get(f"/v1/cases/{case_id}/transitions", headers=auth(stack, ELDERLY)))
    assert [(h["from_status"], h["to_status"], h["reason_code"], h["by_agency_id"]) for h in history] == [
        (None, "referred", "opened_directly", ELDERLY),
        ("referred", "assessing", "assessment_started", DESK),
        ("assessing", "light_contact", "person_not_ready", DESK),
        ("light_contact", "ended", "moved", ELDERLY),
        ("ended", "assessing", "reopened", ELDERLY),
    ]
    assert history[1]["note"] == "初回面談を設定"
    assert all(h["at"] for h in history)
    actors = await svc.pool.fetch("SELECT actor FROM case_transitions WHERE case_id = $1 ORDER BY id", case_id)
    assert actors[1]["actor"] == f"{DESK}/dev-user"
    events = await svc.pool.fetch(
        "SELECT type, payload FROM outbox WHERE aggregate_id = $1 ORDER BY seq", case_id)
    changes = [(e["payload"]["from_status"], e["payload"]["to_status"]) for e in events
               if e["type"].endswith("status_changed.v1")]
    assert changes == [("referred", "assessing"), ("assessing", "light_contact"), ("light_contact", "ended"),
                       ("ended", "assessing")]
    assert [e["payload"]["outcome_code"] for e in events if e["type"].endswith("case.ended.v1")] == ["moved_away"]


async def test_an_information_only_member_cannot_move_the_case(svc: ServiceEnv, stack: TestStack) -> None:
    case_id = (await open_case(svc, stack))["id"]
    ok(await svc.client.post(f"/v1/cases/{case_id}/team/invitations",
                             json={"agency_id": "sk-minsei-kita", "role": "information_only"},
                             headers=auth(stack, ELDERLY)), 201)
    ok(await svc.client.post(f"/v1/cases/{case_id}/team/accept", headers=auth(stack, "sk-minsei-kita")))
    problem(await svc.client.post(f"/v1/cases/{case_id}/status", json={"to": "assessing", "reason_code": "x"},
                                  headers=auth(stack, "sk-minsei-kita")), 403)
