"""Participation benchmark: matching over 100,000 open opportunities (issue 5).

One made-up, area-rich municipality (360 neighbourhood areas on a ~28 km square, areas
and coordinates generated here), 100,000 open opportunities with free places, and 1,000
varied requests (home area, travel range 1-8 km, step and max step, required
accommodations, languages, availability, preferences). For each request: the top 10,
as ``GET /v1/requests/{id}/matches`` computes them (the same ``matching.store.find`` and
the same reasons), p50/p99 over the 1,000.

Baselines, in the same run over the same rows:
* seq scan: the very same SQL with index scans switched off (``enable_indexscan``,
  ``enable_bitmapscan``, ``enable_indexonlyscan`` off), so PostgreSQL reads all 100,000
  rows for every request; all 1,000 requests;
* load and rank in Python: every open opportunity fetched, then filtered and ranked by
  ``matching.rank`` (the Python twin of the SQL rules); the first 10 requests only (each
  takes seconds).
Both must return the same top 10 as the indexed query; the figures say how many did.
Targets: p99 <= 50 ms and >= 10x faster than the brute-force scan.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import time
import uuid
from dataclasses import dataclass

import asyncpg
from kasane_participation.main import SPEC
from kasane_participation.matching import store
from kasane_participation.matching.matching import LADDER, Candidate, Seeker, plan, rank, seeker_from
from kasane_participation.matching.reasons import explain
from kasane_participation.rules import ParticipationRules
from kasane_participation.schedule import bits_hours, hours_bits, opportunity_hours
from kasane_shared.contracts.codes import Accommodation
from kasane_shared.contracts.participation import Slot
from kasane_shared.db.pool import create_pool

from bench.common import BenchEnv, percentile, summary

N_OPPORTUNITIES = 100_000
N_REQUESTS = 1_000
N_PYTHON = 10
CENTRE = (35.0, 136.9)
SIDE_KM = 28.0
GRID = 18  # 18 x 18 = 324 neighbourhoods, plus 36 around stations: 360 areas
KINDS = (("place_to_be", 24), ("volunteering", 18), ("employment_trial", 14), ("supported_employment", 10),
         ("employment", 22), ("learning_support", 7), ("residential_watch", 5))
FOREIGN = (("en", 0.10), ("pt", 0.06), ("zh", 0.06), ("vi", 0.05), ("tl", 0.03))
ACCOMMODATIONS = [a.value for a in Accommodation]
ACTIVITIES = ["ibasho", "farming", "cooking", "crafts", "cleaning", "shop_work", "office_work", "childcare_help",
              "elderly_care_help", "gardening"]
AGE_BANDS = ["15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49", "50-54", "55-59", "60-64"]
RULES = ParticipationRules(version="bench")


@dataclass(frozen=True)
class Area:
    code: str
    lat: float
    lon: float


def _offset(lat: float, lon: float, north_km: float, east_km: float) -> tuple[float, float]:
    return lat + north_km / 111.195, lon + east_km / (111.195 * math.cos(math.radians(lat)))


def make_areas(rng: random.Random) -> list[Area]:
    """Neighbourhood centroids on a jittered grid, and a few dense ones around stations."""
    step = SIDE_KM / GRID
    areas = []
    for i in range(GRID):
        for j in range(GRID):
            north = -SIDE_KM / 2 + (i + 0.5) * step + rng.uniform(-0.3, 0.3) * step
            east = -SIDE_KM / 2 + (j + 0.5) * step + rng.uniform(-0.3, 0.3) * step
            areas.append(Area(f"BC-{i:02d}{j:02d}", *_offset(*CENTRE, north, east)))
    for k in range(36):
        station = areas[rng.randrange(len(areas))]
        areas.append(Area(f"BC-ST{k:02d}", *_offset(station.lat, station.lon, rng.gauss(0, 0.4), rng.gauss(0, 0.4))))
    return areas


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([p[0] for p in pairs], [p[1] for p in pairs])[0]


def make_opportunity(rng: random.Random, areas: list[Area]) -> tuple:
    area = rng.choice(areas)
    lat, lon = _offset(area.lat, area.lon, rng.gauss(0, 0.6), rng.gauss(0, 0.6))
    kind = _weighted(rng, KINDS)
    capacity = rng.randint(1, 30)
    slots = []
    if rng.random() > 0.08:  # 8% have no fixed schedule (times arranged)
        for _ in range(rng.randint(1, 5)):
            start = rng.randint(8, 18)
            slots.append(Slot(weekday=rng.choices(range(7), [5, 5, 5, 5, 5, 2, 1])[0], start_hour=start,
                              end_hour=min(24, start + rng.randint(2, 6))))
    hours, flexible = opportunity_hours(slots)
    schedule = sorted({(s.weekday, s.start_hour, s.end_hour) for s in slots})
    languages = ["ja"] + [code for code, p in FOREIGN if rng.random() < p]
    return (
        uuid.UUID(int=rng.getrandbits(128)), None, kind, area.code, lat, lon, "coordinates", capacity,
        rng.randint(0, capacity - 1), "open",
        json.dumps([{"weekday": d, "start_hour": a, "end_hour": b} for d, a, b in schedule]), flexible,
        asyncpg.BitString(hours_bits(hours)),
        sorted(a for a in ACCOMMODATIONS if rng.random() < 0.35), sorted(languages),
        sorted(rng.sample(ACTIVITIES, rng.randint(0, 2))),
        [] if rng.random() < 0.8 else sorted(rng.sample(AGE_BANDS, rng.randint(1, 4))), True,
    )


COLUMNS = ["id", "owner_agency_id", "kind", "area_code", "lat", "lon", "located_by", "capacity", "seats_taken",
           "status", "schedule", "flexible_hours", "hours", "accommodations", "languages", "activities", "for_ages",
           "published"]


def make_seeker(rng: random.Random, areas: list[Area]) -> Seeker:
    area = rng.choice(areas)
    current = rng.choice([None, None, *LADDER[:4]])
    low = 0 if current is None else LADDER.index(current)
    top = rng.choice([None, *LADDER[low:]])
    n_required = rng.choices([0, 1, 2], [35, 45, 20])[0]
    roll = rng.random()
    if roll < 0.70:
        languages: list[str] = []
    elif roll < 0.85:
        languages = ["ja"]
    else:
        foreign = rng.choice([c for c, _ in FOREIGN])
        languages = [foreign] if rng.random() < 0.5 else [foreign, "ja"]
    availability_hours: set[int] = set()
    if rng.random() > 0.3:
        for _ in range(rng.randint(1, 2)):
            start = rng.randint(8, 15)
            days = rng.sample(range(7), rng.randint(1, 5))
            availability_hours |= {d * 24 + h for d in days for h in range(start, start + rng.randint(2, 6))}
    return seeker_from(
        lat=area.lat, lon=area.lon, travel_km=rng.choices([1.0, 2.0, 3.0, 5.0, 8.0], [25, 30, 25, 15, 5])[0],
        current_step=current, max_step=top, required=rng.sample(ACCOMMODATIONS, n_required), languages=languages,
        hours=availability_hours,
        preferences=rng.sample([k for k, _ in KINDS] + ACTIVITIES, rng.randint(0, 2)),
        needs=rng.sample([*ACCOMMODATIONS, "withdrawal", "isolation"], rng.randint(0, 2)),
        age_band=rng.choice([None, *AGE_BANDS]),
    )


async def top10(conn: asyncpg.Connection, seeker: Seeker) -> list:
    """What the matches endpoint does: the query, then the reasons for the 10 it returns."""
    p = plan(seeker, RULES)
    ranked = await store.find(conn, seeker, p, RULES.weights, limit=10)
    for r in ranked:
        explain(seeker, p, r)
    return ranked


async def seq_scan_top10(conn: asyncpg.Connection, seeker: Seeker) -> list:
    """The same filter and score over every allowed kind in one query, reading every row."""
    p = plan(seeker, RULES)
    sql, args = store.brute_force_query(seeker, p, RULES.weights, limit=10)
    async with conn.transaction():
        await conn.execute("SET LOCAL enable_indexscan = off; SET LOCAL enable_bitmapscan = off;"
                           " SET LOCAL enable_indexonlyscan = off")
        ranked = [store.ranked_row(r) for r in await conn.fetch(sql, *args)]
    for r in ranked:
        explain(seeker, p, r)
    return ranked


async def python_top10(conn: asyncpg.Connection, seeker: Seeker) -> list:
    rows = await conn.fetch(
        "SELECT id, kind, lat, lon, capacity, seats_taken, status, accommodations, languages, activities, for_ages,"
        " hours, flexible_hours FROM opportunities WHERE status = 'open'")
    candidates = [Candidate(
        id=r["id"], kind=r["kind"], lat=r["lat"], lon=r["lon"], capacity=r["capacity"], seats_taken=r["seats_taken"],
        status=r["status"], accommodations=tuple(r["accommodations"]), languages=tuple(r["languages"]),
        activities=tuple(r["activities"]), for_ages=tuple(r["for_ages"]),
        hours=frozenset(bits_hours(r["hours"].as_string())), flexible=r["flexible_hours"]) for r in rows]
    return rank(seeker, candidates, RULES, limit=10)


async def _timed(fn, conn: asyncpg.Connection, seeker: Seeker) -> tuple[float, list]:
    started = time.perf_counter()
    result = await fn(conn, seeker)
    return (time.perf_counter() - started) * 1000, result


def _ids(ranked: list) -> list[tuple[uuid.UUID, float]]:
    return [(r.candidate.id, r.score) for r in ranked]


async def run() -> None:
    env = BenchEnv.from_environment()
    rng = random.Random(20261127)
    try:
        url = await env.database("participation", SPEC.all_migrations())
        areas = make_areas(rng)
        print(f"participation: {N_OPPORTUNITIES:,} open opportunities in {len(areas)} areas of one made-up city "
              f"(~{SIDE_KM:.0f} km square), {N_REQUESTS:,} varied requests, top 10 each")
        started = time.perf_counter()
        raw = await asyncpg.connect(url)  # plain codecs: COPY sends jsonb as text
        try:
            records = [make_opportunity(rng, areas) for _ in range(N_OPPORTUNITIES)]
            await raw.copy_records_to_table("opportunities", records=records, columns=COLUMNS)
            await raw.execute("ANALYZE opportunities")
        finally:
            await raw.close()
        print(f"  loaded and analysed in {time.perf_counter() - started:.1f} s")
        seekers = [make_seeker(rng, areas) for _ in range(N_REQUESTS)]
        pool = await create_pool(url, min_size=1, max_size=2)
        try:
            async with pool.acquire() as conn:
                for s in seekers[:20]:  # warm the caches and the prepared statements
                    await top10(conn, s)
                indexed, results = [], []
                for s in seekers:
                    ms, ranked = await _timed(top10, conn, s)
                    indexed.append(ms)
                    results.append(ranked)
                found = [len(r) for r in results]
                print(f"  indexed (GET matches' query and reasons): {summary(indexed)}")
                print(f"    matches per request: p50 {percentile(found, 50):.0f}, "
                      f"{sum(1 for n in found if n == 0)} requests with none (they would wait, with a gap need)")

                scanned, same = [], 0
                for s, expected in zip(seekers, results, strict=True):
                    ms, ranked = await _timed(seq_scan_top10, conn, s)
                    scanned.append(ms)
                    same += _ids(ranked) == _ids(expected)
                print(f"  brute force, the same SQL as a sequential scan (index scans off): {summary(scanned)}")
                print(f"    same top 10 as indexed: {same}/{len(seekers)}")

                loaded, same_py = [], 0
                for s, expected in zip(seekers[:N_PYTHON], results, strict=False):
                    ms, ranked = await _timed(python_top10, conn, s)
                    loaded.append(ms)
                    same_py += _ids(ranked) == _ids(expected)
                print(f"  brute force, load every open row and rank in Python (first {N_PYTHON}): {summary(loaded)}")
                print(f"    same top 10 as indexed: {same_py}/{len(loaded)}")
        finally:
            await pool.close()
        p50, p99 = percentile(indexed, 50), percentile(indexed, 99)
        print(f"  target p99 <= 50 ms: p99 = {p99:.1f} ms")
        print(f"  speed-up over the sequential scan: p50 {percentile(scanned, 50) / p50:.1f}x, "
              f"p99 {percentile(scanned, 99) / p99:.1f}x, mean "
              f"{sum(scanned) / len(scanned) / (sum(indexed) / len(indexed)):.1f}x  (target >= 10x)")
        print(f"  speed-up over load-and-rank in Python: p50 {percentile(loaded, 50) / p50:.0f}x")
    finally:
        await env.cleanup()


if __name__ == "__main__":
    asyncio.run(run())
