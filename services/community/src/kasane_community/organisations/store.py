"""SQL for organisations."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from kasane_community.organisations.models import OrganisationCreate, OrganisationRead

_COLUMNS = ("id, name, kind, description, area_code, offers, website, contact, agency_id,"
            " registered_by_agency, joined_at, updated_at")


def _read(row: asyncpg.Record) -> OrganisationRead:
    return OrganisationRead(**dict(row))


async def insert(conn: asyncpg.Connection, *, org_id: UUID, body: OrganisationCreate, agency: str) -> OrganisationRead:
    """Store a new organisation."""
    row = await conn.fetchrow(
        f"""INSERT INTO organisations (id, name, kind, description, area_code, offers, website, contact,
                                       agency_id, registered_by_agency)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {_COLUMNS}""",
        org_id, body.name, body.kind, body.description, body.area_code, [str(o) for o in body.offers],
        body.website, body.contact.model_dump(exclude_none=True), body.agency_id, agency,
    )
    return _read(row)


async def get(conn: asyncpg.Connection, org_id: UUID, *, lock: bool = False) -> OrganisationRead | None:
    """One organisation, optionally locked for an update."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM organisations WHERE id = $1" + (" FOR UPDATE" if lock else ""), org_id
    )
    return _read(row) if row else None


async def update(conn: asyncpg.Connection, org_id: UUID, changes: dict[str, Any]) -> OrganisationRead:
    """Apply ``changes`` (column -> value) to one organisation."""
    sets = ", ".join(f"{col} = ${i + 2}" for i, col in enumerate(changes))
    row = await conn.fetchrow(
        f"UPDATE organisations SET {sets}, updated_at = now() WHERE id = $1 RETURNING {_COLUMNS}",
        org_id, *changes.values(),
    )
    return _read(row)


async def existing_ids(conn: asyncpg.Connection, ids: list[UUID]) -> set[UUID]:
    """Which of ``ids`` are organisations here."""
    rows = await conn.fetch("SELECT id FROM organisations WHERE id = ANY($1::uuid[])", ids)
    return {r["id"] for r in rows}


async def page(
    conn: asyncpg.Connection, *, areas: list[str] | None, kind: str | None, offer: str | None,
    after: tuple[datetime, UUID] | None, limit: int,
) -> list[OrganisationRead]:
    """Organisations in join order, filtered."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM organisations
             WHERE ($1::text[] IS NULL OR area_code = ANY($1))
               AND ($2::text IS NULL OR kind = $2)
               AND ($3::text IS NULL OR $3 = ANY(offers))
               AND ($4::timestamptz IS NULL OR (joined_at, id) > ($4, $5::uuid))
             ORDER BY joined_at, id LIMIT $6""",
        areas, kind, offer, after[0] if after else None, after[1] if after else None, limit,
    )
    return [_read(r) for r in rows]


async def by_ids(conn: asyncpg.Connection, ids: list[UUID]) -> list[OrganisationRead]:
    """The organisations with these ids, in join order."""
    rows = await conn.fetch(f"SELECT {_COLUMNS} FROM organisations WHERE id = ANY($1::uuid[]) ORDER BY joined_at, id",
                            ids)
    return [_read(r) for r in rows]


async def every(conn: asyncpg.Connection) -> list[OrganisationRead]:
    """Every organisation, for the directory export."""
    rows = await conn.fetch(f"SELECT {_COLUMNS} FROM organisations ORDER BY joined_at, id")
    return [_read(r) for r in rows]
