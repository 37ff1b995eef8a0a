"""Coordination's case team facts: an agency joining a household's case team may read
that household (members per their consent, docs/intake.md "Access"); leaving the team or
the case ending ends it, the case reopening gives it back.

Written so a redelivered or repeated fact changes nothing: the membership row is keyed by
(case, agency) and only the newest fact by event time moves it.
"""

from __future__ import annotations

import asyncpg
from kasane_shared.contracts.codes import CaseStatus
from kasane_shared.contracts.coordination import CaseStatusChanged, TeamMemberJoined, TeamMemberLeft
from kasane_shared.events.consumer import EventContext


async def team_member_joined(conn: asyncpg.Connection, event: TeamMemberJoined, ctx: EventContext) -> None:
    household_id = event.household_id or await conn.fetchval(
        "SELECT household_id FROM cases WHERE case_id = $1", event.case_id)
    await conn.execute(
        """INSERT INTO case_team (case_id, agency_id, household_id, role, joined_at, last_event_id)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (case_id, agency_id) DO UPDATE
              SET household_id = coalesce(EXCLUDED.household_id, case_team.household_id), role = EXCLUDED.role,
                  joined_at = EXCLUDED.joined_at, left_at = NULL, last_event_id = EXCLUDED.last_event_id
            WHERE case_team.joined_at <= EXCLUDED.joined_at
              AND (case_team.left_at IS NULL OR case_team.left_at <= EXCLUDED.joined_at)""",
        event.case_id, event.agency_id, household_id, event.role.value, ctx.time, ctx.id,
    )


async def team_member_left(conn: asyncpg.Connection, event: TeamMemberLeft, ctx: EventContext) -> None:
    await conn.execute(
        """UPDATE case_team SET left_at = $3, last_event_id = $4
            WHERE case_id = $1 AND agency_id = $2 AND joined_at <= $3 AND left_at IS NULL""",
        event.case_id, event.agency_id, ctx.time, ctx.id,
    )


async def case_reopened(conn: asyncpg.Connection, event: CaseStatusChanged, ctx: EventContext) -> None:
    """A case reopened from ended (終結からの再開) gives its team's access back (the
    ``open_case_team`` view counts only cases not ended); other moves change nothing here."""
    if event.from_status is CaseStatus.ended and event.to_status is not CaseStatus.ended:
        await conn.execute("UPDATE cases SET ended_on = NULL WHERE case_id = $1", event.case_id)
