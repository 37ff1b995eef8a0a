"""Holding a meeting: its decisions applied to plans and cases, one transaction, one MeetingHeld."""

from __future__ import annotations

from uuid import UUID

import asyncpg
from kasane_shared.auth.tokens import Principal
from kasane_shared.contracts.codes import CaseStatus, MeetingDecision, MeetingKind
from kasane_shared.contracts.coordination import CaseDecision, MeetingHeld
from kasane_shared.http.problems import Conflict, InvalidInput, Problem, field_error

from kasane_coordination.cases import service as cases
from kasane_coordination.cases.statuses import TransitionRefused
from kasane_coordination.events import emit
from kasane_coordination.meetings import store
from kasane_coordination.meetings.agenda import MeetingAccess, consent_covers_members, consent_required
from kasane_coordination.meetings.decisions import Decision, decision_errors
from kasane_coordination.meetings.models import MeetingHeldIn
from kasane_coordination.plans import service as plans
from kasane_coordination.plans import store as plan_store
from kasane_coordination.plans.lifecycle import PlanRefused, PlanStatus
from kasane_coordination.rules import CoordinationRules


def _invalid(errors: list[tuple[str, str]]) -> Problem:
    fields = ", ".join(f for f, _ in errors)
    return Problem(f"invalid fields: {fields}", status=422, title="Unprocessable Content", slug="validation",
                   errors=[field_error(f, d) for f, d in errors])


async def hold(conn: asyncpg.Connection, *, principal: Principal, access: MeetingAccess, body: MeetingHeldIn,
               rules: CoordinationRules) -> None:
    """Record the meeting as held and apply each decision (the meeting row is locked)."""
    meeting = access.meeting
    meeting_id: UUID = meeting["id"]
    kind = MeetingKind(meeting["kind"])
    if body.held_on > rules.today():
        raise InvalidInput("held_on", "must not be in the future")
    members = {m["agency_id"] for m in await store.members(conn, meeting_id)}
    errors = [(f"attendees.{i}.agency_id", "not a member of the meeting")
              for i, a in enumerate(body.attendees) if a.agency_id not in members]
    agenda = await store.agenda(conn, meeting_id)
    proposed: dict[UUID, set[UUID]] = {row["case_id"]: set() for row in agenda}
    for plan in await store.proposed_plans(conn, meeting_id):
        if plan["status"] == PlanStatus.proposed and plan["case_id"] in proposed:
            proposed[plan["case_id"]].add(plan["id"])
    decisions = [Decision(d.case_id, d.decision, d.plan_id, d.reason_code, d.outcome_code) for d in body.decisions]
    errors += decision_errors(kind, decisions, {k: frozenset(v) for k, v in proposed.items()})
    if errors:
        raise _invalid(errors)
    # lock the cases in one order, so two meetings deciding on the same cases cannot deadlock
    case_ids = sorted(proposed)
    locked = {r["id"]: r for r in await conn.fetch(
        "SELECT * FROM cases WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE", case_ids)}
    if kind is MeetingKind.jusou_shien_kaigi:
        for case_id in case_ids:
            if not await consent_covers_members(conn, locked[case_id], meeting_id, rules):
                raise consent_required(case_id)
    await conn.execute(
        """UPDATE meetings SET status = 'held', held_on = $2, minutes = $3, held_at = clock_timestamp()
            WHERE id = $1""",
        meeting_id, body.held_on, body.minutes,
    )
    for attendee in body.attendees:
        await conn.execute(
            "UPDATE meeting_members SET attended_role = $3 WHERE meeting_id = $1 AND agency_id = $2",
            meeting_id, attendee.agency_id, attendee.role,
        )
    by = meeting["chair_agency_id"]
    event = MeetingHeld(
        meeting_id=meeting_id, kind=kind, held_on=body.held_on,
        attendee_agency_ids=sorted({a.agency_id for a in body.attendees}),
        decisions=[CaseDecision(case_id=d.case_id, decision=d.decision) for d in decisions],
        area_code=meeting["area_code"],
    )
    decided = {d.case_id: d.decision.value for d in decisions}
    per_case = {case_id: {"meeting_id": str(meeting_id), "kind": kind.value, "held_on": body.held_on.isoformat(),
                          "attendee_agency_ids": event.attendee_agency_ids, "decision": decided.get(case_id)}
                for case_id in case_ids}
    await emit(conn, event, agency_id=by, cases=case_ids, data_for=per_case)
    for d in decisions:
        await _apply(conn, decision=d, case=locked[d.case_id], meeting_id=meeting_id, body=body,
                     by_agency_id=by, actor=principal.subject, rules=rules)


async def _apply(conn: asyncpg.Connection, *, decision: Decision, case: asyncpg.Record, meeting_id: UUID,
                 body: MeetingHeldIn, by_agency_id: str, actor: str, rules: CoordinationRules) -> None:
    try:
        if decision.decision is MeetingDecision.approve_plan:
            assert decision.plan_id is not None
            plan = await plan_store.by_id(conn, decision.plan_id)
            await plans.approve(conn, case=case, plan=plan, meeting_id=meeting_id, held_on=body.held_on,
                                by_agency_id=by_agency_id, actor=actor, rules=rules)
        elif decision.decision is MeetingDecision.return_plan:
            assert decision.plan_id is not None and decision.reason_code is not None
            plan = await plan_store.by_id(conn, decision.plan_id)
            await plans.return_plan(conn, case=case, plan=plan, meeting_id=meeting_id,
                                    reason_code=decision.reason_code, by_agency_id=by_agency_id, actor=actor)
        elif decision.decision is MeetingDecision.end_case:
            assert decision.outcome_code is not None
            await cases.change_status(conn, case=case, to_status=CaseStatus.ended, reason_code="meeting_decision",
                                      by_agency_id=by_agency_id, actor=actor, outcome_code=decision.outcome_code,
                                      ended_on=body.held_on, meeting_id=meeting_id)
    except (TransitionRefused, PlanRefused) as exc:
        raise Conflict(str(exc), slug=exc.slug, case_id=str(case["id"])) from None
    await conn.execute(
        """UPDATE meeting_agenda SET decision = $3, plan_id = $4, reason_code = $5, outcome_code = $6
            WHERE meeting_id = $1 AND case_id = $2""",
        meeting_id, case["id"], decision.decision.value, decision.plan_id, decision.reason_code,
        decision.outcome_code,
    )


async def add_member(conn: asyncpg.Connection, access: MeetingAccess, agency_id: str,
                     rules: CoordinationRules) -> None:
    """Add a member agency. A 重層的支援会議 shares its cases only with consent (the
    confidentiality of Art. 106-6 is the 支援会議's), so every case already on its agenda is
    checked again with the new member; one not covered refuses the addition (409, rolled back)."""
    meeting_id = access.meeting["id"]
    await store.add_member(conn, meeting_id, agency_id, "member")
    if access.kind is MeetingKind.jusou_shien_kaigi:
        for row in await store.agenda(conn, meeting_id):
            case = await conn.fetchrow("SELECT * FROM cases WHERE id = $1", row["case_id"])
            if not await consent_covers_members(conn, case, meeting_id, rules):
                raise consent_required(row["case_id"])
