"""Driving coordination in tests: tokens with every scope, intake's events as intake would
publish them, and a case walked to an approved plan through the real API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
from kasane_shared.contracts.codes import ConsentMethod, ConsentScope, ReferralTarget
from kasane_shared.contracts.intake import ConsentGranted, ConsultationReceived, ConsultationReferred, ScreeningSummary

from tests.support.clock import today
from tests.support.kafka import eventually
from tests.support.service_env import ServiceEnv
from tests.support.stack import TestStack

SCOPES = ("cases:read", "cases:write", "plans:write", "meetings:read", "meetings:write", "outreach:read",
          "outreach:write")

ELDERLY = "sk-houkatsu-kita"  # 地域包括支援センター (北部)
DISABILITY = "sk-shogai-soudan"
POVERTY = "sk-jiritsu"
DESK = "sk-jusou-suishin"  # 重層的支援推進室: the collaboration desk
SCHOOL = "sk-school-kita"
CHILDREN = "sk-kosodate"
HEALTH = "sk-hoken"
OUTSIDER = "sk-npo-ibasho"


def auth(stack: TestStack, agency: str, *scopes: str, subject: str | None = None) -> dict[str, str]:
    """A header for ``agency`` with every coordination scope (or the ones given)."""
    return stack.auth(agency, *(scopes or SCOPES), subject=subject)


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


def referral(*, household_id: UUID | None = None, from_agency: str = ELDERLY, consent: bool = True,
             target: ReferralTarget = ReferralTarget.collaboration, **kw: Any) -> ConsultationReferred:
    """What intake publishes when a desk refers an 8050 household to the collaboration."""
    return ConsultationReferred(
        referral_id=kw.pop("referral_id", uuid4()), consultation_id=kw.pop("consultation_id", uuid4()),
        from_agency_id=from_agency, target=target, reason_code="complex_needs",
        household_id=household_id or uuid4(), person_id=kw.pop("person_id", uuid4()), area_code="SK-N-01",
        concern_codes=["elderly_care", "withdrawal"],
        screening=ScreeningSummary(screening_id=uuid4(), score=7, fields_involved=["elderly", "disability"],
                                   patterns=["8050"], recommendation="refer_to_collaboration",
                                   rules_version="2026.11-1"),
        consent_to_share=consent, **kw,
    )


def consent(household_id: UUID, person_id: UUID | None = None, **kw: Any) -> ConsentGranted:
    return ConsentGranted(consent_id=uuid4(), person_id=person_id or uuid4(), household_id=household_id,
                          scope=kw.pop("scope", ConsentScope.collaboration), method=ConsentMethod.written,
                          granted_on=kw.pop("granted_on", today() - timedelta(days=1)), **kw)


async def case_of_referral(svc: ServiceEnv, referral_id: UUID) -> UUID:
    """Wait until the consumer opened the referral's case."""
    return await eventually(
        lambda: svc.pool.fetchval("SELECT id FROM cases WHERE referral_id = $1", referral_id),
        lambda v: v is not None, what="the case opened from the referral", timeout=60,
    )


async def received(svc: ServiceEnv, agency: str, household_id: UUID | str, **kw: Any) -> ConsultationReceived:
    """Intake's fact that ``agency``'s desk received a consultation on the household (the
    relationship opening a case on it needs), applied through coordination's handler."""
    event = ConsultationReceived(
        consultation_id=kw.pop("consultation_id", uuid4()), agency_id=agency,
        received_at=await svc.pool.fetchval("SELECT clock_timestamp()"), channel="visit", consulted_by="self",
        anonymous=False, household_id=UUID(str(household_id)), area_code="SK-N-01", **kw)
    await svc.apply(event)
    return event


async def open_case(svc: ServiceEnv, stack: TestStack, agency: str = ELDERLY, **body: Any) -> dict[str, Any]:
    """A case opened by hand on a household the agency's desk received a consultation on
    (the caller and the desk on its team)."""
    payload = {"household_id": str(uuid4()), "area_code": "SK-N-01", "concern_codes": ["elderly_care"], **body}
    if payload.get("household_id") is not None:
        await received(svc, agency, payload["household_id"])
    return ok(await svc.client.post("/v1/cases", json=payload, headers=auth(stack, agency)), 201)


async def move(svc: ServiceEnv, stack: TestStack, case_id: str, to: str, agency: str = ELDERLY,
               **body: Any) -> dict[str, Any]:
    return ok(await svc.client.post(f"/v1/cases/{case_id}/status",
                                    json={"to": to, "reason_code": body.pop("reason_code", "team_decision"),
                                          **body},
                                    headers=auth(stack, agency)))


async def name_lead(svc: ServiceEnv, stack: TestStack, case_id: str, lead: str = ELDERLY,
                    by: str = ELDERLY) -> dict[str, Any]:
    return ok(await svc.client.post(f"/v1/cases/{case_id}/team/lead", json={"agency_id": lead},
                                    headers=auth(stack, by)))


def plan_body(**kw: Any) -> dict[str, Any]:
    day = today()
    return {
        "goals": [{"text": kw.pop("goal", "母の介護を続けながら、自分も少しずつ外に出たい"), "in_persons_words": True}],
        "actions": [
            {"description": kw.pop("action", "週1回の訪問で母の介護負担を確認する"),
             "responsible_agency_id": ELDERLY, "field": "elderly", "start_on": day.isoformat()},
            {"description": "本人の居場所探しを参加支援につなぐ", "responsible_agency_id": POVERTY, "field": "poverty",
             "start_on": day.isoformat()},
        ],
        "start_on": day.isoformat(), **kw,
    }


async def wait_consent(svc: ServiceEnv, stack: TestStack, case_id: str, agency: str = ELDERLY) -> None:
    async def probe() -> bool:
        return ok(await svc.client.get(f"/v1/cases/{case_id}", headers=auth(stack, agency)))["consent_in_force"]

    await eventually(probe, bool, what="the consent to reach the case", timeout=60)


@dataclass
class Approved:
    case_id: str
    household_id: str
    plan_id: str
    meeting_id: str


async def approved_case(svc: ServiceEnv, stack: TestStack, *, lead: str = ELDERLY,
                        plan: dict[str, Any] | None = None) -> Approved:
    """A consented case with ``lead`` as lead, its plan approved by a 重層的支援会議 (needs the worker)."""
    case = await open_case(svc, stack, lead)
    case_id, household = case["id"], case["household_id"]
    await svc.publish(consent(UUID(household)))
    await wait_consent(svc, stack, case_id, lead)
    await name_lead(svc, stack, case_id, lead, by=lead)
    await move(svc, stack, case_id, "assessing", lead)
    await move(svc, stack, case_id, "planning", lead)
    drafted = ok(await svc.client.post(f"/v1/cases/{case_id}/plans", json=plan or plan_body(),
                                       headers=auth(stack, lead)), 201)
    meeting = ok(await svc.client.post("/v1/meetings", json={
        "kind": "jusou_shien_kaigi", "scheduled_on": today().isoformat(), "member_agency_ids": [DESK]},
        headers=auth(stack, lead)), 201)
    ok(await svc.client.post(f"/v1/cases/{case_id}/plans/{drafted['id']}/propose",
                             json={"meeting_id": meeting["id"]}, headers=auth(stack, lead)))
    ok(await svc.client.post(f"/v1/meetings/{meeting['id']}/held", json={
        "held_on": today().isoformat(), "attendees": [{"agency_id": lead, "role": "chair"},
                                                          {"agency_id": DESK}],
        "decisions": [{"case_id": case_id, "decision": "approve_plan", "plan_id": drafted["id"]}]},
        headers=auth(stack, lead)))
    return Approved(case_id, household, drafted["id"], meeting["id"])
