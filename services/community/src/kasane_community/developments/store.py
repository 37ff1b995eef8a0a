"""SQL for development projects, the gap needs they take up, and the opportunities
participation made (counts only)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from kasane_community.developments.grouping import GapNeed

_GAP = "id, area_code, need_codes, wanted_kinds, accommodations, languages, recorded_at, development_id"
_DEV = ("id, title, description, area_code, need_codes, status, coordinator_id, opened_by_agency, opened_at,"
        " updated_at, version")


def gap_need(row: asyncpg.Record) -> GapNeed:
    return GapNeed(
        id=row["id"], area_code=row["area_code"], need_codes=tuple(row["need_codes"]),
        wanted_kinds=tuple(row["wanted_kinds"]), accommodations=tuple(row["accommodations"]),
        languages=tuple(row["languages"]), recorded_at=row["recorded_at"], development_id=row["development_id"],
    )


async def record_gap_need(conn: asyncpg.Connection, need: GapNeed) -> bool:
    """Store a gap need once (its id is participation's); False when it was already here."""
    done = await conn.fetchval(
        f"""INSERT INTO gap_needs ({_GAP}) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)
            ON CONFLICT (id) DO NOTHING RETURNING true""",
        need.id, need.area_code, list(need.need_codes), list(need.wanted_kinds), list(need.accommodations),
        list(need.languages), need.recorded_at,
    )
    return bool(done)


async def gap_needs_in(conn: asyncpg.Connection, *, areas: list[str] | None, need_code: str | None = None,
                       open_only: bool = False) -> list[GapNeed]:
    """Gap needs in these areas (all when None)."""
    rows = await conn.fetch(
        f"""SELECT {_GAP} FROM gap_needs
             WHERE ($1::text[] IS NULL OR area_code = ANY($1))
               AND ($2::text IS NULL OR $2 = ANY(need_codes))
               AND (NOT $3 OR development_id IS NULL)
             ORDER BY recorded_at, id""",
        areas, need_code, open_only,
    )
    return [gap_need(r) for r in rows]


async def lock_gap_needs(conn: asyncpg.Connection, ids: list[UUID]) -> list[GapNeed]:
    """The gap needs with these ids, locked so two projects cannot take up the same one."""
    rows = await conn.fetch(f"SELECT {_GAP} FROM gap_needs WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE", ids)
    return [gap_need(r) for r in rows]


async def lock_open_group(conn: asyncpg.Connection, *, area_code: str, need_code: str) -> list[GapNeed]:
    """Every open gap need of one group, locked."""
    rows = await conn.fetch(
        f"""SELECT {_GAP} FROM gap_needs
             WHERE area_code = $1 AND $2 = ANY(need_codes) AND development_id IS NULL
             ORDER BY id FOR UPDATE""",
        area_code, need_code,
    )
    return [gap_need(r) for r in rows]


async def insert_development(
    conn: asyncpg.Connection, *, development_id: UUID, title: str, description: str | None, area_code: str,
    need_codes: list[str], coordinator_id: UUID | None, agency: str,
) -> None:
    """Store a new project at the idea stage, with the first step of its history."""
    await conn.execute(
        """INSERT INTO developments (id, title, description, area_code, need_codes, status, coordinator_id,
                                     opened_by_agency)
           VALUES ($1, $2, $3, $4, $5, 'idea', $6, $7)""",
        development_id, title, description, area_code, need_codes, coordinator_id, agency,
    )
    await add_history(conn, development_id=development_id, from_status=None, to_status="idea",
                      reason_code=None, agency=agency)


async def take_up(conn: asyncpg.Connection, development_id: UUID, gap_need_ids: list[UUID]) -> None:
    """Attach gap needs to a project (they are no longer open)."""
    await conn.execute("UPDATE gap_needs SET development_id = $1 WHERE id = ANY($2::uuid[])",
                       development_id, gap_need_ids)
    await conn.executemany(
        "INSERT INTO development_gap_needs (development_id, gap_need_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        [(development_id, g) for g in gap_need_ids],
    )


async def release(conn: asyncpg.Connection, development_id: UUID) -> None:
    """A dropped project's gap needs are open again (the project still lists them)."""
    await conn.execute("UPDATE gap_needs SET development_id = NULL WHERE development_id = $1", development_id)


async def set_organisations(conn: asyncpg.Connection, development_id: UUID, organisation_ids: list[UUID]) -> None:
    """Replace the organisations involved in a project."""
    await conn.execute("DELETE FROM development_organisations WHERE development_id = $1", development_id)
    await conn.executemany(
        "INSERT INTO development_organisations (development_id, organisation_id) VALUES ($1, $2)",
        [(development_id, o) for o in dict.fromkeys(organisation_ids)],
    )


async def get_row(conn: asyncpg.Connection, development_id: UUID, *, lock: bool = False) -> asyncpg.Record | None:
    """A project's own row, optionally locked for a change."""
    return await conn.fetchrow(f"SELECT {_DEV} FROM developments WHERE id = $1" + (" FOR UPDATE" if lock else ""),
                               development_id)


async def update_row(conn: asyncpg.Connection, development_id: UUID, changes: dict[str, object]) -> None:
    """Change a project's own columns and bump its version."""
    sets = "".join(f"{col} = ${i + 2}, " for i, col in enumerate(changes))
    await conn.execute(
        f"UPDATE developments SET {sets}version = version + 1, updated_at = now() WHERE id = $1",
        development_id, *changes.values(),
    )


async def add_history(conn: asyncpg.Connection, *, development_id: UUID, from_status: str | None, to_status: str,
                      reason_code: str | None, agency: str) -> None:
    """Append one step to a project's history."""
    await conn.execute(
        """INSERT INTO development_status_history (development_id, seq, from_status, to_status, reason_code,
                                                   by_agency)
           VALUES ($1, (SELECT coalesce(max(seq), 0) + 1 FROM development_status_history
                         WHERE development_id = $1), $2, $3, $4, $5)""",
        development_id, from_status, to_status, reason_code, agency,
    )


async def add_resource(conn: asyncpg.Connection, *, development_id: UUID, place_id: UUID | None,
                       opportunity_id: UUID | None) -> None:
    """Record what a project produced."""
    await conn.execute(
        """INSERT INTO development_resources (development_id, seq, place_id, opportunity_id)
           VALUES ($1, (SELECT coalesce(max(seq), 0) + 1 FROM development_resources WHERE development_id = $1),
                   $2, $3)""",
        development_id, place_id, opportunity_id,
    )


async def producer_of(conn: asyncpg.Connection, *, place_id: UUID | None = None,
                      opportunity_id: UUID | None = None) -> UUID | None:
    """The project already credited with this place or opportunity."""
    return await conn.fetchval(
        "SELECT development_id FROM development_resources WHERE place_id = $1 OR opportunity_id = $2",
        place_id, opportunity_id,
    )


async def detail(conn: asyncpg.Connection, development_id: UUID) -> dict[str, list[asyncpg.Record]]:
    """Everything a project's page shows besides its own row."""
    return {
        "organisations": await conn.fetch(
            """SELECT o.id, o.name, o.kind FROM development_organisations d
                 JOIN organisations o ON o.id = d.organisation_id
                WHERE d.development_id = $1 ORDER BY o.name, o.id""", development_id),
        "gap_needs": await conn.fetch(
            f"""SELECT {", ".join("g." + c.strip() for c in _GAP.split(","))} FROM development_gap_needs d
                  JOIN gap_needs g ON g.id = d.gap_need_id
                 WHERE d.development_id = $1 ORDER BY g.recorded_at, g.id""", development_id),
        "history": await conn.fetch(
            """SELECT from_status, to_status, reason_code, by_agency, at FROM development_status_history
                WHERE development_id = $1 ORDER BY seq""", development_id),
        "produced": await conn.fetch(
            """SELECT r.place_id, r.opportunity_id, r.produced_at, p.name, p.kind, p.area_code, p.status
                 FROM development_resources r LEFT JOIN places p ON p.id = r.place_id
                WHERE r.development_id = $1 ORDER BY r.seq""", development_id),
        "opportunities": await conn.fetch(
            """SELECT o.id, o.kind, o.area_code, o.status, o.matches_proposed, o.placements_started,
                      o.source_place_id
                 FROM opportunities o
                WHERE o.source_place_id IN (SELECT place_id FROM development_resources WHERE development_id = $1)
                   OR o.id IN (SELECT opportunity_id FROM development_resources WHERE development_id = $1)
                ORDER BY o.id""", development_id),
    }


async def page(conn: asyncpg.Connection, *, areas: list[str] | None, status: str | None,
               after: tuple[datetime, UUID] | None, limit: int) -> list[asyncpg.Record]:
    """Projects in opening order with how many gap needs and resources each has."""
    return await conn.fetch(
        """SELECT d.id, d.title, d.area_code, d.need_codes, d.status, d.coordinator_id, d.opened_at, d.updated_at,
                  (SELECT count(*) FROM development_gap_needs g WHERE g.development_id = d.id) AS gap_needs,
                  (SELECT count(*) FROM development_resources r WHERE r.development_id = d.id) AS produced
             FROM developments d
            WHERE ($1::text[] IS NULL OR d.area_code = ANY($1))
              AND ($2::text IS NULL OR d.status = $2)
              AND ($3::timestamptz IS NULL OR (d.opened_at, d.id) > ($3, $4::uuid))
            ORDER BY d.opened_at, d.id LIMIT $5""",
        areas, status, after[0] if after else None, after[1] if after else None, limit,
    )


async def opportunity_known(conn: asyncpg.Connection, opportunity_id: UUID) -> bool:
    """Whether participation has published this opportunity (as far as its events say)."""
    return bool(await conn.fetchval("SELECT kind IS NOT NULL FROM opportunities WHERE id = $1", opportunity_id))


async def upsert_opportunity(conn: asyncpg.Connection, *, opportunity_id: UUID, kind: str | None,
                             area_code: str | None, status: str, source_place_id: UUID | None) -> None:
    """Keep an opportunity's facts as participation's latest event states them."""
    await conn.execute(
        """INSERT INTO opportunities (id, kind, area_code, status, source_place_id) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (id) DO UPDATE SET kind = coalesce(EXCLUDED.kind, opportunities.kind),
                area_code = coalesce(EXCLUDED.area_code, opportunities.area_code), status = EXCLUDED.status,
                source_place_id = coalesce(EXCLUDED.source_place_id, opportunities.source_place_id),
                updated_at = now()""",
        opportunity_id, kind, area_code, status, source_place_id,
    )


async def count_use(conn: asyncpg.Connection, *, opportunity_id: UUID, matches: int = 0, placements: int = 0) -> None:
    """Add to an opportunity's counts (the event may come before the opportunity's own)."""
    await conn.execute(
        """INSERT INTO opportunities (id, status, matches_proposed, placements_started) VALUES ($1, NULL, $2, $3)
           ON CONFLICT (id) DO UPDATE SET matches_proposed = opportunities.matches_proposed + $2,
                placements_started = opportunities.placements_started + $3, updated_at = now()""",
        opportunity_id, matches, placements,
    )
