"""SQL for places and activities."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from kasane_community.places.models import ActivityCreate, ActivityRead, PlaceCreate, PlaceRead

_PLACE = ("id, name, kind, description, organisation_id, area_code, lat, lon, address, schedule, for_ages,"
          " for_fields, accessibility, languages, capacity, contact, status, development_id, registered_by_agency,"
          " version, created_at, updated_at, closed_at")
_ACTIVITY = ("id, place_id, name, kind, description, schedule, for_ages, status, registered_by_agency,"
             " created_at, updated_at")


def _place(row: asyncpg.Record) -> PlaceRead:
    return PlaceRead(**dict(row))


async def insert_place(conn: asyncpg.Connection, *, place_id: UUID, body: PlaceCreate, agency: str,
                       development_id: UUID | None = None) -> PlaceRead:
    """Store a new place (published at once)."""
    row = await conn.fetchrow(
        f"""INSERT INTO places (id, name, kind, description, organisation_id, area_code, lat, lon, address,
                                schedule, for_ages, for_fields, accessibility, languages, capacity, contact,
                                status, development_id, registered_by_agency)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
            RETURNING {_PLACE}""",
        place_id, body.name, str(body.kind), body.description, body.organisation_id, body.area_code,
        body.lat, body.lon, body.address.model_dump(exclude_none=True) if body.address else None,
        [s.model_dump() for s in body.schedule], list(body.for_ages), [str(f) for f in body.for_fields],
        [str(a) for a in body.accessibility], list(body.languages), body.capacity,
        body.contact.model_dump(exclude_none=True), str(body.status), development_id, agency,
    )
    return _place(row)


async def get_place(conn: asyncpg.Connection, place_id: UUID, *, lock: bool = False) -> PlaceRead | None:
    """One place, optionally locked for a change."""
    row = await conn.fetchrow(f"SELECT {_PLACE} FROM places WHERE id = $1" + (" FOR UPDATE" if lock else ""),
                              place_id)
    return _place(row) if row else None


async def update_place(conn: asyncpg.Connection, place_id: UUID, changes: dict[str, Any]) -> PlaceRead:
    """Apply ``changes`` (column -> value) and bump the version."""
    sets = "".join(f"{col} = ${i + 2}, " for i, col in enumerate(changes))
    row = await conn.fetchrow(
        f"UPDATE places SET {sets}version = version + 1, updated_at = now() WHERE id = $1 RETURNING {_PLACE}",
        place_id, *changes.values(),
    )
    return _place(row)


async def close_place(conn: asyncpg.Connection, place_id: UUID) -> PlaceRead:
    """Mark a place closed."""
    row = await conn.fetchrow(
        f"""UPDATE places SET status = 'closed', closed_at = now(), version = version + 1, updated_at = now()
             WHERE id = $1 RETURNING {_PLACE}""",
        place_id,
    )
    return _place(row)


async def link_development(conn: asyncpg.Connection, place_id: UUID, development_id: UUID) -> None:
    """Record the development project that produced an existing place."""
    await conn.execute("UPDATE places SET development_id = $2, updated_at = now() WHERE id = $1",
                       place_id, development_id)


async def page_places(
    conn: asyncpg.Connection, *, areas: list[str] | None, kind: str | None, status: str | None,
    organisation_id: UUID | None, development_id: UUID | None, after: tuple[datetime, UUID] | None, limit: int,
) -> list[PlaceRead]:
    """Places in publication order, filtered."""
    rows = await conn.fetch(
        f"""SELECT {_PLACE} FROM places
             WHERE ($1::text[] IS NULL OR area_code = ANY($1))
               AND ($2::text IS NULL OR kind = $2)
               AND ($3::text IS NULL OR status = $3)
               AND ($4::uuid IS NULL OR organisation_id = $4)
               AND ($5::uuid IS NULL OR development_id = $5)
               AND ($6::timestamptz IS NULL OR (created_at, id) > ($6, $7::uuid))
             ORDER BY created_at, id LIMIT $8""",
        areas, kind, status, organisation_id, development_id,
        after[0] if after else None, after[1] if after else None, limit,
    )
    return [_place(r) for r in rows]


async def places_by_ids(conn: asyncpg.Connection, ids: list[UUID]) -> list[PlaceRead]:
    """The places with these ids."""
    rows = await conn.fetch(f"SELECT {_PLACE} FROM places WHERE id = ANY($1::uuid[]) ORDER BY created_at, id", ids)
    return [_place(r) for r in rows]


async def live_places(conn: asyncpg.Connection) -> list[PlaceRead]:
    """Every place not closed, for the directory export."""
    rows = await conn.fetch(f"SELECT {_PLACE} FROM places WHERE status <> 'closed' ORDER BY created_at, id")
    return [_place(r) for r in rows]


async def insert_activity(conn: asyncpg.Connection, *, activity_id: UUID, body: ActivityCreate,
                          agency: str) -> ActivityRead:
    """Store a new activity at a place."""
    row = await conn.fetchrow(
        f"""INSERT INTO activities (id, place_id, name, kind, description, schedule, for_ages, status,
                                    registered_by_agency)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {_ACTIVITY}""",
        activity_id, body.place_id, body.name, body.kind, body.description,
        [s.model_dump() for s in body.schedule], list(body.for_ages), str(body.status), agency,
    )
    return ActivityRead(**dict(row))


async def get_activity(conn: asyncpg.Connection, activity_id: UUID, *, lock: bool = False) -> ActivityRead | None:
    """One activity."""
    row = await conn.fetchrow(f"SELECT {_ACTIVITY} FROM activities WHERE id = $1" + (" FOR UPDATE" if lock else ""),
                              activity_id)
    return ActivityRead(**dict(row)) if row else None


async def update_activity(conn: asyncpg.Connection, activity_id: UUID, changes: dict[str, Any]) -> ActivityRead:
    """Apply ``changes`` to one activity."""
    sets = "".join(f"{col} = ${i + 2}, " for i, col in enumerate(changes))
    row = await conn.fetchrow(
        f"UPDATE activities SET {sets}updated_at = now() WHERE id = $1 RETURNING {_ACTIVITY}",
        activity_id, *changes.values(),
    )
    return ActivityRead(**dict(row))


async def close_activities(conn: asyncpg.Connection, place_id: UUID) -> None:
    """A closed place's activities close with it."""
    await conn.execute("UPDATE activities SET status = 'closed', updated_at = now()"
                       " WHERE place_id = $1 AND status <> 'closed'", place_id)


async def page_activities(conn: asyncpg.Connection, *, place_id: UUID | None, after: tuple[datetime, UUID] | None,
                          limit: int) -> list[ActivityRead]:
    """Activities in creation order, optionally at one place."""
    rows = await conn.fetch(
        f"""SELECT {_ACTIVITY} FROM activities
             WHERE ($1::uuid IS NULL OR place_id = $1)
               AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3::uuid))
             ORDER BY created_at, id LIMIT $4""",
        place_id, after[0] if after else None, after[1] if after else None, limit,
    )
    return [ActivityRead(**dict(r)) for r in rows]


async def live_activities(conn: asyncpg.Connection) -> list[ActivityRead]:
    """Every activity not closed, for the directory export."""
    rows = await conn.fetch(f"SELECT {_ACTIVITY} FROM activities WHERE status <> 'closed' ORDER BY created_at, id")
    return [ActivityRead(**dict(r)) for r in rows]
