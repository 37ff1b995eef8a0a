"""The kind-by-kind search with bounds (matching.store.find) returns exactly what scoring
every opportunity in range returns, on a few thousand generated opportunities in PostgreSQL."""

from __future__ import annotations

import json
import random
import uuid

import asyncpg
import pytest
from kasane_participation.matching import store
from kasane_participation.matching.matching import LADDER, plan, seeker_from
from kasane_participation.rules import load_rules
from kasane_participation.schedule import hours_bits, opportunity_hours
from kasane_shared.contracts.participation import Slot
from kasane_shared.profile import load_profile

from tests.participation.helpers import HOME, SPEC
from tests.support.service_env import service_env
from tests.support.stack import PROFILE, TestStack

pytestmark = pytest.mark.integration

KINDS = ["place_to_be", "volunteering", "employment_trial", "supported_employment", "employment",
         "learning_support"]
ACCOMMODATIONS = ["short_hours", "gradual_start", "no_phone_calls", "quiet_space", "wheelchair_access",
                  "supporter_present"]


def _row(rng: random.Random) -> tuple:
    lat = HOME[0] + rng.uniform(-0.09, 0.09)
    lon = HOME[1] + rng.uniform(-0.11, 0.11)
    slots = [Slot(weekday=rng.randint(0, 6), start_hour=(h := rng.randint(8, 18)), end_hour=h + rng.randint(1, 5))
             for _ in range(rng.randint(0, 3))]
    hours, flexible = opportunity_hours(slots)
    capacity = rng.randint(1, 5)
    return (uuid.uuid4(), rng.choice(KINDS), "SK-N-01", lat, lon, "coordinates", capacity,
            rng.randint(0, capacity - 1), "open", json.dumps([]), flexible, asyncpg.BitString(hours_bits(hours)),
            sorted(rng.sample(ACCOMMODATIONS, rng.randint(0, 3))), rng.choice([["ja"], ["ja", "pt"], ["en", "ja"]]),
            rng.choice([[], ["ibasho"], ["farming"], ["farming", "cooking"]]),
            rng.choice([[], [], ["all"], ["40-44"], ["15-19", "20-24"]]), True)


COLUMNS = ["id", "kind", "area_code", "lat", "lon", "located_by", "capacity", "seats_taken", "status", "schedule",
           "flexible_hours", "hours", "accommodations", "languages", "activities", "for_ages", "published"]


async def test_the_bounded_search_equals_scoring_everything(stack: TestStack) -> None:
    rules = load_rules(load_profile(PROFILE))
    rng = random.Random(29)
    async with service_env(stack, SPEC, "p_search") as svc:
        raw = await asyncpg.connect(svc.settings.database_url)  # plain codecs: COPY sends jsonb as text
        try:
            await raw.copy_records_to_table("opportunities", records=[_row(rng) for _ in range(3000)],
                                            columns=COLUMNS)
            await raw.execute("ANALYZE opportunities")
        finally:
            await raw.close()
        compared = 0
        async with svc.pool.acquire() as conn:
            for _ in range(120):
                current = rng.choice([None, *LADDER[:4]])
                s = seeker_from(
                    lat=HOME[0] + rng.uniform(-0.03, 0.03), lon=HOME[1] + rng.uniform(-0.03, 0.03),
                    travel_km=rng.choice([0.8, 1.5, 3.0, 6.0, 9.0]), current_step=current,
                    max_step=rng.choice([None, "employment_trial", "employment"]),
                    required=rng.sample(ACCOMMODATIONS[:3], rng.randint(0, 1)),
                    languages=rng.choice([[], ["ja"], ["pt"]]),
                    hours=rng.choice([[], list(range(10, 16)) + list(range(58, 64))]),
                    preferences=rng.choice([[], ["volunteering"], ["farming"], ["learning_support", "ibasho"]]),
                    needs=rng.sample(["quiet_space", "short_hours", "withdrawal"], rng.randint(0, 2)),
                    age_band=rng.choice([None, "40-44"]))
                p = plan(s, rules)
                limit = rng.choice([1, 5, 10, 25])
                found = await store.find(conn, s, p, rules.weights, limit=limit)
                sql, args = store.brute_force_query(s, p, rules.weights, limit=limit)
                everything = [store.ranked_row(r) for r in await conn.fetch(sql, *args)]
                assert [(r.candidate.id, r.raw) for r in found] == [(r.candidate.id, r.raw) for r in everything]
                compared += len(found)
        assert compared > 500
