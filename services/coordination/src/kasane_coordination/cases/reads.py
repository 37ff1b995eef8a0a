"""Building what a case read returns (team, active plan, flags; detail as access allows)."""

from __future__ import annotations

from typing import Any

import asyncpg
from kasane_shared.contracts.codes import CaseStatus, TeamRole

from kasane_coordination.access import CaseAccess
from kasane_coordination.cases.models import ActivePlanRef, CaseRead, TeamMemberRead, TimelineEntry
from kasane_coordination.teams import store as team

# payload keys that point at people or households, or say what their troubles are
# (concerns can be 要配慮個人情報): shown with personal detail only
_PERSONAL_KEYS = {"household_id", "person_id", "subject_person_id", "participant_id",
                 "surviving_person_id", "merged_person_id", "restored_person_id",
                 "concern_codes", "unknown_concern_codes", "screening", "patterns", "fields", "needs",
                 "preferences", "required_accommodations", "languages", "age_band", "relationship"}


async def case_read(conn: asyncpg.Connection, access: CaseAccess) -> CaseRead:
    """The case as ``access`` lets the caller see it."""
    case = access.case
    members = await team.members(conn, case["id"])
    plan = await conn.fetchrow(
        """SELECT id, version, status, review_due FROM plans
            WHERE case_id = $1 AND status IN ('approved', 'under_review')""", case["id"],
    )
    flags = await conn.fetch(
        "SELECT DISTINCT code FROM case_flags WHERE case_id = $1 AND cleared_at IS NULL ORDER BY code",
        case["id"],
    )
    shown = access.detail
    return CaseRead(
        id=case["id"], origin=case["origin"], status=CaseStatus(case["status"]), opened_at=case["opened_at"],
        opened_by_agency_id=case["opened_by_agency_id"], status_changed_at=case["status_changed_at"],
        area_code=case["area_code"], referral_id=case["referral_id"], consultation_id=case["consultation_id"],
        referring_agency_id=case["referring_agency_id"], ended_on=case["ended_on"],
        outcome_code=case["outcome_code"], my_role=access.role,
        detail="shown" if shown else "withheld", detail_basis=access.detail_basis,
        consent_in_force=access.consent_in_force,
        household_id=case["household_id"] if shown else None,
        subject_person_id=case["subject_person_id"] if shown else None,
        concern_codes=list(case["concern_codes"]) if shown else None,
        patterns=list(case["patterns"]) if shown else None,
        screening=case["screening"] if shown else None,
        lead_agency_id=next((m["agency_id"] for m in members
                             if m["role"] == TeamRole.lead and m["state"] == "active"), None),
        team=[TeamMemberRead(agency_id=m["agency_id"], role=m["role"], state=m["state"], since=m["since"])
              for m in members if m["state"] in ("active", "invited")],
        active_plan=ActivePlanRef(plan_id=plan["id"], version=plan["version"], status=plan["status"],
                                  review_due=plan["review_due"]) if plan else None,
        flags=[f["code"] for f in flags],
    )


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in _PERSONAL_KEYS}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def timeline_entry(row: asyncpg.Record, *, detail: bool) -> TimelineEntry:
    """A timeline row for the API (``kasane.intake.consultation.received.v1`` → ``intake.consultation.received``)."""
    parts = row["type"].split(".")
    # published and consumed facts carry wire types; steps kept only here have a short type
    short = ".".join(parts[1:-1]) if parts[0] == "kasane" else row["type"]
    return TimelineEntry(seq=row["id"], at=row["occurred_at"], service=short.split(".")[0], type=short,
                         agency_id=row["agency_id"], data=row["data"] if detail else _strip(row["data"]))
