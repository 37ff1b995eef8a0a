"""Matching in PostgreSQL: hard constraints filter over indexes, soft preferences score.

One query shape, with a fixed text per kind (so plans stay stable and cached):

* ``status = 'open' AND seats_taken < capacity AND kind = '<kind>'`` selects that kind's
  partial GiST index; ``point(lon, lat) <@ box(...)`` is the bounding box of the search
  radius around the home area's centroid;
* ``accommodations @> required``, ``languages && spoken`` and the schedule overlap
  ``bit_count(hours & available) > 0`` filter the rows the index returns; the exact
  distance is haversine, computed once per row, and must be within the radius;
* every part of the score is computed as :func:`matching.score_parts` does, and PostgreSQL
  sorts and cuts the top N, so only N rows come back.

:func:`find` runs it kind by kind, best-scoring kinds first, within growing radii, and
stops when nothing unread can beat the N-th best (see ``matching.kind_bounds``).
:func:`brute_force_query` is the same filter and score over every allowed kind at once,
with no search order: the benchmark's baseline and the tests' cross-check.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from kasane_shared.contracts.codes import OpportunityKind

from kasane_participation.matching.matching import (
    ACCOMMODATION_CODES,
    EARTH_RADIUS_KM,
    Candidate,
    Plan,
    Ranked,
    Seeker,
    bounding_box,
    kind_bounds,
    reach_km,
    search_radii,
    settled,
    top,
)
from kasane_participation.rules import Weights
from kasane_participation.schedule import bits_hours, hours_bits

_TWO_R = f"{2 * EARTH_RADIUS_KM!r}::float8"
ONE = "1.0::float8"
KINDS = frozenset(k.value for k in OpportunityKind)
WISHED_SLOTS = len(ACCOMMODATION_CODES)  # wished accommodations are known codes, so at most this many


def haversine_sql(lat: str, lon: str) -> str:
    """Distance from (lat, lon) to ``o``: the same expression, in the same order, as matching.haversine_km."""
    return (f"{_TWO_R} * asin(sqrt(least({ONE}, power(sin(radians(o.lat - {lat}) / 2), 2)"
            f" + cos(radians({lat})) * cos(radians(o.lat)) * power(sin(radians(o.lon - {lon}) / 2), 2))))")


def _sql(kind_clause: str, step_expr: str, *, only: bool, score: bool, annulus: bool = False) -> str:
    """The query text; parameters $1-$14 are shared, the kind's come after (see :func:`_args`)."""
    wished = " + ".join(f"coalesce(${15 + i}::text = ANY(c.accommodations), false)::int" for i in range(WISHED_SLOTS))
    n = 15 + WISHED_SLOTS  # $n wished count, $n+1 age band, $n+2.. weights, then the kind's own
    inner = f"""
        SELECT o.id, o.kind, o.area_code, o.lat, o.lon, o.capacity, o.seats_taken, o.status, o.accommodations,
               o.languages, o.activities, o.for_ages, o.flexible_hours, o.hours,
               {haversine_sql('$1::float8', '$2::float8')} AS km
          FROM opportunities o
         WHERE o.status = 'open' AND o.seats_taken < o.capacity AND {kind_clause}
           AND point(o.lon, o.lat) <@ box(point($4::float8, $5::float8), point($6::float8, $7::float8))
           AND o.accommodations @> $8::text[]
           AND ($9::bool OR o.languages && $10::text[])
           AND ($11::bool OR bit_count(o.hours & $12::bit(168)) > 0)
           {f"AND o.id = ${n + 9}::uuid" if only else ""}
        OFFSET 0"""
    if not score:
        return f"SELECT c.id FROM ({inner}) c WHERE c.km <= $3::float8 LIMIT 1"
    parts = f"""
        SELECT c.*, bit_count(c.hours)::int AS total_hours,
               CASE WHEN $11::bool THEN bit_count(c.hours)::int ELSE bit_count(c.hours & $12::bit(168))::int END
                   AS overlap_hours,
               {step_expr} AS step,
               greatest(0.0::float8, {ONE} - c.km / $13::float8) AS distance,
               CASE WHEN c.kind = ANY($14::text[]) OR c.activities && $14::text[] THEN {ONE} ELSE 0.0::float8 END
                   AS preference,
               CASE WHEN $11::bool THEN {ONE} WHEN c.flexible_hours THEN 0.5::float8
                    ELSE bit_count(c.hours & $12::bit(168))::float8 / bit_count(c.hours)::float8 END AS schedule,
               CASE WHEN ${n}::int = 0 THEN {ONE} ELSE ({wished})::float8 / ${n}::int END AS comfort,
               CASE WHEN ${n + 1}::text IS NULL OR cardinality(c.for_ages) = 0
                         OR c.for_ages && ARRAY['all', ${n + 1}::text] THEN {ONE} ELSE 0.0::float8 END AS audience
          FROM ({inner}) c
         WHERE c.km <= $3::float8 {f"AND c.km > ${n + 10}::float8" if annulus else ""}
        OFFSET 0"""
    w = [f"${n + 2 + i}::float8" for i in range(6)]
    raw = (f"{w[0]} * s.step + {w[1]} * s.distance + {w[2]} * s.preference + {w[3]} * s.schedule"
           f" + {w[4]} * s.comfort + {w[5]} * s.audience")
    return f"SELECT s.*, {raw} AS raw FROM ({parts}) s ORDER BY raw DESC, s.km, s.id LIMIT ${n + 8}::int"


def _args(seeker: Seeker, plan: Plan, weights: Weights, *, radius_km: float, limit: int) -> list[Any]:
    """Parameters $1 to $(n+8), in the order :func:`_sql` numbers them."""
    lat_min, lat_max, lon_min, lon_max = bounding_box(seeker.lat, seeker.lon, radius_km)
    wished: list[str | None] = [*plan.wished, *[None] * (WISHED_SLOTS - len(plan.wished))]
    return [
        seeker.lat, seeker.lon, radius_km, lon_min, lat_min, lon_max, lat_max,
        list(seeker.required), not seeker.languages, list(seeker.languages),
        not seeker.hours, asyncpg.BitString(hours_bits(seeker.hours)), seeker.travel_km,
        list(seeker.preferences), *wished, len(plan.wished), seeker.age_band,
        weights.step, weights.distance, weights.preference, weights.schedule, weights.comfort, weights.audience,
        limit,
    ]


def _kind_literal(kind: str) -> str:
    # a literal, not a parameter, so the planner can pick the kind's partial index in any plan
    if kind not in KINDS:
        raise ValueError(f"unknown opportunity kind {kind!r}")
    return f"o.kind = '{kind}'"


def kind_query(seeker: Seeker, plan: Plan, weights: Weights, kind: str, *, radius_km: float,
               limit: int, beyond_km: float = -1.0) -> tuple[str, list[Any]]:
    """The top ``limit`` of one kind farther than ``beyond_km`` and within ``radius_km``."""
    sql = _sql(_kind_literal(kind), f"${16 + WISHED_SLOTS + 8}::float8", only=False, score=True, annulus=True)
    args = _args(seeker, plan, weights, radius_km=radius_km, limit=limit)
    return sql, [*args, plan.step_value(kind), beyond_km]


def brute_force_query(seeker: Seeker, plan: Plan, weights: Weights, *, limit: int,
                      only: UUID | None = None) -> tuple[str, list[Any]]:
    """Every allowed kind at once, within the whole travel range (or the one opportunity ``only``)."""
    n = 15 + WISHED_SLOTS
    kinds, steps = f"${n + 9 + (1 if only else 0)}::text[]", f"${n + 10 + (1 if only else 0)}::float8[]"
    sql = _sql(f"o.kind = ANY({kinds})", f"({steps})[array_position({kinds}, c.kind)]", only=only is not None,
               score=True)
    args = _args(seeker, plan, weights, radius_km=seeker.travel_km, limit=limit)
    return sql, [*args, *([only] if only else []), list(plan.kinds), list(plan.step_values)]


def ranked_row(row: asyncpg.Record) -> Ranked:
    """A result row as a :class:`Ranked`."""
    c = Candidate(
        id=row["id"], kind=row["kind"], lat=row["lat"], lon=row["lon"], capacity=row["capacity"],
        seats_taken=row["seats_taken"], status=row["status"],
        accommodations=tuple(row["accommodations"]), languages=tuple(row["languages"]),
        activities=tuple(row["activities"]), for_ages=tuple(row["for_ages"]),
        hours=frozenset(bits_hours(row["hours"].as_string())), flexible=row["flexible_hours"],
        area_code=row["area_code"],
    )
    parts = {k: row[k] for k in ("step", "distance", "preference", "schedule", "comfort", "audience")}
    return Ranked(c, row["km"], parts, row["raw"], row["overlap_hours"], row["total_hours"])


async def find(conn: asyncpg.Connection, seeker: Seeker, plan: Plan, weights: Weights, *,
               limit: int, only: UUID | None = None) -> list[Ranked]:
    """The best ``limit`` opportunities for ``seeker``, best first (deterministic, exact)."""
    if not plan.kinds:
        return []
    if only is not None:
        sql, args = brute_force_query(seeker, plan, weights, limit=1, only=only)
        return [ranked_row(r) for r in await conn.fetch(sql, *args)]
    found: list[Ranked] = []
    for kind, bound in kind_bounds(seeker, plan, weights):
        if settled(found, limit, bound):
            break  # kinds come best bound first: no later kind can place either
        read_km = -1.0  # what lies within read_km is among ``found`` already: read only the ring beyond
        radii = iter(search_radii(seeker.travel_km))
        while read_km < seeker.travel_km:
            last = len(found) >= limit
            if last:
                # N found: only what lies within reach can still beat the N-th; read that, and done
                radius = reach_km(bound, found[limit - 1].raw, seeker, weights)
                if radius <= read_km:
                    break
            else:
                radius = next(r for r in radii if r > read_km)
            sql, args = kind_query(seeker, plan, weights, kind, radius_km=radius, limit=limit, beyond_km=read_km)
            found = top([*found, *map(ranked_row, await conn.fetch(sql, *args))], limit)
            read_km = radius
            if last:
                break  # the N-th only rose: nothing beyond the reach read can beat it
    return found


async def fits_any(conn: asyncpg.Connection, seeker: Seeker, plan: Plan, weights: Weights) -> bool:
    """Whether any opportunity meets every hard constraint (no scoring)."""
    for kind in plan.kinds:
        sql = _sql(_kind_literal(kind), "", only=False, score=False)
        args = _args(seeker, plan, weights, radius_km=seeker.travel_km, limit=1)
        # the existence query uses $1-$12 only
        if await conn.fetchval(sql, *args[:12]) is not None:
            return True
    return False
