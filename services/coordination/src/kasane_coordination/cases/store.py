"""Case rows and their status history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg


async def insert(conn: asyncpg.Connection, *, values: dict[str, Any]) -> bool:
    """Insert a case; False when its referral opened one already (a referral opens one case)."""
    columns = ", ".join(values)
    params = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    return bool(await conn.fetchval(
        f"INSERT INTO cases ({columns}) VALUES ({params}) ON CONFLICT (referral_id) DO NOTHING RETURNING true",
        *values.values(),
    ))


async def set_status(
    conn: asyncpg.Connection, *, case_id: UUID, status: str, ended_on: date | None, outcome_code: str | None,
) -> None:
    await conn.execute(
        """UPDATE cases SET status = $2, status_changed_at = clock_timestamp(), ended_on = $3,
                            outcome_code = $4, version = version + 1
            WHERE id = $1""",
        case_id, status, ended_on, outcome_code,
    )


async def add_transition(
    conn: asyncpg.Connection, *, case_id: UUID, from_status: str | None, to_status: str, reason_code: str,
    note: str | None, by_agency_id: str, actor: str, meeting_id: UUID | None = None,
    at: datetime | None = None,
) -> None:
    """Record who moved the case, when and why."""
    await conn.execute(
        """INSERT INTO case_transitions (case_id, from_status, to_status, reason_code, note, by_agency_id,
                                         actor, meeting_id, at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, COALESCE($9, clock_timestamp()))""",
        case_id, from_status, to_status, reason_code, note, by_agency_id, actor, meeting_id, at,
    )


async def transitions(conn: asyncpg.Connection, case_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT from_status, to_status, reason_code, note, by_agency_id, actor, meeting_id, at
             FROM case_transitions WHERE case_id = $1 ORDER BY id""",
        case_id,
    )


async def has_active_plan(conn: asyncpg.Connection, case_id: UUID) -> bool:
    return bool(await conn.fetchval(
        "SELECT true FROM plans WHERE case_id = $1 AND status IN ('approved', 'under_review')", case_id,
    ))


async def visible_to(
    conn: asyncpg.Connection, *, agency_id: str, state: str, status: str | None,
    after: tuple[datetime, UUID] | None, limit: int,
) -> list[asyncpg.Record]:
    """Cases the agency is on (``state`` active) or invited to, newest first."""
    return await conn.fetch(
        """SELECT c.id, c.origin, c.status, c.area_code, c.opened_at, t.role, t.state
             FROM cases c JOIN case_team t ON t.case_id = c.id
            WHERE t.agency_id = $1 AND t.state = $2
              AND ($3::text IS NULL OR c.status = $3)
              AND ($4::timestamptz IS NULL OR (c.opened_at, c.id) < ($4, $5))
            ORDER BY c.opened_at DESC, c.id DESC
            LIMIT $6""",
        agency_id, state, status, after[0] if after else None,
        after[1] if after else UUID(int=0), limit,
    )
