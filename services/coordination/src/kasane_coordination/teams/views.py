"""``/v1/cases/{id}/team``: invitations, acceptance, leaving and handing the lead over."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from kasane_shared.auth.tokens import Principal
from kasane_shared.contracts.codes import TeamRole
from kasane_shared.db import Conn
from kasane_shared.http.deps import Profile
from kasane_shared.http.problems import Conflict, Forbidden, InvalidInput
from kasane_shared.profile import MunicipalityProfile

from kasane_coordination.access import audit_read, audit_write, case_access, not_found
from kasane_coordination.cases.models import TeamMemberRead
from kasane_coordination.deps import CaseReader, CaseWriter, Rules
from kasane_coordination.teams import service, store
from kasane_coordination.teams.membership import TeamRefused
from kasane_coordination.teams.models import InvitationCreate, LeadChange, TeamHistoryRead, TeamRead

router = APIRouter(tags=["case team"])


def _known(profile: MunicipalityProfile, agency_id: str) -> None:
    if profile.agency(agency_id) is None:
        raise InvalidInput("agency_id", "not an agency of this municipality")


async def _team(conn: Conn, case_id: UUID) -> TeamRead:
    members = await store.members(conn, case_id)
    return TeamRead(
        case_id=str(case_id),
        lead_agency_id=await store.lead(conn, case_id),
        members=[TeamMemberRead(agency_id=m["agency_id"], role=m["role"], state=m["state"], since=m["since"])
                 for m in members],
        history=[TeamHistoryRead(**dict(h)) for h in await store.history_of(conn, case_id)],
    )


async def _invited_case(conn: Conn, principal: Principal, case_id: UUID):
    """The case row (locked) for an agency invited to it; 404 otherwise."""
    case = await conn.fetchrow("SELECT * FROM cases WHERE id = $1 FOR UPDATE", case_id)
    member = await store.member(conn, case_id, principal.agency_id) if case else None
    if case is None or member is None or member["state"] not in ("invited", "active"):
        raise not_found()
    return case


def _refused(exc: TeamRefused) -> Conflict:
    return Conflict(str(exc), slug=exc.slug)


@router.get("/v1/cases/{case_id}/team", response_model=TeamRead, summary="The case team and its history")
async def read_team(case_id: UUID, conn: Conn, principal: CaseReader, rules: Rules) -> TeamRead:
    access = await case_access(conn, principal, case_id, rules)
    await audit_read(conn, principal, access, "case_team", [case_id])
    return await _team(conn, case_id)


@router.post("/v1/cases/{case_id}/team/invitations", status_code=201, response_model=TeamRead,
             summary="Invite an agency to the team (as lead only while the case has none)")
async def invite(case_id: UUID, body: InvitationCreate, conn: Conn, principal: CaseWriter, rules: Rules,
                 profile: Profile) -> TeamRead:
    _known(profile, body.agency_id)
    access = await case_access(conn, principal, case_id, rules, write=True)
    access.require_working("inviting an agency")
    try:
        await service.invite(conn, case=access.case, agency_id=body.agency_id, role=body.role,
                             by_agency_id=principal.agency_id, actor=principal.subject)
    except TeamRefused as exc:
        raise _refused(exc) from None
    await audit_write(conn, principal, "invite", "case_team", case_id)
    return await _team(conn, case_id)


@router.post("/v1/cases/{case_id}/team/accept", response_model=TeamRead,
             summary="Your agency accepts its invitation and joins the team")
async def accept(case_id: UUID, conn: Conn, principal: CaseWriter) -> TeamRead:
    case = await _invited_case(conn, principal, case_id)
    try:
        await service.accept(conn, case=case, agency_id=principal.agency_id, actor=principal.subject)
    except TeamRefused as exc:
        raise _refused(exc) from None
    await audit_write(conn, principal, "accept", "case_team", case_id)
    return await _team(conn, case_id)


@router.post("/v1/cases/{case_id}/team/decline", status_code=204,
             summary="Your agency declines its invitation")
async def decline(case_id: UUID, conn: Conn, principal: CaseWriter) -> None:
    case = await _invited_case(conn, principal, case_id)
    try:
        await service.decline(conn, case=case, agency_id=principal.agency_id, actor=principal.subject)
    except TeamRefused as exc:
        raise _refused(exc) from None
    await audit_write(conn, principal, "decline", "case_team", case_id)


@router.post("/v1/cases/{case_id}/team/leave", status_code=204,
             summary="Your agency leaves the team (the lead hands over first)")
async def leave(case_id: UUID, conn: Conn, principal: CaseWriter, rules: Rules) -> None:
    access = await case_access(conn, principal, case_id, rules, write=True)
    assert access.role is not None
    try:
        await service.leave(conn, case=access.case, agency_id=principal.agency_id, role=access.role,
                            actor=principal.subject)
    except TeamRefused as exc:
        raise _refused(exc) from None
    await audit_write(conn, principal, "leave", "case_team", case_id)


@router.post("/v1/cases/{case_id}/team/lead", response_model=TeamRead,
             summary="Hand the lead (主担当) over, or name the first lead")
async def change_lead(case_id: UUID, body: LeadChange, conn: Conn, principal: CaseWriter, rules: Rules,
                      profile: Profile) -> TeamRead:
    _known(profile, body.agency_id)
    access = await case_access(conn, principal, case_id, rules, write=True)
    try:
        await service.change_lead(conn, case=access.case, to_agency_id=body.agency_id,
                                  caller_role=TeamRole(access.role) if access.role else None,
                                  by_agency_id=principal.agency_id, actor=principal.subject)
    except TeamRefused as exc:
        if exc.slug in ("lead-only", "team-role"):
            raise Forbidden(str(exc), slug=exc.slug) from None
        raise _refused(exc) from None
    await audit_write(conn, principal, "change_lead", "case_team", case_id)
    return await _team(conn, case_id)
