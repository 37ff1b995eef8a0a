"""Timeline rows: one per fact, from consumed events and from the events coordination publishes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg


async def add(
    conn: asyncpg.Connection, *, source: str, event_id: str, type_: str, data: Mapping[str, Any],
    occurred_at: datetime | None = None, case_id: UUID | None = None, household_id: UUID | None = None,
    consultation_id: UUID | None = None, request_id: UUID | None = None, engagement_id: UUID | None = None,
    agency_id: str | None = None,
) -> bool:
    """Record one fact (once per event and case); False when it was there already."""
    return bool(await conn.fetchval(
        """INSERT INTO timeline (case_id, household_id, consultation_id, request_id, engagement_id,
                                 occurred_at, source, event_id, type, agency_id, data)
           VALUES ($1, $2, $3, $4, $5, COALESCE($6, clock_timestamp()), $7, $8, $9, $10, $11)
           ON CONFLICT DO NOTHING RETURNING true""",
        case_id, household_id, consultation_id, request_id, engagement_id, occurred_at, source,
        event_id, type_, agency_id, dict(data),
    ))


async def for_case(
    conn: asyncpg.Connection, case: asyncpg.Record, *, after: tuple[datetime, int] | None, limit: int,
) -> list[asyncpg.Record]:
    """The case's own facts, its household's and consultation's facts from intake, and the facts of
    its outreach engagements and participation requests, oldest first."""
    return await conn.fetch(
        """SELECT id, occurred_at, source, event_id, type, agency_id, data, case_id
             FROM timeline t
            WHERE (t.case_id = $1
                   OR (t.case_id IS NULL AND (
                        ($2::uuid IS NOT NULL AND t.household_id = $2)
                     OR ($3::uuid IS NOT NULL AND t.consultation_id = $3)
                     OR t.request_id IN (SELECT id FROM participation_requests WHERE case_id = $1)
                     OR t.engagement_id IN (SELECT id FROM outreach_engagements WHERE case_id = $1))))
              AND ($4::timestamptz IS NULL OR (t.occurred_at, t.id) > ($4, $5))
            ORDER BY t.occurred_at, t.id
            LIMIT $6""",
        case["id"], case["household_id"], case["consultation_id"],
        after[0] if after else None, after[1] if after else 0, limit,
    )


async def last_activity(conn: asyncpg.Connection, case: asyncpg.Record) -> datetime | None:
    """When anything last happened to the case (what the no-contact flag measures)."""
    return await conn.fetchval(
        """SELECT max(occurred_at) FROM timeline t
            WHERE t.case_id = $1
               OR (t.case_id IS NULL AND (
                    ($2::uuid IS NOT NULL AND t.household_id = $2)
                 OR t.request_id IN (SELECT id FROM participation_requests WHERE case_id = $1)
                 OR t.engagement_id IN (SELECT id FROM outreach_engagements WHERE case_id = $1)))""",
        case["id"], case["household_id"],
    )
