"""Case team rows and their history."""

from __future__ import annotations

from uuid import UUID

import asyncpg


async def members(conn: asyncpg.Connection, case_id: UUID) -> list[asyncpg.Record]:
    """Everyone ever on or invited to the case team, in the order they came."""
    return await conn.fetch(
        "SELECT agency_id, role, state, since FROM case_team WHERE case_id = $1 ORDER BY since, agency_id",
        case_id,
    )


async def member(conn: asyncpg.Connection, case_id: UUID, agency_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT agency_id, role, state FROM case_team WHERE case_id = $1 AND agency_id = $2",
        case_id, agency_id,
    )


async def lead(conn: asyncpg.Connection, case_id: UUID) -> str | None:
    """The active lead agency, if any."""
    return await conn.fetchval(
        "SELECT agency_id FROM case_team WHERE case_id = $1 AND role = 'lead' AND state = 'active'", case_id,
    )


async def put(
    conn: asyncpg.Connection, *, case_id: UUID, agency_id: str, role: str, state: str,
    invited_by: str | None = None,
) -> None:
    """Set an agency's role and state on the team (a left or declined agency may come back)."""
    await conn.execute(
        """INSERT INTO case_team (case_id, agency_id, role, state, invited_by_agency_id)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (case_id, agency_id) DO UPDATE
              SET role = EXCLUDED.role, state = EXCLUDED.state,
                  invited_by_agency_id = COALESCE(EXCLUDED.invited_by_agency_id, case_team.invited_by_agency_id),
                  since = clock_timestamp()""",
        case_id, agency_id, role, state, invited_by,
    )


async def set_role(conn: asyncpg.Connection, *, case_id: UUID, agency_id: str, role: str) -> None:
    await conn.execute(
        "UPDATE case_team SET role = $3 WHERE case_id = $1 AND agency_id = $2", case_id, agency_id, role,
    )


async def history(
    conn: asyncpg.Connection, *, case_id: UUID, agency_id: str, action: str, role: str | None,
    by_agency_id: str, actor: str,
) -> None:
    """Record who did what to the team, and when."""
    await conn.execute(
        """INSERT INTO team_history (case_id, agency_id, action, role, by_agency_id, actor)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        case_id, agency_id, action, role, by_agency_id, actor,
    )


async def history_of(conn: asyncpg.Connection, case_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT agency_id, action, role, by_agency_id, at FROM team_history WHERE case_id = $1 ORDER BY id",
        case_id,
    )
