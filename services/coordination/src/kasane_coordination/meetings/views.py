"""``/v1/meetings``: 重層的支援会議 and 支援会議 records, members, confidentiality, agenda, material."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Query
from kasane_shared import audit
from kasane_shared.auth.tokens import Principal
from kasane_shared.contracts.codes import MeetingKind
from kasane_shared.db import Conn
from kasane_shared.http.deps import Profile
from kasane_shared.http.problems import Conflict, InvalidInput

from kasane_coordination.access import case_access
from kasane_coordination.deps import MeetingReader, MeetingWriter, Rules
from kasane_coordination.meetings import service, store
from kasane_coordination.meetings.agenda import MeetingAccess, meeting_access, put_on_agenda
from kasane_coordination.meetings.decisions import MaterialAccess
from kasane_coordination.meetings.models import (
    AcknowledgementRead,
    AgendaAdd,
    AgendaItemRead,
    MaterialCreate,
    MaterialRead,
    MeetingCreate,
    MeetingHeldIn,
    MeetingRead,
    MeetingSummary,
    MemberAdd,
    MemberRead,
    ProposedPlanRead,
)

router = APIRouter(tags=["meetings"])

MATERIAL = "meeting_material"  # audit resource type of anything said or shown at a meeting


async def _read(conn: Conn, principal: Principal, access: MeetingAccess) -> MeetingRead:
    meeting = access.meeting
    open_ = access.material is MaterialAccess.allowed
    agenda = None
    if open_:
        plans = await store.proposed_plans(conn, meeting["id"])
        agenda = [AgendaItemRead(
            case_id=a["case_id"], added_by_agency_id=a["added_by_agency_id"], decision=a["decision"],
            plan_id=a["plan_id"], reason_code=a["reason_code"], outcome_code=a["outcome_code"],
            proposed_plans=[ProposedPlanRead(plan_id=p["id"], version=p["version"], status=p["status"])
                            for p in plans if p["case_id"] == a["case_id"]],
        ) for a in await store.agenda(conn, meeting["id"])]
        await audit.record(conn, principal, "read", MATERIAL, meeting["id"], purpose=meeting["kind"])
    await audit.record(conn, principal, "read", "meeting", meeting["id"], purpose=meeting["kind"])
    return MeetingRead(
        id=meeting["id"], kind=meeting["kind"], status=meeting["status"], scheduled_on=meeting["scheduled_on"],
        held_on=meeting["held_on"], area_code=meeting["area_code"], chair_agency_id=meeting["chair_agency_id"],
        my_role=access.role or "", confidential=access.kind is MeetingKind.shien_kaigi,
        acknowledged=access.acknowledged,
        members=[MemberRead(**dict(m)) for m in await store.members(conn, meeting["id"])],
        acknowledgements=[AcknowledgementRead(**dict(a)) for a in await store.acknowledgements(conn, meeting["id"])]
        if open_ else None,
        agenda=agenda, minutes=meeting["minutes"] if open_ else None,
    )


@router.post("/v1/meetings", status_code=201, response_model=MeetingRead,
             summary="Schedule a meeting your agency chairs")
async def create_meeting(body: MeetingCreate, conn: Conn, principal: MeetingWriter, profile: Profile) -> MeetingRead:
    if body.area_code is not None and profile.area(body.area_code) is None:
        raise InvalidInput("area_code", "not an area of this municipality")
    for i, agency_id in enumerate(body.member_agency_ids):
        if profile.agency(agency_id) is None:
            raise InvalidInput(f"member_agency_ids.{i}", "not an agency of this municipality")
    meeting_id = uuid4()
    await store.insert(conn, meeting_id=meeting_id, kind=body.kind.value, scheduled_on=body.scheduled_on,
                       area_code=body.area_code, chair=principal.agency_id)
    await store.add_member(conn, meeting_id, principal.agency_id, "chair")
    for agency_id in body.member_agency_ids:
        await store.add_member(conn, meeting_id, agency_id, "member")
    await audit.record(conn, principal, "create", "meeting", meeting_id, purpose=body.kind.value)
    return await _read(conn, principal, await meeting_access(conn, principal, meeting_id))


@router.get("/v1/meetings", response_model=list[MeetingSummary], summary="Meetings your agency is a member of")
async def list_meetings(conn: Conn, principal: MeetingReader,
                        limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[MeetingSummary]:
    rows = await store.for_agency(conn, principal.agency_id, limit)
    await audit.record(conn, principal, "list", "meeting", [r["id"] for r in rows], purpose="meeting_list")
    return [MeetingSummary(id=r["id"], kind=r["kind"], status=r["status"], scheduled_on=r["scheduled_on"],
                           held_on=r["held_on"], chair_agency_id=r["chair_agency_id"], my_role=r["role"])
            for r in rows]


@router.get("/v1/meetings/{meeting_id}", response_model=MeetingRead,
            summary="A meeting (members only; a 支援会議's agenda and minutes after acknowledging confidentiality)")
async def read_meeting(meeting_id: UUID, conn: Conn, principal: MeetingReader) -> MeetingRead:
    return await _read(conn, principal, await meeting_access(conn, principal, meeting_id))


@router.post("/v1/meetings/{meeting_id}/members", response_model=MeetingRead,
             summary="Add a member agency (the chair, before the meeting is held)")
async def add_member(meeting_id: UUID, body: MemberAdd, conn: Conn, principal: MeetingWriter,
                     profile: Profile, rules: Rules) -> MeetingRead:
    if profile.agency(body.agency_id) is None:
        raise InvalidInput("agency_id", "not an agency of this municipality")
    access = await meeting_access(conn, principal, meeting_id, lock=True)
    access.require_chair()
    access.require_scheduled()
    await service.add_member(conn, access, body.agency_id, rules)
    await audit.record(conn, principal, "update", "meeting", meeting_id, purpose="add_member")
    return await _read(conn, principal, await meeting_access(conn, principal, meeting_id))


@router.post("/v1/meetings/{meeting_id}/acknowledgements", response_model=MeetingRead,
             summary="Acknowledge the 支援会議's confidentiality duty (守秘義務, Art. 106-6) as yourself")
async def acknowledge(meeting_id: UUID, conn: Conn, principal: MeetingReader) -> MeetingRead:
    access = await meeting_access(conn, principal, meeting_id, lock=True)
    if access.kind is not MeetingKind.shien_kaigi:
        raise Conflict("only a 支援会議 asks its members to acknowledge confidentiality", slug="meeting-kind")
    await store.acknowledge(conn, meeting_id, principal.agency_id, principal.subject)
    await audit.record(conn, principal, "acknowledge", "meeting", meeting_id, purpose="confidentiality_duty")
    return await _read(conn, principal, await meeting_access(conn, principal, meeting_id))


@router.post("/v1/meetings/{meeting_id}/agenda", response_model=MeetingRead,
             summary="Put a case your agency works on before the meeting (a 重層的支援会議 needs consent)")
async def add_to_agenda(meeting_id: UUID, body: AgendaAdd, conn: Conn, principal: MeetingWriter,
                        rules: Rules) -> MeetingRead:
    # the meeting row first, then the case: the order holding a meeting locks them in
    await meeting_access(conn, principal, meeting_id, lock=True)
    case = await case_access(conn, principal, body.case_id, rules, write=True)
    case.require_working("putting a case before a meeting")
    await put_on_agenda(conn, principal, meeting_id, body.case_id, rules)
    await audit.record(conn, principal, "update", "meeting", meeting_id, purpose="agenda")
    return await _read(conn, principal, await meeting_access(conn, principal, meeting_id))


@router.post("/v1/meetings/{meeting_id}/materials", status_code=201, response_model=MaterialRead,
             summary="Share material with the meeting's members (it never leaves this service)")
async def add_material(meeting_id: UUID, body: MaterialCreate, conn: Conn, principal: MeetingWriter) -> MaterialRead:
    access = await meeting_access(conn, principal, meeting_id, lock=True)
    access.require_material()
    if body.case_id is not None and body.case_id not in {a["case_id"] for a in await store.agenda(conn, meeting_id)}:
        raise InvalidInput("case_id", "the case is not on this meeting's agenda")
    material_id = uuid4()
    await store.add_material(conn, material_id=material_id, meeting_id=meeting_id, case_id=body.case_id,
                             content=body.content, agency_id=principal.agency_id, actor=principal.subject)
    await audit.record(conn, principal, "create", MATERIAL, material_id, purpose=access.kind.value)
    row = next(m for m in await store.materials(conn, meeting_id) if m["id"] == material_id)
    return MaterialRead(**dict(row))


@router.get("/v1/meetings/{meeting_id}/materials", response_model=list[MaterialRead],
            summary="The meeting's material (members; at a 支援会議, after acknowledging confidentiality)")
async def list_materials(meeting_id: UUID, conn: Conn, principal: MeetingReader) -> list[MaterialRead]:
    access = await meeting_access(conn, principal, meeting_id)
    access.require_material()
    rows = await store.materials(conn, meeting_id)
    await audit.record(conn, principal, "read", MATERIAL, [r["id"] for r in rows] or [meeting_id],
                       purpose=access.kind.value)
    return [MaterialRead(**dict(r)) for r in rows]


@router.post("/v1/meetings/{meeting_id}/held", response_model=MeetingRead,
             summary="Record the meeting as held: attendees, a decision per case, minutes (the chair)")
async def hold(meeting_id: UUID, body: MeetingHeldIn, conn: Conn, principal: MeetingWriter,
               rules: Rules) -> MeetingRead:
    access = await meeting_access(conn, principal, meeting_id, lock=True)
    access.require_chair()
    access.require_material()
    access.require_scheduled()
    await service.hold(conn, principal=principal, access=access, body=body, rules=rules)
    await audit.record(conn, principal, "update", "meeting", meeting_id, purpose="held")
    return await _read(conn, principal, await meeting_access(conn, principal, meeting_id))
