"""SQL for participation requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from kasane_participation.matching.store import haversine_sql


async def insert(conn: asyncpg.Connection, values: dict[str, Any]) -> asyncpg.Record | None:
    """The new request, or None when one with this id exists already (a repeated fact)."""
    cols = list(values)
    marks = ", ".join(f"${i}" for i in range(1, len(cols) + 1))
    return await conn.fetchrow(
        f"INSERT INTO participation_requests ({', '.join(cols)}) VALUES ({marks})"
        " ON CONFLICT (id) DO NOTHING RETURNING *", *values.values())


async def get(conn: asyncpg.Connection, request_id: UUID, *, lock: bool = False) -> asyncpg.Record | None:
    suffix = " FOR UPDATE" if lock else ""
    return await conn.fetchrow(f"SELECT * FROM participation_requests WHERE id = $1{suffix}", request_id)


async def update(conn: asyncpg.Connection, request_id: UUID, values: dict[str, Any]) -> asyncpg.Record:
    sets = [f"{k} = ${i}" for i, k in enumerate(values, start=2)]
    sets += ["version = version + 1", "updated_at = now()"]
    return await conn.fetchrow(
        f"UPDATE participation_requests SET {', '.join(sets)} WHERE id = $1 RETURNING *",
        request_id, *values.values())


async def page(conn: asyncpg.Connection, *, owner: str | None, status: str | None,
               after: tuple[datetime, UUID] | None, limit: int) -> list[asyncpg.Record]:
    """Requests oldest first; ``owner`` limits them to one agency's (None: all)."""
    where, args = ["true"], []
    if owner is not None:
        args.append(owner)
        where.append(f"owner_agency_id = ${len(args)}")
    if status is not None:
        args.append(status)
        where.append(f"status = ${len(args)}")
    if after is not None:
        args += [after[0], after[1]]
        where.append(f"(created_at, id) > (${len(args) - 1}, ${len(args)})")
    args.append(limit)
    return await conn.fetch(
        f"SELECT * FROM participation_requests WHERE {' AND '.join(where)}"
        f" ORDER BY created_at, id LIMIT ${len(args)}", *args)


async def waiting_within_reach(conn: asyncpg.Connection, opportunity_id: UUID) -> list[asyncpg.Record]:
    """Waiting requests that might take this opportunity (kind allowed, within travel),
    oldest first, locked. Matching then decides each one with every constraint."""
    haversine = haversine_sql("r.lat", "r.lon")
    return await conn.fetch(
        f"""SELECT r.* FROM participation_requests r, opportunities o
             WHERE o.id = $1 AND r.status = 'waiting' AND o.kind = ANY(r.allowed_kinds)
               AND {haversine} <= r.travel_km
             ORDER BY r.created_at, r.id
               FOR UPDATE OF r""",
        opportunity_id,
    )
