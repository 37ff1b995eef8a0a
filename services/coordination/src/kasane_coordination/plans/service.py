"""Plan versions: drafting, proposing to a meeting, the meeting's approval or return, review."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import asyncpg
from kasane_shared.auth.tokens import Principal
from kasane_shared.contracts.codes import CaseStatus, MeetingKind
from kasane_shared.contracts.coordination import PlanApproved, PlanProposed, PlanReturned
from kasane_shared.http.problems import InvalidInput

from kasane_coordination.cases import service as cases
from kasane_coordination.events import SOURCE, emit
from kasane_coordination.meetings import agenda
from kasane_coordination.plans import store
from kasane_coordination.plans.lifecycle import (
    ACTIVE,
    PlanRefused,
    PlanStatus,
    check_new_version,
    check_proposal,
    check_transition,
    review_due,
)
from kasane_coordination.plans.models import PlanCreate
from kasane_coordination.rules import CoordinationRules
from kasane_coordination.timeline import store as timeline


async def _local_fact(conn: asyncpg.Connection, *, case_id: UUID, type_: str, plan: asyncpg.Record,
                      agency_id: str, key: str) -> None:
    """A step the timeline shows but no consumer needs (no event is published for it)."""
    await timeline.add(conn, source=SOURCE, event_id=f"{type_}:{key}", type_=type_, case_id=case_id,
                       agency_id=agency_id, data={"plan_id": str(plan["id"]), "version": plan["version"]})


async def create_version(conn: asyncpg.Connection, *, case: asyncpg.Record, body: PlanCreate, by_agency_id: str,
                         actor: str) -> UUID:
    """Draft the next version; an earlier draft not yet proposed is marked revised."""
    existing = await store.versions(conn, case["id"])
    check_new_version([PlanStatus(p["status"]) for p in existing], CaseStatus(case["status"]))
    if body.based_on is not None and all(p["id"] != body.based_on for p in existing):
        raise InvalidInput("based_on", "not a version of this case's plan")
    based_on = body.based_on or (existing[-1]["id"] if existing else None)
    plan_id = uuid4()
    version = (existing[-1]["version"] if existing else 0) + 1
    await store.insert(conn, values={
        "id": plan_id, "case_id": case["id"], "version": version, "status": PlanStatus.draft.value,
        "based_on": based_on, "goals": [g.model_dump(mode="json") for g in body.goals],
        "start_on": body.start_on, "review_on": body.review_on, "created_by_agency_id": by_agency_id,
        "actor": actor,
    })
    for position, action in enumerate(body.actions):
        await store.insert_action(conn, values={
            "id": uuid4(), "plan_id": plan_id, "position": position, "description": action.description,
            "responsible_agency_id": action.responsible_agency_id, "field": action.field,
            "start_on": action.start_on, "review_on": action.review_on, "status": action.status.value,
        })
    await store.add_history(conn, plan_id=plan_id, from_status=None, to_status=PlanStatus.draft.value,
                            by_agency_id=by_agency_id, actor=actor)
    for old in existing:
        if old["status"] == PlanStatus.draft:
            await store.set_status(conn, old["id"], PlanStatus.revised.value, superseded_by=plan_id)
            await store.add_history(conn, plan_id=old["id"], from_status=PlanStatus.draft.value,
                                    to_status=PlanStatus.revised.value, by_agency_id=by_agency_id, actor=actor)
    plan = await store.get(conn, case["id"], plan_id)
    await _local_fact(conn, case_id=case["id"], type_="coordination.plan.drafted", plan=plan,
                      agency_id=by_agency_id, key=str(plan_id))
    return plan_id


async def propose(conn: asyncpg.Connection, *, case: asyncpg.Record, plan: asyncpg.Record, meeting_id: UUID,
                  principal: Principal, rules: CoordinationRules) -> None:
    """Put a draft to a 重層的支援会議 (the lead does this); the case goes on its agenda."""
    check_proposal(PlanStatus(plan["status"]), CaseStatus(case["status"]))
    await agenda.put_on_agenda(conn, principal, meeting_id, case["id"], rules,
                                 kind=MeetingKind.jusou_shien_kaigi)
    await store.set_status(conn, plan["id"], PlanStatus.proposed.value, proposed_meeting_id=meeting_id)
    await store.add_history(conn, plan_id=plan["id"], from_status=plan["status"],
                            to_status=PlanStatus.proposed.value, meeting_id=meeting_id,
                            by_agency_id=principal.agency_id, actor=principal.subject)
    agencies = sorted({a["responsible_agency_id"] for a in await store.actions(conn, plan["id"])})
    await emit(conn, PlanProposed(case_id=case["id"], plan_id=plan["id"], version=plan["version"],
                                  meeting_id=meeting_id, responsible_agency_ids=agencies),
               agency_id=principal.agency_id, cases=[case["id"]])


async def approve(conn: asyncpg.Connection, *, case: asyncpg.Record, plan: asyncpg.Record, meeting_id: UUID,
                  held_on: date, by_agency_id: str, actor: str, rules: CoordinationRules) -> None:
    """The meeting approves: the version becomes the active plan, the former one is revised, and a
    case being planned moves into support."""
    check_transition(PlanStatus(plan["status"]), PlanStatus.approved)
    if case["status"] == CaseStatus.ended:
        raise PlanRefused("case-ended", "the case ended after the plan was proposed; reopen it first")
    former = await store.active(conn, case["id"])
    if former is not None:
        await store.set_status(conn, former["id"], PlanStatus.revised.value, superseded_by=plan["id"])
        await store.add_history(conn, plan_id=former["id"], from_status=former["status"],
                                to_status=PlanStatus.revised.value, meeting_id=meeting_id,
                                by_agency_id=by_agency_id, actor=actor)
    due = review_due(held_on, plan["review_on"], rules.plan_review_days)
    await store.set_status(conn, plan["id"], PlanStatus.approved.value, decided_meeting_id=meeting_id,
                           review_due=due)
    await store.add_history(conn, plan_id=plan["id"], from_status=plan["status"],
                            to_status=PlanStatus.approved.value, meeting_id=meeting_id,
                            by_agency_id=by_agency_id, actor=actor)
    await emit(conn, PlanApproved(case_id=case["id"], plan_id=plan["id"], version=plan["version"],
                                  meeting_id=meeting_id, review_due=due),
               agency_id=by_agency_id, cases=[case["id"]])
    if case["status"] == CaseStatus.planning:
        await cases.change_status(conn, case=case, to_status=CaseStatus.in_support, reason_code="plan_approved",
                                  by_agency_id=by_agency_id, actor=actor, meeting_id=meeting_id)


async def return_plan(conn: asyncpg.Connection, *, case: asyncpg.Record, plan: asyncpg.Record, meeting_id: UUID,
                      reason_code: str, by_agency_id: str, actor: str) -> None:
    """The meeting returns the version with a reason; the team drafts the next one."""
    check_transition(PlanStatus(plan["status"]), PlanStatus.returned)
    await store.set_status(conn, plan["id"], PlanStatus.returned.value, decided_meeting_id=meeting_id,
                           return_reason_code=reason_code)
    await store.add_history(conn, plan_id=plan["id"], from_status=plan["status"],
                            to_status=PlanStatus.returned.value, reason_code=reason_code, meeting_id=meeting_id,
                            by_agency_id=by_agency_id, actor=actor)
    await emit(conn, PlanReturned(case_id=case["id"], plan_id=plan["id"], version=plan["version"],
                                  meeting_id=meeting_id, reason_code=reason_code),
               agency_id=by_agency_id, cases=[case["id"]])


async def start_review(conn: asyncpg.Connection, *, case: asyncpg.Record, plan: asyncpg.Record, by_agency_id: str,
                       actor: str) -> None:
    """The approved plan goes under review (it stays in force until a revision is approved)."""
    check_transition(PlanStatus(plan["status"]), PlanStatus.under_review)
    await store.set_status(conn, plan["id"], PlanStatus.under_review.value)
    await store.add_history(conn, plan_id=plan["id"], from_status=plan["status"],
                            to_status=PlanStatus.under_review.value, by_agency_id=by_agency_id, actor=actor)
    await _local_fact(conn, case_id=case["id"], type_="coordination.plan.review_started", plan=plan,
                      agency_id=by_agency_id, key=str(plan["id"]))


def is_active(plan: asyncpg.Record) -> bool:
    return PlanStatus(plan["status"]) in ACTIVE
