"""Matching in PostgreSQL: hard constraints filter over indexes, soft preferences score.

The query is assembled from fixed fragments (never from input) so a request without a
language or availability constraint gets no such clause, which keeps plans simple:

* ``status = 'open' AND seats_taken < capacity`` selects the partial indexes;
* ``point(lon, lat) <@ box(...)`` is the bounding box around the home area's centroid, over
  the GiST index; the exact distance is then haversine, computed once per row;
* ``kind = ANY(allowed)`` (btree), ``accommodations @> required`` and
  ``languages && spoken`` (GIN) narrow further; the planner combines them;
* ``hours && available`` checks the schedule overlap on the rows left.

Every part of the score is computed in SQL exactly as :func:`matching.score_parts` does,
so the top N is sorted and cut in the database and only N rows come back.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from kasane_participation.matching.matching import (
    EARTH_RADIUS_KM,
    Candidate,
    Plan,
    Ranked,
    Seeker,
)
from kasane_participation.rules import Weights

_TWO_R = f"{2 * EARTH_RADIUS_KM!r}::float8"
ONE = "1.0::float8"


class _Params:
    def __init__(self) -> None:
        self.values: list[Any] = []

    def __call__(self, value: Any, cast: str) -> str:
        self.values.append(value)
        return f"${len(self.values)}::{cast}"


def haversine_sql(lat: str, lon: str) -> str:
    # the same expression, in the same order, as matching.haversine_km
    return (f"{_TWO_R} * asin(sqrt(least({ONE}, power(sin(radians(o.lat - {lat}) / 2), 2)"
            f" + cos(radians({lat})) * cos(radians(o.lat)) * power(sin(radians(o.lon - {lon}) / 2), 2))))")


def match_query(seeker: Seeker, plan: Plan, weights: Weights, *, limit: int,
                only: UUID | None = None, use_bbox: bool = True) -> tuple[str, list[Any]]:
    """The SQL and its parameters for the top ``limit`` matches (or one opportunity, ``only``)."""
    p = _Params()
    lat, lon = p(seeker.lat, "float8"), p(seeker.lon, "float8")
    travel = p(seeker.travel_km, "float8")
    kinds = p(list(plan.kinds), "text[]")
    where = [
        "o.status = 'open'", "o.seats_taken < o.capacity",
        f"o.kind = ANY({kinds})",
        f"d.km <= {travel}",
    ]
    if use_bbox:
        lat_min, lat_max, lon_min, lon_max = plan.bbox
        where.append(f"point(o.lon, o.lat) <@ box(point({p(lon_min, 'float8')}, {p(lat_min, 'float8')}),"
                     f" point({p(lon_max, 'float8')}, {p(lat_max, 'float8')}))")
    if seeker.required:
        where.append(f"o.accommodations @> {p(list(seeker.required), 'text[]')}")
    if seeker.languages:
        where.append(f"o.languages && {p(list(seeker.languages), 'text[]')}")
    if seeker.hours:
        hours = p(sorted(seeker.hours), "int[]")
        where.append(f"o.hours && {hours}")
        overlap = f"(SELECT count(*) FROM unnest(o.hours) h WHERE h = ANY({hours}))::int"
        schedule = (f"CASE WHEN o.flexible_hours THEN 0.5::float8"
                    f" ELSE (SELECT count(*) FROM unnest(o.hours) h WHERE h = ANY({hours}))::float8"
                    f" / cardinality(o.hours) END")
    else:
        overlap = "cardinality(o.hours)"
        schedule = ONE
    if only is not None:
        where.append(f"o.id = {p(only, 'uuid')}")
    liked = p(list(seeker.preferences), "text[]")
    if plan.wished:
        wished = p(list(plan.wished), "text[]")
        comfort = (f"(SELECT count(*) FROM unnest({wished}) w WHERE w = ANY(o.accommodations))::float8"
                   f" / {len(plan.wished)}")
    else:
        comfort = ONE
    if seeker.age_band is None:
        audience = ONE
    else:
        band = p(["all", seeker.age_band], "text[]")
        audience = (f"CASE WHEN cardinality(o.for_ages) = 0 OR o.for_ages && {band}"
                    f" THEN {ONE} ELSE 0.0::float8 END")
    steps = p(list(plan.step_values), "float8[]")
    w = {name: p(value, "float8") for name, value in weights.model_dump().items()}
    raw = (f"{w['step']} * step + {w['distance']} * distance + {w['preference']} * preference"
           f" + {w['schedule']} * schedule + {w['comfort']} * comfort + {w['audience']} * audience")
    sql = f"""
SELECT c.*, round(({raw})::numeric, 6)::float8 AS score
  FROM (SELECT o.id, o.kind, o.area_code, o.lat, o.lon, o.capacity, o.seats_taken, o.status,
               o.accommodations, o.languages, o.activities, o.for_ages, o.flexible_hours,
               cardinality(o.hours) AS total_hours, {overlap} AS overlap_hours,
               d.km AS distance_km,
               ({steps})[array_position({kinds}, o.kind)] AS step,
               greatest(0.0::float8, {ONE} - d.km / {travel}) AS distance,
               CASE WHEN o.kind = ANY({liked}) OR o.activities && {liked} THEN {ONE} ELSE 0.0::float8 END
                   AS preference,
               {schedule} AS schedule,
               {comfort} AS comfort,
               {audience} AS audience
          FROM opportunities o
         CROSS JOIN LATERAL (SELECT {haversine_sql(lat, lon)} AS km) d
         WHERE {' AND '.join(where)}) c
 ORDER BY score DESC, c.distance_km, c.id
 LIMIT {p(limit, 'int')}"""
    return sql, p.values


def _ranked(row: asyncpg.Record) -> Ranked:
    c = Candidate(
        id=row["id"], kind=row["kind"], lat=row["lat"], lon=row["lon"], capacity=row["capacity"],
        seats_taken=row["seats_taken"], status=row["status"],
        accommodations=tuple(row["accommodations"]), languages=tuple(row["languages"]),
        activities=tuple(row["activities"]), for_ages=tuple(row["for_ages"]),
        flexible=row["flexible_hours"], area_code=row["area_code"],
    )
    parts = {k: row[k] for k in ("step", "distance", "preference", "schedule", "comfort", "audience")}
    return Ranked(c, row["distance_km"], parts, row["score"], row["overlap_hours"], row["total_hours"])


async def find(conn: asyncpg.Connection, seeker: Seeker, plan: Plan, weights: Weights, *,
               limit: int, only: UUID | None = None) -> list[Ranked]:
    """The best ``limit`` opportunities for ``seeker``, best first (deterministic)."""
    if not plan.kinds:
        return []
    sql, args = match_query(seeker, plan, weights, limit=limit, only=only)
    return [_ranked(r) for r in await conn.fetch(sql, *args)]
