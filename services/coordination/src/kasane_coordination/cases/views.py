"""``/v1/cases``: open, list, read, move through the status machine, transitions and timeline."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

import asyncpg
from fastapi import APIRouter, Query
from kasane_shared import audit
from kasane_shared.contracts.codes import CaseStatus, TeamRole
from kasane_shared.db import Conn
from kasane_shared.http.deps import Profile
from kasane_shared.http.idempotency import Idempotency
from kasane_shared.http.pagination import Page, encode_cursor
from kasane_shared.http.problems import Conflict, Forbidden, InvalidInput

from kasane_coordination import paging
from kasane_coordination.access import audit_read, audit_write, case_access
from kasane_coordination.cases import service, store
from kasane_coordination.cases.models import (
    CaseCreate,
    CaseRead,
    CaseSummary,
    StatusChange,
    TimelineEntry,
    TransitionRead,
)
from kasane_coordination.cases.reads import case_read, timeline_entry
from kasane_coordination.cases.statuses import TransitionRefused, may_change_status
from kasane_coordination.deps import CaseReader, CaseWriter, Rules
from kasane_coordination.meetings import agenda as meetings
from kasane_coordination.meetings import store as meeting_store
from kasane_coordination.relationships import Subjects, require_related
from kasane_coordination.teams import store as team
from kasane_coordination.timeline import store as timeline

router = APIRouter(tags=["cases"])

Limit = Annotated[int, Query(ge=1, le=200)]


@router.post("/v1/cases", status_code=201, response_model=CaseRead,
             summary="Open a case by hand, or as taken up directly by a meeting")
async def open_case(body: CaseCreate, conn: Conn, principal: CaseWriter, rules: Rules, profile: Profile,
                    idem: Idempotency):
    async def still_visible(stored: dict[str, Any]) -> None:
        # a replay is a read of the case: the caller may have left its team since
        access = await case_access(conn, principal, UUID(stored["id"]), rules)
        await audit_read(conn, principal, access, "case", [access.case_id])

    if (replay := await idem.replay(conn, body, recheck=still_visible)) is not None:
        return replay
    if body.area_code is not None and profile.area(body.area_code) is None:
        raise InvalidInput("area_code", "not an area of this municipality")
    case_id = uuid4()
    if body.meeting_id is not None:
        await meetings.check_may_take_up(conn, principal, body.meeting_id)
    # the case's timeline shows its household's and consultation's facts to the whole team
    await require_related(conn, principal.agency_id, Subjects(
        household_id=body.household_id, person_id=body.person_id, consultation_id=body.consultation_id),
        rules.today())
    await service.open_case(conn, service.NewCase(
        id=case_id, origin="meeting" if body.meeting_id else "direct", opened_by_agency_id=principal.agency_id,
        actor=principal.subject, reason_code=body.reason_code,
        team=[(principal.agency_id, TeamRole.field_supporter), (rules.collaboration_desk, TeamRole.field_supporter)],
        household_id=body.household_id, subject_person_id=body.person_id, consultation_id=body.consultation_id,
        referring_agency_id=principal.agency_id, area_code=body.area_code, concern_codes=body.concern_codes,
    ))
    if body.meeting_id is not None:
        await meetings.put_on_agenda(conn, principal, body.meeting_id, case_id, rules)
    await audit_write(conn, principal, "create", "case", case_id)
    read = await case_read(conn, await case_access(conn, principal, case_id, rules))
    return await idem.respond(conn, 201, read)


@router.get("/v1/cases", response_model=Page[CaseSummary], summary="Cases your agency is on (or invited to)")
async def list_cases(conn: Conn, principal: CaseReader, membership: Literal["active", "invited"] = "active",
                     status: CaseStatus | None = None, limit: Limit = 50, cursor: str | None = None):
    rows = await store.visible_to(conn, agency_id=principal.agency_id, state=membership,
                                  status=status.value if status else None, after=paging.after(cursor, UUID),
                                  limit=limit + 1)
    page = rows[:limit]
    await audit.record(conn, principal, "list", "case", [r["id"] for r in page], purpose="case_list")
    return Page[CaseSummary](
        items=[CaseSummary(id=r["id"], origin=r["origin"], status=r["status"], area_code=r["area_code"],
                           opened_at=r["opened_at"], role=r["role"], membership=r["state"]) for r in page],
        next_cursor=encode_cursor(page[-1]["opened_at"].isoformat(), page[-1]["id"]) if len(rows) > limit else None,
    )


@router.get("/v1/cases/{case_id}", response_model=CaseRead, summary="A case your agency is on")
async def read_case(case_id: UUID, conn: Conn, principal: CaseReader, rules: Rules) -> CaseRead:
    access = await case_access(conn, principal, case_id, rules)
    await audit_read(conn, principal, access, "case", [case_id])
    return await case_read(conn, access)


@router.post("/v1/cases/{case_id}/status", response_model=CaseRead,
             summary="Move the case (409 problem+json for a move the status machine does not allow)")
async def change_status(case_id: UUID, body: StatusChange, conn: Conn, principal: CaseWriter,
                        rules: Rules) -> CaseRead:
    access = await case_access(conn, principal, case_id, rules, write=True)
    has_lead = await team.lead(conn, case_id) is not None
    if not may_change_status(access.role, body.to, case_has_lead=has_lead):
        raise Forbidden("moving the case needs a working member; ending it needs the lead", slug="team-role")
    today = rules.today()
    if body.to is CaseStatus.ended:
        if body.outcome_code is None:
            raise InvalidInput("outcome_code", "required when ending a case")
        if body.ended_on is not None and body.ended_on > today:
            raise InvalidInput("ended_on", "must not be in the future")
    try:
        await service.change_status(
            conn, case=access.case, to_status=body.to, reason_code=body.reason_code,
            by_agency_id=principal.agency_id, actor=principal.subject, note=body.note,
            outcome_code=body.outcome_code, ended_on=body.ended_on or today,
        )
    except TransitionRefused as exc:
        raise Conflict(str(exc), slug=exc.slug, from_status=access.case["status"], to_status=body.to.value) from None
    await audit_write(conn, principal, "update", "case", case_id)
    return await case_read(conn, await case_access(conn, principal, case_id, rules))


@router.get("/v1/cases/{case_id}/transitions", response_model=list[TransitionRead],
            summary="Every status change: who, when and why")
async def list_transitions(case_id: UUID, conn: Conn, principal: CaseReader, rules: Rules) -> list[TransitionRead]:
    access = await case_access(conn, principal, case_id, rules)
    await audit_read(conn, principal, access, "case_transitions", [case_id])
    return [TransitionRead(from_status=r["from_status"], to_status=r["to_status"], reason_code=r["reason_code"],
                           by_agency_id=r["by_agency_id"], meeting_id=r["meeting_id"], at=r["at"],
                           note=r["note"] if access.detail else None)
            for r in await store.transitions(conn, case_id)]


@router.get("/v1/cases/{case_id}/timeline", response_model=Page[TimelineEntry],
            summary="Everything that happened to the case across the services, in order")
async def read_timeline(case_id: UUID, conn: Conn, principal: CaseReader, rules: Rules,
                        limit: Limit = 200, cursor: str | None = None):
    access = await case_access(conn, principal, case_id, rules)
    rows = await timeline.for_case(conn, access.case, after=paging.after(cursor, paging.bigint), limit=limit + 1)
    page = rows[:limit]
    await audit_read(conn, principal, access, "case_timeline", [case_id])
    # a 支援会議's entries (on the agenda, held: kind, attendees, decision) are for the
    # members who acknowledged its confidentiality, not for the rest of the team
    hidden = await meeting_store.confidential_to(
        conn, sorted({m for r in page if (m := _meeting_of(r)) is not None}), principal.agency_id, principal.subject)
    return Page[TimelineEntry](
        items=[timeline_entry(r, detail=access.detail) for r in page if _meeting_of(r) not in hidden],
        next_cursor=encode_cursor(page[-1]["occurred_at"].isoformat(), page[-1]["id"]) if len(rows) > limit else None,
    )



def _meeting_of(row: asyncpg.Record) -> UUID | None:
    """The meeting a timeline entry is about, if any."""
    value = (row["data"] or {}).get("meeting_id")
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None
