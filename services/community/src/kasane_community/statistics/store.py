"""SQL for the statistics: counts only, added once per event, read per month."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import asyncpg

from kasane_community.statistics.metrics import Tally


async def add(conn: asyncpg.Connection, tallies: Iterable[Tally]) -> None:
    """Add one to each tally's count."""
    rows = [(t.month, t.area_code, str(t.metric), t.code) for t in tallies]
    if rows:
        await conn.executemany(
            """INSERT INTO stat_counts (month, area_code, metric, code, count) VALUES ($1, $2, $3, $4, 1)
               ON CONFLICT (month, metric, code, area_code) DO UPDATE SET count = stat_counts.count + 1""",
            rows,
        )


async def counts(conn: asyncpg.Connection, *, first: date, last: date,
                 metrics: list[str] | None) -> list[asyncpg.Record]:
    """Every area's own counts for the months ``first``..``last`` (all areas: suppression
    is worked out over the whole hierarchy, whichever area is asked for)."""
    return await conn.fetch(
        """SELECT month, metric, code, area_code, count FROM stat_counts
            WHERE month BETWEEN $1 AND $2 AND ($3::text[] IS NULL OR metric = ANY($3))
            ORDER BY month, metric, code""",
        first, last, metrics,
    )
