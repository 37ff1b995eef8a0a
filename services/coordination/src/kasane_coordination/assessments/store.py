"""Assessment rows (one per version)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg


async def next_version(conn: asyncpg.Connection, case_id: UUID, subject: str) -> int:
    """The next version for the subject (the case row is locked, so this does not race)."""
    return await conn.fetchval(
        "SELECT COALESCE(max(version), 0) + 1 FROM assessments WHERE case_id = $1 AND subject = $2",
        case_id, subject,
    )


async def insert(conn: asyncpg.Connection, *, values: dict[str, Any]) -> None:
    columns = ", ".join(values)
    params = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    await conn.execute(f"INSERT INTO assessments ({columns}) VALUES ({params})", *values.values())


async def get(conn: asyncpg.Connection, case_id: UUID, assessment_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM assessments WHERE id = $1 AND case_id = $2", assessment_id, case_id)


async def listing(conn: asyncpg.Connection, case_id: UUID, *, latest_only: bool,
                  person_id: UUID | None) -> list[asyncpg.Record]:
    """Versions of the case's assessments, by subject and version."""
    return await conn.fetch(
        """SELECT * FROM assessments a
            WHERE a.case_id = $1 AND ($3::uuid IS NULL OR a.person_id = $3)
              AND (NOT $2 OR a.version = (SELECT max(version) FROM assessments b
                                           WHERE b.case_id = a.case_id AND b.subject = a.subject))
            ORDER BY a.subject, a.version""",
        case_id, latest_only, person_id,
    )
