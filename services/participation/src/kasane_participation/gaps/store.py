"""SQL for gap needs."""

from __future__ import annotations

import uuid
from uuid import UUID

import asyncpg


async def insert(conn: asyncpg.Connection, *, request_id: UUID, area_code: str, need_codes: list[str],
                 wanted_kinds: list[str], accommodations: list[str], languages: list[str]) -> asyncpg.Record | None:
    """The new gap need, or None when the request already has an open one."""
    return await conn.fetchrow(
        """INSERT INTO gap_needs (id, request_id, area_code, need_codes, wanted_kinds, accommodations, languages)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (request_id) WHERE resolved_at IS NULL DO NOTHING
           RETURNING *""",
        uuid.uuid4(), request_id, area_code, need_codes, wanted_kinds, accommodations, languages,
    )


async def resolve(conn: asyncpg.Connection, *, request_id: UUID, resolution: str,
                  opportunity_id: UUID | None = None) -> None:
    await conn.execute(
        """UPDATE gap_needs SET resolved_at = now(), resolution = $2, resolved_by_opportunity_id = $3
            WHERE request_id = $1 AND resolved_at IS NULL""",
        request_id, resolution, opportunity_id,
    )


async def summary(conn: asyncpg.Connection, *, areas: set[str] | None) -> list[asyncpg.Record]:
    """Counts by area and need: recorded, still waiting, and matched later."""
    return await conn.fetch(
        """SELECT g.area_code, need,
                  count(*) AS recorded,
                  count(*) FILTER (WHERE g.resolved_at IS NULL) AS waiting,
                  count(*) FILTER (WHERE g.resolution = 'matched') AS matched,
                  min(g.recorded_at) FILTER (WHERE g.resolved_at IS NULL) AS waiting_since
             FROM gap_needs g, unnest(g.need_codes) AS need
            WHERE $1::text[] IS NULL OR g.area_code = ANY($1::text[])
            GROUP BY g.area_code, need
            ORDER BY g.area_code, need""",
        sorted(areas) if areas is not None else None,
    )
