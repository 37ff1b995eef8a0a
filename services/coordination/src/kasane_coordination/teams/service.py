"""Team changes with their history and events (TeamMemberJoined/Left, LeadChanged)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
from kasane_shared.contracts.codes import TeamRole
from kasane_shared.contracts.coordination import LeadChanged, TeamMemberJoined, TeamMemberLeft

from kasane_coordination.events import emit
from kasane_coordination.teams import store
from kasane_coordination.teams.membership import (
    TeamRefused,
    check_accept,
    check_invite,
    check_lead_change,
    check_leave,
)


async def join(
    conn: asyncpg.Connection, *, case: asyncpg.Record, agency_id: str, role: TeamRole, by_agency_id: str,
    actor: str, action: str = "joined", occurred_at: datetime | None = None,
) -> None:
    """Put an agency on the team now (the case row is locked); a lead joining names the lead."""
    await store.put(conn, case_id=case["id"], agency_id=agency_id, role=role.value, state="active")
    await store.history(conn, case_id=case["id"], agency_id=agency_id, action=action, role=role.value,
                        by_agency_id=by_agency_id, actor=actor)
    await emit(conn, TeamMemberJoined(case_id=case["id"], agency_id=agency_id, role=role,
                                      household_id=case["household_id"]),
               agency_id=by_agency_id, cases=[case["id"]], occurred_at=occurred_at)
    if role is TeamRole.lead:
        await emit(conn, LeadChanged(case_id=case["id"], from_agency_id=None, to_agency_id=agency_id),
                   agency_id=by_agency_id, cases=[case["id"]], occurred_at=occurred_at)


async def invite(
    conn: asyncpg.Connection, *, case: asyncpg.Record, agency_id: str, role: TeamRole, by_agency_id: str,
    actor: str,
) -> None:
    """Invite an agency; it joins when it accepts."""
    current = await store.member(conn, case["id"], agency_id)
    check_invite(current_state=current["state"] if current else None, role=role,
                 case_has_lead=await store.lead(conn, case["id"]) is not None)
    await store.put(conn, case_id=case["id"], agency_id=agency_id, role=role.value, state="invited",
                    invited_by=by_agency_id)
    await store.history(conn, case_id=case["id"], agency_id=agency_id, action="invited", role=role.value,
                        by_agency_id=by_agency_id, actor=actor)


async def accept(conn: asyncpg.Connection, *, case: asyncpg.Record, agency_id: str, actor: str) -> TeamRole:
    """The invited agency accepts and joins in the role it was invited to."""
    current = await store.member(conn, case["id"], agency_id)
    role = TeamRole(current["role"]) if current else TeamRole.field_supporter
    check_accept(current_state=current["state"] if current else None, role=role,
                 case_has_lead=await store.lead(conn, case["id"]) is not None)
    await join(conn, case=case, agency_id=agency_id, role=role, by_agency_id=agency_id, actor=actor,
               action="accepted")
    return role


async def decline(conn: asyncpg.Connection, *, case: asyncpg.Record, agency_id: str, actor: str) -> None:
    """The invited agency declines (recorded; it may be invited again)."""
    current = await store.member(conn, case["id"], agency_id)
    if current is None or current["state"] != "invited":
        raise TeamRefused("no-invitation", "the agency has no pending invitation to this case")
    await store.put(conn, case_id=case["id"], agency_id=agency_id, role=current["role"], state="declined")
    await store.history(conn, case_id=case["id"], agency_id=agency_id, action="declined", role=current["role"],
                        by_agency_id=agency_id, actor=actor)


async def leave(conn: asyncpg.Connection, *, case: asyncpg.Record, agency_id: str, role: TeamRole,
                actor: str) -> None:
    """An agency leaves the team (the lead hands over first)."""
    check_leave(role=role)
    await store.put(conn, case_id=case["id"], agency_id=agency_id, role=role.value, state="left")
    await store.history(conn, case_id=case["id"], agency_id=agency_id, action="left", role=role.value,
                        by_agency_id=agency_id, actor=actor)
    await emit(conn, TeamMemberLeft(case_id=case["id"], agency_id=agency_id, household_id=case["household_id"]),
               agency_id=agency_id, cases=[case["id"]])


async def change_lead(
    conn: asyncpg.Connection, *, case: asyncpg.Record, to_agency_id: str, caller_role: TeamRole | None,
    by_agency_id: str, actor: str,
) -> str | None:
    """Hand the lead over (or name the first lead); the former lead stays as a field supporter.
    Returns the former lead."""
    case_id: UUID = case["id"]
    current = await store.lead(conn, case_id)
    target = await store.member(conn, case_id, to_agency_id)
    check_lead_change(caller_role=caller_role, current_lead=current, target=to_agency_id,
                      target_state=target["state"] if target else None)
    if current is not None:
        await store.set_role(conn, case_id=case_id, agency_id=current, role=TeamRole.field_supporter.value)
        await store.history(conn, case_id=case_id, agency_id=current, action="lead_handed_over",
                            role=TeamRole.field_supporter.value, by_agency_id=by_agency_id, actor=actor)
    await store.set_role(conn, case_id=case_id, agency_id=to_agency_id, role=TeamRole.lead.value)
    await store.history(conn, case_id=case_id, agency_id=to_agency_id, action="lead_taken",
                        role=TeamRole.lead.value, by_agency_id=by_agency_id, actor=actor)
    await emit(conn, LeadChanged(case_id=case_id, from_agency_id=current, to_agency_id=to_agency_id),
               agency_id=by_agency_id, cases=[case_id])
    return current
