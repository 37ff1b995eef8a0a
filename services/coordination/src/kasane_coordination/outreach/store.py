"""Outreach engagements, the agencies on them, and their contacts."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import asyncpg


async def insert(conn: asyncpg.Connection, *, values: dict[str, Any]) -> bool:
    """Insert an engagement; False when its referral started one already."""
    columns = ", ".join(values)
    params = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    return bool(await conn.fetchval(
        f"INSERT INTO outreach_engagements ({columns}) VALUES ({params}) "
        "ON CONFLICT (referral_id) DO NOTHING RETURNING true",
        *values.values(),
    ))


async def add_agency(conn: asyncpg.Connection, engagement_id: UUID, agency_id: str) -> None:
    await conn.execute(
        "INSERT INTO outreach_agencies (engagement_id, agency_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        engagement_id, agency_id,
    )


async def get(conn: asyncpg.Connection, engagement_id: UUID, *, lock: bool = False) -> asyncpg.Record | None:
    suffix = " FOR UPDATE" if lock else ""
    return await conn.fetchrow(f"SELECT * FROM outreach_engagements WHERE id = $1{suffix}", engagement_id)


async def is_on(conn: asyncpg.Connection, engagement_id: UUID, agency_id: str) -> bool:
    return bool(await conn.fetchval(
        "SELECT true FROM outreach_agencies WHERE engagement_id = $1 AND agency_id = $2", engagement_id, agency_id,
    ))


async def update(conn: asyncpg.Connection, engagement_id: UUID, **columns: Any) -> None:
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(columns, start=2))
    await conn.execute(f"UPDATE outreach_engagements SET {sets} WHERE id = $1", engagement_id, *columns.values())


async def add_contact(conn: asyncpg.Connection, *, values: dict[str, Any]) -> None:
    columns = ", ".join(values)
    params = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    await conn.execute(f"INSERT INTO outreach_contacts ({columns}) VALUES ({params})", *values.values())


async def contact(conn: asyncpg.Connection, engagement_id: UUID, contact_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM outreach_contacts WHERE engagement_id = $1 AND id = $2 FOR UPDATE", engagement_id, contact_id,
    )


async def contacts(conn: asyncpg.Connection, engagement_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT * FROM outreach_contacts WHERE engagement_id = $1
            ORDER BY COALESCE(contacted_on, planned_on), recorded_at""",
        engagement_id,
    )


async def visible_to(conn: asyncpg.Connection, agency_id: str, *, overdue_only: bool, limit: int,
                     today: date, days: int) -> list[asyncpg.Record]:
    """Engagements the agency carries or asked for, or that belong to a case it works on."""
    return await conn.fetch(
        """SELECT e.* FROM outreach_engagements e
            WHERE (EXISTS (SELECT 1 FROM outreach_agencies a WHERE a.engagement_id = e.id AND a.agency_id = $1)
                   OR EXISTS (SELECT 1 FROM case_team t WHERE t.case_id = e.case_id AND t.agency_id = $1
                                 AND t.state = 'active' AND t.role IN ('lead', 'field_supporter')))
              AND (NOT $2 OR (e.status = 'active' AND COALESCE(e.last_contact_on, e.started_on) <= $4::date - $5::int))
            ORDER BY e.opened_at DESC, e.id
            LIMIT $3""",
        agency_id, overdue_only, limit, today, days,
    )


async def silent(conn: asyncpg.Connection, today: date, days: int) -> list[UUID]:
    """Active engagements silent for ``days`` whose silence has not been reported yet."""
    rows = await conn.fetch(
        """SELECT id FROM outreach_engagements
            WHERE status = 'active' AND overdue_notified_on IS NULL
              AND COALESCE(last_contact_on, started_on) <= $1::date - $2::int
            ORDER BY id""",
        today, days,
    )
    return [r["id"] for r in rows]
