"""Opening cases and moving them through the status machine, with history and events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg
from kasane_shared.contracts.codes import CaseStatus, TeamRole
from kasane_shared.contracts.coordination import CaseEnded, CaseOpened, CaseStatusChanged

from kasane_coordination.cases import store
from kasane_coordination.cases.statuses import check_transition
from kasane_coordination.events import emit
from kasane_coordination.teams import service as team


@dataclass(frozen=True)
class NewCase:
    """What a case opens with (from a referral, a meeting, an engagement or by hand)."""

    id: UUID
    origin: str  # referral | meeting | outreach | direct
    opened_by_agency_id: str
    actor: str
    reason_code: str
    team: Sequence[tuple[str, TeamRole]]
    household_id: UUID | None = None
    subject_person_id: UUID | None = None
    consultation_id: UUID | None = None
    referral_id: UUID | None = None
    referring_agency_id: str | None = None
    area_code: str | None = None
    concern_codes: Sequence[str] = ()
    patterns: Sequence[str] = ()
    screening: dict[str, Any] | None = None
    opened_at: datetime | None = None


async def open_case(conn: asyncpg.Connection, new: NewCase) -> asyncpg.Record | None:
    """Open the case as ``referred`` with its first team; None when its referral opened one already."""
    opened_at = new.opened_at or await conn.fetchval("SELECT clock_timestamp()")
    inserted = await store.insert(conn, values={
        "id": new.id, "origin": new.origin, "status": CaseStatus.referred.value,
        "household_id": new.household_id, "subject_person_id": new.subject_person_id,
        "consultation_id": new.consultation_id, "referral_id": new.referral_id,
        "referring_agency_id": new.referring_agency_id, "area_code": new.area_code,
        "concern_codes": list(new.concern_codes), "patterns": list(new.patterns), "screening": new.screening,
        "opened_at": opened_at, "opened_by_agency_id": new.opened_by_agency_id, "status_changed_at": opened_at,
    })
    if not inserted:
        return None
    case = await conn.fetchrow("SELECT * FROM cases WHERE id = $1 FOR UPDATE", new.id)
    await store.add_transition(conn, case_id=new.id, from_status=None, to_status=CaseStatus.referred.value,
                               reason_code=new.reason_code, note=None, by_agency_id=new.opened_by_agency_id,
                               actor=new.actor, at=opened_at)
    await emit(conn, CaseOpened(
        case_id=new.id, origin=new.origin, household_id=new.household_id, consultation_id=new.consultation_id,
        referral_id=new.referral_id, area_code=new.area_code, concern_codes=list(new.concern_codes),
        patterns=list(new.patterns),
    ), agency_id=new.opened_by_agency_id, cases=[new.id], household_id=new.household_id, occurred_at=opened_at)
    seen: set[str] = set()
    for agency_id, role in new.team:
        if agency_id in seen:
            continue
        seen.add(agency_id)
        await team.join(conn, case=case, agency_id=agency_id, role=role, by_agency_id=new.opened_by_agency_id,
                        actor=new.actor, occurred_at=opened_at)
    return case


async def change_status(
    conn: asyncpg.Connection, *, case: asyncpg.Record, to_status: CaseStatus, reason_code: str,
    by_agency_id: str, actor: str, note: str | None = None, outcome_code: str | None = None,
    ended_on: date | None = None, meeting_id: UUID | None = None,
) -> None:
    """Move a locked case; raises ``TransitionRefused`` for an illegal move."""
    from_status = CaseStatus(case["status"])
    check_transition(from_status, to_status, has_active_plan=await store.has_active_plan(conn, case["id"]))
    ending = to_status is CaseStatus.ended
    await store.set_status(conn, case_id=case["id"], status=to_status.value,
                           ended_on=ended_on if ending else None, outcome_code=outcome_code if ending else None)
    await store.add_transition(conn, case_id=case["id"], from_status=from_status.value, to_status=to_status.value,
                               reason_code=reason_code, note=note, by_agency_id=by_agency_id, actor=actor,
                               meeting_id=meeting_id)
    await emit(conn, CaseStatusChanged(case_id=case["id"], from_status=from_status, to_status=to_status,
                                       reason_code=reason_code, by_agency_id=by_agency_id),
               agency_id=by_agency_id, cases=[case["id"]])
    if ending:
        assert outcome_code is not None and ended_on is not None
        await emit(conn, CaseEnded(case_id=case["id"], outcome_code=outcome_code, ended_on=ended_on,
                                   area_code=case["area_code"]),
                   agency_id=by_agency_id, cases=[case["id"]])
