"""Plan versions, their actions and history."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import asyncpg


async def versions(conn: asyncpg.Connection, case_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM plans WHERE case_id = $1 ORDER BY version", case_id)


async def get(conn: asyncpg.Connection, case_id: UUID, plan_id: UUID, *, lock: bool = False) -> asyncpg.Record | None:
    suffix = " FOR UPDATE" if lock else ""
    return await conn.fetchrow(f"SELECT * FROM plans WHERE id = $1 AND case_id = $2{suffix}", plan_id, case_id)


async def by_id(conn: asyncpg.Connection, plan_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM plans WHERE id = $1 FOR UPDATE", plan_id)


async def active(conn: asyncpg.Connection, case_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM plans WHERE case_id = $1 AND status IN ('approved', 'under_review') FOR UPDATE", case_id,
    )


async def insert(conn: asyncpg.Connection, *, values: dict[str, Any]) -> None:
    columns = ", ".join(values)
    params = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    await conn.execute(f"INSERT INTO plans ({columns}) VALUES ({params})", *values.values())


async def insert_action(conn: asyncpg.Connection, *, values: dict[str, Any]) -> None:
    columns = ", ".join(values)
    params = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    await conn.execute(f"INSERT INTO plan_actions ({columns}) VALUES ({params})", *values.values())


async def actions(conn: asyncpg.Connection, plan_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM plan_actions WHERE plan_id = $1 ORDER BY position", plan_id)


async def action(conn: asyncpg.Connection, plan_id: UUID, action_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM plan_actions WHERE plan_id = $1 AND id = $2", plan_id, action_id)


async def set_status(conn: asyncpg.Connection, plan_id: UUID, status: str, **columns: Any) -> None:
    """Move a version's status (its content never changes) and set the decision's columns."""
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(columns, start=3))
    extra = f", {sets}" if sets else ""
    await conn.execute(f"UPDATE plans SET status = $2{extra} WHERE id = $1", plan_id, status, *columns.values())


async def set_action_status(conn: asyncpg.Connection, action_id: UUID, status: str) -> None:
    await conn.execute("UPDATE plan_actions SET status = $2, updated_at = clock_timestamp() WHERE id = $1",
                       action_id, status)


async def add_history(
    conn: asyncpg.Connection, *, plan_id: UUID, from_status: str | None, to_status: str, by_agency_id: str,
    actor: str, reason_code: str | None = None, meeting_id: UUID | None = None, action_id: UUID | None = None,
) -> None:
    await conn.execute(
        """INSERT INTO plan_history (plan_id, action_id, from_status, to_status, reason_code, meeting_id,
                                     by_agency_id, actor)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        plan_id, action_id, from_status, to_status, reason_code, meeting_id, by_agency_id, actor,
    )


async def history(conn: asyncpg.Connection, plan_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT action_id, from_status, to_status, reason_code, meeting_id, by_agency_id, at
             FROM plan_history WHERE plan_id = $1 ORDER BY id""",
        plan_id,
    )


async def due_for_review(conn: asyncpg.Connection, today: date) -> list[asyncpg.Record]:
    """Approved versions past their review date, not yet reported, on open cases."""
    return await conn.fetch(
        """SELECT p.id, p.case_id FROM plans p JOIN cases c ON c.id = p.case_id
            WHERE p.status = 'approved' AND p.review_due < $1 AND NOT p.overdue_notified
              AND c.status <> 'ended'
            ORDER BY p.case_id""",
        today,
    )
