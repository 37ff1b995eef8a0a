"""Meeting rows: members, acknowledgements, agenda, material."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import asyncpg


async def get(conn: asyncpg.Connection, meeting_id: UUID, *, lock: bool = False) -> asyncpg.Record | None:
    suffix = " FOR UPDATE" if lock else ""
    return await conn.fetchrow(f"SELECT * FROM meetings WHERE id = $1{suffix}", meeting_id)


async def insert(conn: asyncpg.Connection, *, meeting_id: UUID, kind: str, scheduled_on: date,
                 area_code: str | None, chair: str) -> None:
    await conn.execute(
        """INSERT INTO meetings (id, kind, status, scheduled_on, area_code, chair_agency_id)
           VALUES ($1, $2, 'scheduled', $3, $4, $5)""",
        meeting_id, kind, scheduled_on, area_code, chair,
    )


async def add_member(conn: asyncpg.Connection, meeting_id: UUID, agency_id: str, role: str) -> None:
    await conn.execute(
        """INSERT INTO meeting_members (meeting_id, agency_id, role) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING""",
        meeting_id, agency_id, role,
    )


async def members(conn: asyncpg.Connection, meeting_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT agency_id, role, attended_role FROM meeting_members WHERE meeting_id = $1 ORDER BY added_at, agency_id",
        meeting_id,
    )


async def member_role(conn: asyncpg.Connection, meeting_id: UUID, agency_id: str) -> str | None:
    return await conn.fetchval(
        "SELECT role FROM meeting_members WHERE meeting_id = $1 AND agency_id = $2", meeting_id, agency_id,
    )


async def acknowledged(conn: asyncpg.Connection, meeting_id: UUID, agency_id: str, actor: str) -> bool:
    return bool(await conn.fetchval(
        "SELECT true FROM meeting_acknowledgements WHERE meeting_id = $1 AND agency_id = $2 AND actor = $3",
        meeting_id, agency_id, actor,
    ))


async def acknowledge(conn: asyncpg.Connection, meeting_id: UUID, agency_id: str, actor: str) -> None:
    await conn.execute(
        """INSERT INTO meeting_acknowledgements (meeting_id, agency_id, actor) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING""",
        meeting_id, agency_id, actor,
    )


async def acknowledgements(conn: asyncpg.Connection, meeting_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT agency_id, actor, acknowledged_at FROM meeting_acknowledgements
            WHERE meeting_id = $1 ORDER BY acknowledged_at""",
        meeting_id,
    )


async def agenda(conn: asyncpg.Connection, meeting_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT case_id, added_by_agency_id, added_at, decision, plan_id, reason_code, outcome_code
             FROM meeting_agenda WHERE meeting_id = $1 ORDER BY added_at, case_id""",
        meeting_id,
    )


async def add_to_agenda(conn: asyncpg.Connection, meeting_id: UUID, case_id: UUID, agency_id: str) -> bool:
    return bool(await conn.fetchval(
        """INSERT INTO meeting_agenda (meeting_id, case_id, added_by_agency_id) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING RETURNING true""",
        meeting_id, case_id, agency_id,
    ))


async def proposed_plans(conn: asyncpg.Connection, meeting_id: UUID) -> list[asyncpg.Record]:
    """Plan versions proposed to the meeting and not yet decided."""
    return await conn.fetch(
        """SELECT id, case_id, version, status FROM plans
            WHERE proposed_meeting_id = $1 ORDER BY case_id, version""",
        meeting_id,
    )


async def add_material(conn: asyncpg.Connection, *, material_id: UUID, meeting_id: UUID, case_id: UUID | None,
                       content: str, agency_id: str, actor: str) -> None:
    await conn.execute(
        """INSERT INTO meeting_materials (id, meeting_id, case_id, content, by_agency_id, actor)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        material_id, meeting_id, case_id, content, agency_id, actor,
    )


async def materials(conn: asyncpg.Connection, meeting_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT id, case_id, content, by_agency_id, added_at FROM meeting_materials
            WHERE meeting_id = $1 ORDER BY added_at, id""",
        meeting_id,
    )


async def for_agency(conn: asyncpg.Connection, agency_id: str, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT m.id, m.kind, m.status, m.scheduled_on, m.held_on, m.chair_agency_id, mm.role
             FROM meetings m JOIN meeting_members mm ON mm.meeting_id = m.id
            WHERE mm.agency_id = $1 ORDER BY m.scheduled_on DESC, m.id LIMIT $2""",
        agency_id, limit,
    )


async def confidential_to(conn: asyncpg.Connection, meeting_ids: list[UUID], agency_id: str,
                          actor: str) -> set[UUID]:
    """Those of ``meeting_ids`` that are 支援会議 the caller has not acknowledged as a member
    (守秘義務, Art. 106-6): their kind, attendees and decisions are not shown to it."""
    rows = await conn.fetch(
        """SELECT m.id FROM meetings m
            WHERE m.id = ANY($1::uuid[]) AND m.kind = 'shien_kaigi'
              AND NOT EXISTS (SELECT 1 FROM meeting_members mm JOIN meeting_acknowledgements a
                                ON a.meeting_id = mm.meeting_id AND a.agency_id = mm.agency_id
                               WHERE mm.meeting_id = m.id AND mm.agency_id = $2 AND a.actor = $3)""",
        meeting_ids, agency_id, actor,
    )
    return {r["id"] for r in rows}
