"""``/v1/outreach``: engagements with people hard to reach, their contacts and stages."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

import asyncpg
from fastapi import APIRouter, Query
from kasane_shared import audit
from kasane_shared.auth.tokens import Principal
from kasane_shared.contracts.codes import ContactMethod, TeamRole
from kasane_shared.db import Conn
from kasane_shared.http.deps import Profile
from kasane_shared.http.problems import Conflict, Forbidden, InvalidInput, NotFound

from kasane_coordination.access import case_access
from kasane_coordination.cases import service as cases
from kasane_coordination.deps import OutreachReader, OutreachWriter, Rules
from kasane_coordination.outreach import service, store
from kasane_coordination.outreach.models import (
    CaseLink,
    ContactCreate,
    ContactDone,
    ContactRead,
    EngagementCreate,
    EngagementRead,
    EngagementStatusChange,
)
from kasane_coordination.outreach.service import EngagementAccess, engagement_access
from kasane_coordination.outreach.stages import days_without_contact, is_overdue
from kasane_coordination.relationships import Subjects, require_related
from kasane_coordination.rules import CoordinationRules

router = APIRouter(tags=["outreach"])


async def _read(conn: asyncpg.Connection, access: EngagementAccess, rules: CoordinationRules) -> EngagementRead:
    e = access.engagement
    today = rules.today()
    shown = access.detail
    return EngagementRead(
        id=e["id"], case_id=e["case_id"], referral_id=e["referral_id"], consultation_id=e["consultation_id"],
        agency_id=e["agency_id"], requested_by_agency_id=e["requested_by_agency_id"], reason_code=e["reason_code"],
        stage=e["stage"], status=e["status"], started_on=e["started_on"], last_contact_on=e["last_contact_on"],
        days_without_contact=days_without_contact(e["last_contact_on"], e["started_on"], today),
        overdue=is_overdue(status=e["status"], last_contact_on=e["last_contact_on"], started_on=e["started_on"],
                           today=today, days=rules.outreach_overdue_days),
        next_contact_on=e["next_contact_on"], next_contact_method=e["next_contact_method"],
        closed_on=e["closed_on"], close_reason_code=e["close_reason_code"], area_code=e["area_code"],
        age_band=e["age_band"], detail="shown" if shown else "withheld",
        household_id=e["household_id"] if shown else None, person_id=e["person_id"] if shown else None,
        contacts=[ContactRead(id=c["id"], status=c["status"], method=c["method"], planned_on=c["planned_on"],
                              contacted_on=c["contacted_on"], outcome_code=c["outcome_code"],
                              stage_after=c["stage_after"], by_agency_id=c["by_agency_id"],
                              recorded_at=c["recorded_at"], note=c["note"] if shown else None)
                  for c in await store.contacts(conn, e["id"])],
    )


async def _reread(conn: asyncpg.Connection, principal: Principal, engagement_id: UUID,
                  rules: CoordinationRules) -> EngagementRead:
    return await _read(conn, await engagement_access(conn, principal, engagement_id, rules), rules)


async def _writable(conn: asyncpg.Connection, principal: Principal, engagement_id: UUID,
                    rules: CoordinationRules) -> EngagementAccess:
    access = await engagement_access(conn, principal, engagement_id, rules, write=True)
    if not access.can_write:
        raise Forbidden("only the agencies on the outreach or working on its case record it", slug="team-role")
    return access


@router.post("/v1/outreach", status_code=201, response_model=EngagementRead,
             summary="Start outreach carried by your agency (for a case you work on, or on its own)")
async def start(body: EngagementCreate, conn: Conn, principal: OutreachWriter, rules: Rules,
                profile: Profile) -> EngagementRead:
    if body.area_code is not None and profile.area(body.area_code) is None:
        raise InvalidInput("area_code", "not an area of this municipality")
    today = rules.today()
    if body.started_on is not None and body.started_on > today:
        raise InvalidInput("started_on", "must not be in the future")
    household_id, area_code = body.household_id, body.area_code
    case_subjects: tuple[UUID | None, ...] = ()
    if body.case_id is not None:
        case = await case_access(conn, principal, body.case_id, rules, write=True)
        case.require_working("starting outreach for a case")
        household_id = household_id or case.case["household_id"]
        area_code = area_code or case.case["area_code"]
        case_subjects = (case.case["household_id"], case.case["subject_person_id"])
    # an engagement can become a case, whose timeline shows the household's facts: the ids
    # named here (beyond the case's own) need a relationship, as opening a case does
    await require_related(conn, principal.agency_id, Subjects(
        household_id=body.household_id if body.household_id not in case_subjects else None,
        person_id=body.person_id if body.person_id not in case_subjects else None), today)
    engagement_id = await service.start(
        conn, agency_id=principal.agency_id, requested_by=None, reason_code=body.reason_code,
        started_on=body.started_on or today, stage=body.stage, case_id=body.case_id, household_id=household_id,
        person_id=body.person_id, area_code=area_code, age_band=body.age_band,
    )
    assert engagement_id is not None
    await audit.record(conn, principal, "create", "outreach", engagement_id, purpose="outreach")
    return await _reread(conn, principal, engagement_id, rules)


@router.get("/v1/outreach", response_model=list[EngagementRead],
            summary="Engagements your agency carries, asked for, or works on through a case")
async def list_engagements(conn: Conn, principal: OutreachReader, rules: Rules, overdue: bool = False,
                           limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[EngagementRead]:
    rows = await store.visible_to(conn, principal.agency_id, overdue_only=overdue, limit=limit,
                                  today=rules.today(), days=rules.outreach_overdue_days)
    out = [await _reread(conn, principal, r["id"], rules) for r in rows]
    await audit.record(conn, principal, "list", "outreach", [r["id"] for r in rows], purpose="outreach_list")
    return out


@router.get("/v1/outreach/{engagement_id}", response_model=EngagementRead, summary="One engagement")
async def read_engagement(engagement_id: UUID, conn: Conn, principal: OutreachReader, rules: Rules) -> EngagementRead:
    access = await engagement_access(conn, principal, engagement_id, rules)
    await audit.record(conn, principal, "read", "outreach", engagement_id, purpose=access.purpose(),
                       break_glass=access.break_glass is not None)
    return await _read(conn, access, rules)


@router.post("/v1/outreach/{engagement_id}/contacts", status_code=201, response_model=EngagementRead,
             summary="Log a contact made (visit, letter, phone, through a neighbour or 民生委員) or plan one")
async def add_contact(engagement_id: UUID, body: ContactCreate, conn: Conn, principal: OutreachWriter,
                      rules: Rules) -> EngagementRead:
    access = await _writable(conn, principal, engagement_id, rules)
    engagement = access.engagement
    if body.status == "done" and body.contacted_on and body.contacted_on > rules.today():
        raise InvalidInput("contacted_on", "must not be in the future")
    if engagement["status"] == "closed":
        raise Conflict("the engagement is closed; reopen it to log contacts", slug="engagement-closed")
    contact_id = uuid4()
    await store.add_contact(conn, values={
        "id": contact_id, "engagement_id": engagement_id, "status": body.status, "planned_on": body.planned_on,
        "contacted_on": body.contacted_on if body.status == "done" else None, "method": body.method.value,
        "outcome_code": body.outcome_code if body.status == "done" else None,
        "stage_after": (body.stage.value if body.stage else engagement["stage"]) if body.status == "done" else None,
        "note": body.note, "by_agency_id": principal.agency_id, "actor": principal.subject,
    })
    if body.status == "done":
        assert body.contacted_on is not None and body.outcome_code is not None
        await service.contact_made(conn, engagement=engagement, contact_id=contact_id, method=body.method,
                                   contacted_on=body.contacted_on, outcome_code=body.outcome_code, stage=body.stage,
                                   agency_id=principal.agency_id, next_contact_on=body.next_contact_on,
                                   next_contact_method=body.next_contact_method)
    else:
        await store.update(conn, engagement_id, next_contact_on=body.planned_on, next_contact_method=body.method.value)
    await audit.record(conn, principal, "create", "outreach_contact", contact_id, purpose="outreach")
    return await _reread(conn, principal, engagement_id, rules)


@router.post("/v1/outreach/{engagement_id}/contacts/{contact_id}/done", response_model=EngagementRead,
             summary="A planned contact took place")
async def contact_done(engagement_id: UUID, contact_id: UUID, body: ContactDone, conn: Conn,
                       principal: OutreachWriter, rules: Rules) -> EngagementRead:
    access = await _writable(conn, principal, engagement_id, rules)
    contact = await store.contact(conn, engagement_id, contact_id)
    if contact is None:
        raise NotFound("no such contact on this engagement")
    if contact["status"] != "planned":
        raise Conflict("the contact is recorded as made already", slug="contact-done")
    if body.contacted_on > rules.today():
        raise InvalidInput("contacted_on", "must not be in the future")
    engagement = access.engagement
    await conn.execute(
        """UPDATE outreach_contacts SET status = 'done', contacted_on = $2, outcome_code = $3, stage_after = $4,
                  note = COALESCE($5, note) WHERE id = $1""",
        contact_id, body.contacted_on, body.outcome_code, (body.stage or engagement["stage"]), body.note,
    )
    await service.contact_made(conn, engagement=engagement, contact_id=contact_id,
                               method=ContactMethod(contact["method"]),
                               contacted_on=body.contacted_on, outcome_code=body.outcome_code, stage=body.stage,
                               agency_id=principal.agency_id, next_contact_on=body.next_contact_on,
                               next_contact_method=body.next_contact_method)
    await audit.record(conn, principal, "update", "outreach_contact", contact_id, purpose="outreach")
    return await _reread(conn, principal, engagement_id, rules)


@router.post("/v1/outreach/{engagement_id}/status", response_model=EngagementRead,
             summary="Pause, resume or close (continuing without closure is valid)")
async def change_status(engagement_id: UUID, body: EngagementStatusChange, conn: Conn, principal: OutreachWriter,
                        rules: Rules) -> EngagementRead:
    access = await _writable(conn, principal, engagement_id, rules)
    if access.engagement["status"] == body.status:
        raise Conflict(f"the engagement is {body.status} already", slug="same-status")
    closing = body.status == "closed"
    await store.update(conn, engagement_id, status=body.status, closed_on=rules.today() if closing else None,
                       close_reason_code=body.reason_code if closing else None,
                       overdue_notified_on=None)
    await audit.record(conn, principal, "update", "outreach", engagement_id, purpose="outreach")
    return await _reread(conn, principal, engagement_id, rules)


@router.post("/v1/outreach/{engagement_id}/case", response_model=EngagementRead,
             summary="Link the engagement to a case you work on, or open a case from it")
async def link_case(engagement_id: UUID, body: CaseLink, conn: Conn, principal: OutreachWriter,
                    rules: Rules) -> EngagementRead:
    access = await _writable(conn, principal, engagement_id, rules)
    engagement = access.engagement
    if engagement["case_id"] is not None:
        raise Conflict("the engagement belongs to a case already", slug="engagement-linked")
    if body.case_id is not None:
        case = await case_access(conn, principal, body.case_id, rules, write=True)
        case.require_working("linking outreach to a case")
        case_id = body.case_id
    else:
        case_id = uuid4()
        team = [(a, TeamRole.field_supporter) for a in
                (engagement["agency_id"], engagement["requested_by_agency_id"], principal.agency_id,
                 rules.collaboration_desk) if a]
        opened = await cases.open_case(conn, cases.NewCase(
            id=case_id, origin="outreach", opened_by_agency_id=principal.agency_id, actor=principal.subject,
            reason_code="opened_from_outreach", team=team, household_id=engagement["household_id"],
            subject_person_id=engagement["person_id"], consultation_id=engagement["consultation_id"],
            referral_id=engagement["referral_id"],
            referring_agency_id=engagement["requested_by_agency_id"] or engagement["agency_id"],
            area_code=engagement["area_code"],
        ))
        if opened is None:
            raise Conflict("the engagement's referral has a case already; link to it", slug="referral-has-case")
    await store.update(conn, engagement_id, case_id=case_id)
    await audit.record(conn, principal, "update", "outreach", engagement_id, purpose="link_case")
    return await _reread(conn, principal, engagement_id, rules)
