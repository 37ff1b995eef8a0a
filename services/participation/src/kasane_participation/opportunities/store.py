"""SQL for opportunities."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

FIELDS = ("kind", "title", "area_code", "lat", "lon", "located_by", "capacity", "status", "schedule",
          "flexible_hours", "hours", "accommodations", "languages", "activities", "for_ages",
          "development_id", "organisation_id")


async def insert(conn: asyncpg.Connection, *, id: UUID, owner_agency_id: str | None,
                 source_place_id: UUID | None, values: dict[str, Any]) -> asyncpg.Record:
    cols = ["id", "owner_agency_id", "source_place_id", *values]
    args = [id, owner_agency_id, source_place_id, *values.values()]
    marks = ", ".join(f"${i}" for i in range(1, len(cols) + 1))
    return await conn.fetchrow(
        f"INSERT INTO opportunities ({', '.join(cols)}) VALUES ({marks}) RETURNING *", *args)


async def update(conn: asyncpg.Connection, opportunity_id: UUID, values: dict[str, Any]) -> asyncpg.Record:
    """Write ``values`` and bump the version (the row must be locked by the caller)."""
    sets = [f"{k} = ${i}" for i, k in enumerate(values, start=2)]
    sets += ["version = version + 1", "updated_at = now()"]
    return await conn.fetchrow(
        f"UPDATE opportunities SET {', '.join(sets)} WHERE id = $1 RETURNING *",
        opportunity_id, *values.values())


async def get(conn: asyncpg.Connection, opportunity_id: UUID, *, lock: bool = False) -> asyncpg.Record | None:
    suffix = " FOR UPDATE" if lock else ""
    return await conn.fetchrow(f"SELECT * FROM opportunities WHERE id = $1{suffix}", opportunity_id)


async def by_place(conn: asyncpg.Connection, place_id: UUID, *, lock: bool = True) -> asyncpg.Record | None:
    suffix = " FOR UPDATE" if lock else ""
    return await conn.fetchrow(f"SELECT * FROM opportunities WHERE source_place_id = $1{suffix}", place_id)


async def mark_published(conn: asyncpg.Connection, opportunity_id: UUID) -> None:
    await conn.execute("UPDATE opportunities SET published = true WHERE id = $1", opportunity_id)


async def take_seat(conn: asyncpg.Connection, opportunity_id: UUID) -> asyncpg.Record | None:
    """Take one place, atomically: None when the opportunity is not open or has none left.

    Two transactions racing for the last place both reach this row; the second waits for
    the first's row lock, then PostgreSQL re-checks the WHERE against the committed row
    and updates nothing. The CHECK constraint on the table is the last line of defence.
    """
    return await conn.fetchrow(
        """UPDATE opportunities
              SET seats_taken = seats_taken + 1,
                  status = CASE WHEN seats_taken + 1 >= capacity THEN 'full' ELSE status END,
                  version = version + 1, updated_at = now()
            WHERE id = $1 AND status = 'open' AND seats_taken < capacity
        RETURNING *""",
        opportunity_id,
    )


async def free_seat(conn: asyncpg.Connection, opportunity_id: UUID) -> asyncpg.Record:
    """Give one place back; a full opportunity opens again."""
    return await conn.fetchrow(
        """UPDATE opportunities
              SET seats_taken = greatest(seats_taken - 1, 0),
                  status = CASE WHEN status = 'full' THEN 'open' ELSE status END,
                  version = version + 1, updated_at = now()
            WHERE id = $1
        RETURNING *""",
        opportunity_id,
    )


async def page(conn: asyncpg.Connection, *, agency_id: str, area_code: str | None, kind: str | None,
               status: str | None, mine: bool, after: tuple[datetime, UUID] | None,
               limit: int) -> list[asyncpg.Record]:
    """Opportunities the agency may see (drafts only its own), oldest first."""
    where = ["(o.status <> 'draft' OR o.owner_agency_id = $1)"]
    args: list[Any] = [agency_id]
    for column, value in (("area_code", area_code), ("kind", kind), ("status", status)):
        if value is not None:
            args.append(value)
            where.append(f"o.{column} = ${len(args)}")
    if mine:
        where.append("o.owner_agency_id = $1")
    if after is not None:
        args += [after[0], after[1]]
        where.append(f"(o.created_at, o.id) > (${len(args) - 1}, ${len(args)})")
    args.append(limit)
    return await conn.fetch(
        f"SELECT * FROM opportunities o WHERE {' AND '.join(where)}"
        f" ORDER BY o.created_at, o.id LIMIT ${len(args)}", *args)
