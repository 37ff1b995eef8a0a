"""SQL for placements and follow-ups."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg


async def insert(conn: asyncpg.Connection, *, match_id: UUID, request_id: UUID, opportunity_id: UUID,
                 started_on: date) -> asyncpg.Record:
    return await conn.fetchrow(
        """INSERT INTO placements (id, match_id, request_id, opportunity_id, status, started_on)
           VALUES ($1, $2, $3, $4, 'active', $5) RETURNING *""",
        uuid.uuid4(), match_id, request_id, opportunity_id, started_on)


async def get(conn: asyncpg.Connection, placement_id: UUID, *, lock: bool = False) -> asyncpg.Record | None:
    suffix = " FOR UPDATE" if lock else ""
    return await conn.fetchrow(f"SELECT * FROM placements WHERE id = $1{suffix}", placement_id)


async def update(conn: asyncpg.Connection, placement_id: UUID, values: dict[str, Any]) -> asyncpg.Record:
    sets = [f"{k} = ${i}" for i, k in enumerate(values, start=2)]
    sets += ["version = version + 1", "updated_at = now()"]
    return await conn.fetchrow(
        f"UPDATE placements SET {', '.join(sets)} WHERE id = $1 RETURNING *", placement_id, *values.values())


async def schedule(conn: asyncpg.Connection, placement_id: UUID, dates: list[date]) -> None:
    await conn.executemany(
        "INSERT INTO follow_ups (id, placement_id, due_on) VALUES ($1, $2, $3)",
        [(uuid.uuid4(), placement_id, d) for d in dates])


async def follow_ups(conn: asyncpg.Connection, placement_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT * FROM follow_ups WHERE placement_id = $1
            ORDER BY coalesce(due_on, done_on), created_at, id""", placement_id)


async def open_follow_up(conn: asyncpg.Connection, placement_id: UUID,
                         follow_up_id: UUID | None) -> asyncpg.Record | None:
    """The named follow-up, or the earliest scheduled one not done yet."""
    if follow_up_id is not None:
        return await conn.fetchrow(
            "SELECT * FROM follow_ups WHERE id = $1 AND placement_id = $2 FOR UPDATE", follow_up_id, placement_id)
    return await conn.fetchrow(
        """SELECT * FROM follow_ups WHERE placement_id = $1 AND done_on IS NULL AND due_on IS NOT NULL
            ORDER BY due_on, id LIMIT 1 FOR UPDATE""", placement_id)


async def complete(conn: asyncpg.Connection, follow_up_id: UUID | None, placement_id: UUID, *,
                   done_on: date, status_code: str, note: str | None, recorded_by: str) -> asyncpg.Record:
    """Record a follow-up: complete a scheduled one, or add an unscheduled one (id None)."""
    if follow_up_id is None:
        return await conn.fetchrow(
            """INSERT INTO follow_ups (id, placement_id, done_on, status_code, note, recorded_by, recorded_at)
               VALUES ($1, $2, $3, $4, $5, $6, now()) RETURNING *""",
            uuid.uuid4(), placement_id, done_on, status_code, note, recorded_by)
    return await conn.fetchrow(
        """UPDATE follow_ups SET done_on = $2, status_code = $3, note = $4, recorded_by = $5, recorded_at = now()
            WHERE id = $1 RETURNING *""", follow_up_id, done_on, status_code, note, recorded_by)


async def due(conn: asyncpg.Connection, *, before: date, limit: int) -> list[asyncpg.Record]:
    """Scheduled follow-ups not done, due on or before ``before``, of live placements."""
    return await conn.fetch(
        """SELECT f.id AS follow_up_id, f.due_on, p.id AS placement_id, p.request_id, p.opportunity_id,
                  r.owner_agency_id AS request_owner, o.owner_agency_id AS host
             FROM follow_ups f
             JOIN placements p ON p.id = f.placement_id
             JOIN participation_requests r ON r.id = p.request_id
             JOIN opportunities o ON o.id = p.opportunity_id
            WHERE f.done_on IS NULL AND f.due_on <= $1 AND p.status <> 'ended'
            ORDER BY f.due_on, f.id LIMIT $2""", before, limit)


async def page(conn: asyncpg.Connection, *, request_id: UUID | None, opportunity_id: UUID | None,
               status: str | None, limit: int) -> list[asyncpg.Record]:
    where, args = ["true"], []
    for column, value in (("request_id", request_id), ("opportunity_id", opportunity_id), ("status", status)):
        if value is not None:
            args.append(value)
            where.append(f"p.{column} = ${len(args)}")
    args.append(limit)
    return await conn.fetch(
        f"""SELECT p.*, r.owner_agency_id AS request_owner, o.owner_agency_id AS host
              FROM placements p
              JOIN participation_requests r ON r.id = p.request_id
              JOIN opportunities o ON o.id = p.opportunity_id
             WHERE {' AND '.join(where)} ORDER BY p.created_at, p.id LIMIT ${len(args)}""", *args)
