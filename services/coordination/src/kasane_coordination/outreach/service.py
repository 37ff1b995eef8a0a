"""Outreach engagements: who may see them, starting one, logging contacts, reporting silence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid4

import asyncpg
from kasane_shared.access import break_glass_reason
from kasane_shared.auth.tokens import Principal
from kasane_shared.contracts.codes import ContactMethod, RelationshipStage, TeamRole
from kasane_shared.contracts.coordination import OutreachContactLogged, OutreachOverdue, OutreachStarted
from kasane_shared.http.problems import NotFound

from kasane_coordination.access import case_access
from kasane_coordination.events import emit
from kasane_coordination.outreach import store
from kasane_coordination.outreach.stages import days_without_contact, later, stage_after
from kasane_coordination.rules import CoordinationRules

RESOURCE = "outreach"  # break-glass resource type


@dataclass(frozen=True)
class EngagementAccess:
    engagement: asyncpg.Record
    direct: bool  # the agency carries the outreach or asked for it
    case_working: bool  # the agency works on the engagement's case
    detail: bool
    break_glass: str | None

    @property
    def can_write(self) -> bool:
        return self.direct or self.case_working

    def purpose(self) -> str:
        return self.break_glass or "outreach"


def not_found() -> NotFound:
    return NotFound("no outreach engagement with this id is visible to your agency")


async def engagement_access(conn: asyncpg.Connection, principal: Principal, engagement_id: UUID,
                            rules: CoordinationRules, *, write: bool = False) -> EngagementAccess:
    """404 unless the caller carries or asked for the outreach, works on its case, or (reading)
    holds a break-glass grant. ``write`` locks the engagement row."""
    engagement = await store.get(conn, engagement_id, lock=write)
    if engagement is None:
        raise not_found()
    direct = await store.is_on(conn, engagement_id, principal.agency_id)
    case_working, case_detail = False, False
    if engagement["case_id"] is not None:
        role = await conn.fetchval(
            "SELECT role FROM case_team WHERE case_id = $1 AND agency_id = $2 AND state = 'active'",
            engagement["case_id"], principal.agency_id,
        )
        if role in (TeamRole.lead, TeamRole.field_supporter):
            case_working = True
            case_detail = (await case_access(conn, principal, engagement["case_id"], rules)).detail
    glass = None
    if not (direct or case_working):
        glass = None if write else await break_glass_reason(conn, principal, RESOURCE, engagement_id)
        if glass is None:
            raise not_found()
    return EngagementAccess(engagement=engagement, direct=direct, case_working=case_working,
                            detail=direct or case_detail or glass is not None, break_glass=glass)


async def start(
    conn: asyncpg.Connection, *, agency_id: str, requested_by: str | None, reason_code: str, started_on: date,
    stage: RelationshipStage = RelationshipStage.not_reached, case_id: UUID | None = None,
    referral_id: UUID | None = None, consultation_id: UUID | None = None, household_id: UUID | None = None,
    person_id: UUID | None = None, area_code: str | None = None, age_band: str | None = None,
) -> UUID | None:
    """Start an engagement carried by ``agency_id``; None when its referral started one already."""
    engagement_id = uuid4()
    inserted = await store.insert(conn, values={
        "id": engagement_id, "case_id": case_id, "referral_id": referral_id, "consultation_id": consultation_id,
        "household_id": household_id, "person_id": person_id, "area_code": area_code, "age_band": age_band,
        "agency_id": agency_id, "requested_by_agency_id": requested_by, "reason_code": reason_code,
        "stage": stage.value, "status": "active", "started_on": started_on,
    })
    if not inserted:
        return None
    for agency in {agency_id, requested_by} - {None}:
        await store.add_agency(conn, engagement_id, agency)  # type: ignore[arg-type]
    await conn.fetchrow("SELECT id FROM outreach_engagements WHERE id = $1 FOR UPDATE", engagement_id)
    await emit(conn, OutreachStarted(engagement_id=engagement_id, case_id=case_id, referral_id=referral_id,
                                     agency_id=agency_id, area_code=area_code),
               agency_id=agency_id, cases=[case_id] if case_id else [], engagement_id=engagement_id,
               household_id=household_id)
    return engagement_id


async def contact_made(
    conn: asyncpg.Connection, *, engagement: asyncpg.Record, contact_id: UUID, method: ContactMethod,
    contacted_on: date, outcome_code: str, stage: RelationshipStage | None, agency_id: str,
    next_contact_on: date | None, next_contact_method: ContactMethod | None,
) -> None:
    """A contact took place (the engagement row is locked): stage, clock and next contact move on."""
    new_stage = stage_after(RelationshipStage(engagement["stage"]), stage)
    last = later(engagement["last_contact_on"], contacted_on)
    changes: dict[str, object] = {"stage": new_stage.value, "last_contact_on": last}
    if last != engagement["last_contact_on"]:
        changes["overdue_notified_on"] = None  # the silence is broken; the next one is reported again
    if next_contact_on is not None:
        changes["next_contact_on"] = next_contact_on
        changes["next_contact_method"] = next_contact_method.value if next_contact_method else None
    await store.update(conn, engagement["id"], **changes)
    case_id = engagement["case_id"]
    await emit(conn, OutreachContactLogged(
        engagement_id=engagement["id"], case_id=case_id, contact_id=contact_id, method=method.value,
        outcome_code=outcome_code, stage=new_stage, contacted_on=contacted_on, area_code=engagement["area_code"],
    ), agency_id=agency_id, cases=[case_id] if case_id else [], engagement_id=engagement["id"])


async def report_silence(conn: asyncpg.Connection, engagement_id: UUID, rules: CoordinationRules) -> bool:
    """Emit OutreachOverdue for a silent engagement, once per silence; True when emitted."""
    engagement = await store.get(conn, engagement_id, lock=True)
    today = rules.today()
    if engagement is None or engagement["status"] != "active" or engagement["overdue_notified_on"] is not None:
        return False
    silent_days = days_without_contact(engagement["last_contact_on"], engagement["started_on"], today)
    if silent_days < rules.outreach_overdue_days:
        return False
    await store.update(conn, engagement_id, overdue_notified_on=today)
    case_id = engagement["case_id"]
    await emit(conn, OutreachOverdue(engagement_id=engagement_id, case_id=case_id,
                                     last_contact_on=engagement["last_contact_on"], days_without_contact=silent_days),
               agency_id=None, cases=[case_id] if case_id else [], engagement_id=engagement_id)
    return True
