"""``/v1/cases/{id}/plans``: versions, proposal to a 重層的支援会議, review, action progress.

There is no approve route: a plan is approved or returned only by a meeting's decision
(``POST /v1/meetings/{id}/held``)."""

from __future__ import annotations

from uuid import UUID

import asyncpg
from fastapi import APIRouter
from kasane_shared.auth.tokens import Principal
from kasane_shared.db import Conn
from kasane_shared.http.deps import Profile
from kasane_shared.http.problems import Conflict, InvalidInput, NotFound

from kasane_coordination.access import CaseAccess, audit_read, audit_write, case_access
from kasane_coordination.deps import CaseReader, PlanWriter, Rules
from kasane_coordination.meetings import agenda
from kasane_coordination.plans import service, store
from kasane_coordination.plans.lifecycle import ACTIVE, PlanRefused, PlanStatus
from kasane_coordination.plans.models import (
    ActionRead,
    ActionStatusChange,
    GoalRead,
    PlanCreate,
    PlanHistoryRead,
    PlanProposal,
    PlanRead,
)

router = APIRouter(tags=["support plans"])


async def plan_read(conn: asyncpg.Connection, access: CaseAccess, plan: asyncpg.Record) -> PlanRead:
    """A version as the caller may see it: the wording (goals, actions) only with personal detail."""
    shown = access.detail
    return PlanRead(
        id=plan["id"], case_id=plan["case_id"], version=plan["version"], status=plan["status"],
        active=PlanStatus(plan["status"]) in ACTIVE, based_on=plan["based_on"], start_on=plan["start_on"],
        review_on=plan["review_on"], review_due=plan["review_due"],
        created_by_agency_id=plan["created_by_agency_id"], created_at=plan["created_at"],
        proposed_meeting_id=plan["proposed_meeting_id"], decided_meeting_id=plan["decided_meeting_id"],
        return_reason_code=plan["return_reason_code"], superseded_by=plan["superseded_by"],
        detail="shown" if shown else "withheld",
        goals=[GoalRead(**g) for g in plan["goals"]] if shown else None,
        actions=[ActionRead(id=a["id"], responsible_agency_id=a["responsible_agency_id"], field=a["field"],
                            start_on=a["start_on"], review_on=a["review_on"], status=a["status"],
                            description=a["description"] if shown else None)
                 for a in await store.actions(conn, plan["id"])],
        history=[PlanHistoryRead(**dict(h)) for h in await store.history(conn, plan["id"])],
    )


async def _plan(conn: asyncpg.Connection, access: CaseAccess, plan_id: UUID, *, lock: bool = False):
    plan = await store.get(conn, access.case_id, plan_id, lock=lock)
    if plan is None:
        raise NotFound("no such plan version on this case")
    return plan


async def _read_after_write(conn: asyncpg.Connection, principal: Principal, case_id: UUID, plan_id: UUID,
                            rules: Rules) -> PlanRead:
    access = await case_access(conn, principal, case_id, rules)
    return await plan_read(conn, access, await _plan(conn, access, plan_id))


@router.post("/v1/cases/{case_id}/plans", status_code=201, response_model=PlanRead,
             summary="Draft the next plan version (earlier versions are never overwritten)")
async def create_plan(case_id: UUID, body: PlanCreate, conn: Conn, principal: PlanWriter, rules: Rules,
                      profile: Profile) -> PlanRead:
    for i, action in enumerate(body.actions):
        if profile.agency(action.responsible_agency_id) is None:
            raise InvalidInput(f"actions.{i}.responsible_agency_id", "not an agency of this municipality")
    access = await case_access(conn, principal, case_id, rules, write=True)
    access.require_working("drafting a plan")
    try:
        plan_id = await service.create_version(conn, case=access.case, body=body, by_agency_id=principal.agency_id,
                                               actor=principal.subject)
    except PlanRefused as exc:
        raise Conflict(str(exc), slug=exc.slug) from None
    await audit_write(conn, principal, "create", "plan", plan_id)
    return await _read_after_write(conn, principal, case_id, plan_id, rules)


@router.get("/v1/cases/{case_id}/plans", response_model=list[PlanRead], summary="Every version, oldest first")
async def list_plans(case_id: UUID, conn: Conn, principal: CaseReader, rules: Rules) -> list[PlanRead]:
    access = await case_access(conn, principal, case_id, rules)
    plans = await store.versions(conn, case_id)
    await audit_read(conn, principal, access, "plan", [p["id"] for p in plans] or [case_id])
    return [await plan_read(conn, access, p) for p in plans]


@router.get("/v1/cases/{case_id}/plans/{plan_id}", response_model=PlanRead, summary="One version")
async def read_plan(case_id: UUID, plan_id: UUID, conn: Conn, principal: CaseReader, rules: Rules) -> PlanRead:
    access = await case_access(conn, principal, case_id, rules)
    plan = await _plan(conn, access, plan_id)
    await audit_read(conn, principal, access, "plan", [plan_id])
    return await plan_read(conn, access, plan)


@router.post("/v1/cases/{case_id}/plans/{plan_id}/propose", response_model=PlanRead,
             summary="Put a draft to a 重層的支援会議 (the lead agency only)")
async def propose(case_id: UUID, plan_id: UUID, body: PlanProposal, conn: Conn, principal: PlanWriter,
                  rules: Rules) -> PlanRead:
    # the case in the path answers first (404 for a caller not on it, before anything is said
    # about the meeting); then the locks: the meeting row, then the case, the order holding
    # a meeting takes them in
    await case_access(conn, principal, case_id, rules)
    await agenda.meeting_access(conn, principal, body.meeting_id, lock=True)
    access = await case_access(conn, principal, case_id, rules, write=True)
    access.require_lead("proposing a plan")
    plan = await _plan(conn, access, plan_id, lock=True)
    try:
        await service.propose(conn, case=access.case, plan=plan, meeting_id=body.meeting_id, principal=principal,
                              rules=rules)
    except PlanRefused as exc:
        raise Conflict(str(exc), slug=exc.slug) from None
    await audit_write(conn, principal, "propose", "plan", plan_id)
    return await _read_after_write(conn, principal, case_id, plan_id, rules)


@router.post("/v1/cases/{case_id}/plans/{plan_id}/review", response_model=PlanRead,
             summary="Start reviewing the approved plan (モニタリング); it stays in force until revised")
async def start_review(case_id: UUID, plan_id: UUID, conn: Conn, principal: PlanWriter, rules: Rules) -> PlanRead:
    access = await case_access(conn, principal, case_id, rules, write=True)
    access.require_working("reviewing a plan")
    plan = await _plan(conn, access, plan_id, lock=True)
    try:
        await service.start_review(conn, case=access.case, plan=plan, by_agency_id=principal.agency_id,
                                   actor=principal.subject)
    except PlanRefused as exc:
        raise Conflict(str(exc), slug=exc.slug) from None
    await audit_write(conn, principal, "review", "plan", plan_id)
    return await _read_after_write(conn, principal, case_id, plan_id, rules)


@router.post("/v1/cases/{case_id}/plans/{plan_id}/actions/{action_id}/status", response_model=PlanRead,
             summary="Record an action's progress on the active plan")
async def action_status(case_id: UUID, plan_id: UUID, action_id: UUID, body: ActionStatusChange, conn: Conn,
                        principal: PlanWriter, rules: Rules) -> PlanRead:
    access = await case_access(conn, principal, case_id, rules, write=True)
    access.require_working("recording an action's progress")
    plan = await _plan(conn, access, plan_id, lock=True)
    action = await store.action(conn, plan_id, action_id)
    if action is None:
        raise NotFound("no such action in this plan version")
    if not service.is_active(plan):
        raise Conflict("only the active (approved) plan's actions make progress", slug="plan-not-active")
    await store.set_action_status(conn, action_id, body.status.value)
    await store.add_history(conn, plan_id=plan_id, action_id=action_id, from_status=action["status"],
                            to_status=body.status.value, by_agency_id=principal.agency_id, actor=principal.subject)
    await audit_write(conn, principal, "update", "plan_action", action_id)
    return await _read_after_write(conn, principal, case_id, plan_id, rules)
