"""SQL for coordinators."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from kasane_community.coordinators.models import CoordinatorCreate, CoordinatorRead

_COLUMNS = "id, display_name, role, agency_id, area_codes, contact, registered_by_agency, created_at, updated_at"


async def insert(conn: asyncpg.Connection, *, coordinator_id: UUID, body: CoordinatorCreate, agency_id: str,
                 registered_by: str) -> CoordinatorRead:
    """Store a new coordinator."""
    row = await conn.fetchrow(
        f"""INSERT INTO coordinators (id, display_name, role, agency_id, area_codes, contact, registered_by_agency)
            VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {_COLUMNS}""",
        coordinator_id, body.display_name, body.role, agency_id, body.area_codes,
        body.contact.model_dump(exclude_none=True), registered_by,
    )
    return CoordinatorRead(**dict(row))


async def get(conn: asyncpg.Connection, coordinator_id: UUID, *, lock: bool = False) -> CoordinatorRead | None:
    """One coordinator, optionally locked for an update."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM coordinators WHERE id = $1" + (" FOR UPDATE" if lock else ""), coordinator_id
    )
    return CoordinatorRead(**dict(row)) if row else None


async def set_areas(conn: asyncpg.Connection, coordinator_id: UUID, area_codes: list[str]) -> CoordinatorRead:
    """Replace a coordinator's areas."""
    row = await conn.fetchrow(
        f"UPDATE coordinators SET area_codes = $2, updated_at = now() WHERE id = $1 RETURNING {_COLUMNS}",
        coordinator_id, area_codes,
    )
    return CoordinatorRead(**dict(row))


async def page(conn: asyncpg.Connection, *, covering: list[str] | None, role: str | None, agency_id: str | None,
               after: tuple[datetime, UUID] | None, limit: int) -> list[CoordinatorRead]:
    """Coordinators in registration order; ``covering``: assigned to any of these areas."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM coordinators
             WHERE ($1::text[] IS NULL OR area_codes && $1)
               AND ($2::text IS NULL OR role = $2)
               AND ($3::text IS NULL OR agency_id = $3)
               AND ($4::timestamptz IS NULL OR (created_at, id) > ($4, $5::uuid))
             ORDER BY created_at, id LIMIT $6""",
        covering, role, agency_id, after[0] if after else None, after[1] if after else None, limit,
    )
    return [CoordinatorRead(**dict(r)) for r in rows]
