"""SQL for consultations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from kasane_intake.authz import OPEN_TO_HANDLER


async def insert(
    conn: asyncpg.Connection, *, consultation_id: uuid.UUID, agency_id: str, external_id: str | None,
    received_at: datetime, channel: str, consulted_by: str, summary: str | None, concern_codes: list[str],
    unknown_concern_codes: list[str], via: str, age_band: str | None,
) -> uuid.UUID | None:
    """Insert a consultation; None when (agency, external id) was already taken."""
    return await conn.fetchval(
        """INSERT INTO consultations (id, agency_id, external_id, received_at, channel, consulted_by,
                                      anonymous, summary, concern_codes, unknown_concern_codes, via, age_band)
           VALUES ($1, $2, $3, $4, $5, $6, $6 = 'anonymous', $7, $8, $9, $10, $11)
           ON CONFLICT (agency_id, external_id) DO NOTHING RETURNING id""",
        consultation_id, agency_id, external_id, received_at, channel, consulted_by, summary,
        concern_codes, unknown_concern_codes, via, age_band,
    )


async def by_external_id(conn: asyncpg.Connection, agency_id: str, external_id: str) -> uuid.UUID:
    return await conn.fetchval(
        "SELECT id FROM consultations WHERE agency_id = $1 AND external_id = $2", agency_id, external_id)


async def get(conn: asyncpg.Connection, consultation_id: uuid.UUID, *, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT * FROM consultations WHERE id = $1{' FOR UPDATE' if lock else ''}", consultation_id)


async def members(conn: asyncpg.Connection, consultation_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT person_id, is_subject, concern_codes, withdrawn_years, no_outside_contact
             FROM consultation_members WHERE consultation_id = $1 ORDER BY is_subject DESC, person_id""",
        consultation_id,
    )


@dataclass(frozen=True)
class ListFilter:
    agency_id: str | None = None
    received_from: datetime | None = None
    received_before: datetime | None = None
    concern: str | None = None
    status: str | None = None
    area_codes: list[str] | None = None
    after: tuple[datetime, uuid.UUID] | None = None


async def worklist(
    conn: asyncpg.Connection, *, viewer_agency: str, where: ListFilter, limit: int,
) -> list[asyncpg.Record]:
    """The desk's list: consultations it received or answers a referral of, newest first,
    with the latest screening's recommendation and patterns."""
    after_time, after_id = where.after or (None, None)
    return await conn.fetch(
        """SELECT c.*, s.recommendation, coalesce(s.patterns, '{}') AS patterns
             FROM consultations c
             LEFT JOIN LATERAL (SELECT recommendation, patterns FROM screenings
                                 WHERE consultation_id = c.id ORDER BY screened_at DESC LIMIT 1) s ON true
            WHERE (c.agency_id = $1 OR EXISTS (
                     SELECT 1 FROM referrals r WHERE r.consultation_id = c.id AND r.handler_agency_id = $1
                        AND r.status = ANY($2)))
              AND ($3::text IS NULL OR c.agency_id = $3)
              AND ($4::timestamptz IS NULL OR c.received_at >= $4)
              AND ($5::timestamptz IS NULL OR c.received_at < $5)
              AND ($6::text IS NULL OR $6 = ANY(c.concern_codes) OR $6 = ANY(c.unknown_concern_codes))
              AND ($7::text IS NULL OR c.status = $7)
              AND ($8::text[] IS NULL OR c.area_code = ANY($8))
              AND ($9::timestamptz IS NULL OR (c.received_at, c.id) < ($9, $10::uuid))
            ORDER BY c.received_at DESC, c.id DESC
            LIMIT $11""",
        viewer_agency, OPEN_TO_HANDLER, where.agency_id, where.received_from, where.received_before,
        where.concern, where.status, where.area_codes, after_time, after_id, limit,
    )


async def for_household(conn: asyncpg.Connection, household_id: uuid.UUID) -> list[asyncpg.Record]:
    """Every consultation on the household or about one of its members, newest first."""
    return await conn.fetch(
        """SELECT DISTINCT c.* FROM consultations c
            WHERE c.household_id = $1
               OR c.id IN (SELECT cm.consultation_id FROM consultation_members cm
                            JOIN household_members hm ON hm.person_id = cm.person_id
                           WHERE hm.household_id = $1)
            ORDER BY c.received_at DESC""",
        household_id,
    )
