"""GET /v1/requests/{id}/matches over real PostgreSQL: each hard constraint filters in SQL,
ranking gives reasons and the score's parts, the same data gives the same answer, steps
are respected, and SQL agrees with the Python rules."""

from __future__ import annotations

import random
import uuid

import pytest
from kasane_participation.matching.matching import Candidate, rank
from kasane_participation.requests.service import seeker
from kasane_participation.rules import load_rules
from kasane_participation.schedule import bits_hours
from kasane_shared.profile import load_profile

from tests.participation.helpers import COORDINATOR, PROVIDER, SPEC, Api
from tests.support.service_env import service_env
from tests.support.stack import PROFILE, TestStack

pytestmark = pytest.mark.integration

# One attribute changed from the perfect opportunity, each breaking one hard constraint.
SPOILERS = {
    "open": {"status": "paused"},
    "capacity": {"capacity": 1, "_fill": True},
    "step": {"kind": "employment"},
    "schedule": {"schedule": [{"weekday": 3, "start_hour": 10, "end_hour": 12}]},
    "travel": {"km": 3.3},
    "accommodations": {"accommodations": ["short_hours"]},
    "language": {"languages": ["ja"]},
}


@pytest.mark.parametrize("constraint", list(SPOILERS))
async def test_each_hard_constraint_alone_excludes_an_otherwise_perfect_opportunity(
        stack: TestStack, constraint: str) -> None:
    async with service_env(stack, SPEC, f"p_hard_{constraint}") as svc:
        api = Api(svc)
        perfect = await api.opportunity()
        spoil = dict(SPOILERS[constraint])
        fill = spoil.pop("_fill", False)
        status = spoil.pop("status", None)
        spoiled = await api.opportunity(**spoil)
        if status is not None:
            r = await svc.client.patch(f"/v1/opportunities/{spoiled['id']}", json={"status": status},
                                       headers=api.auth(PROVIDER))
            assert r.status_code == 200 and r.json()["status"] == status
        if fill:  # someone else takes its only place
            other = await api.request()
            await api.accept((await api.propose(other["id"], spoiled["id"]))["id"])
            assert (await api.get(f"/v1/opportunities/{spoiled['id']}"))["status"] == "full"
        request = await api.request()
        assert await api.match_ids(request["id"]) == [perfect["id"]]
        # and the reason given when proposing it anyway names exactly that constraint
        r = await svc.client.post(f"/v1/requests/{request['id']}/proposals",
                                  json={"opportunity_id": spoiled["id"]}, headers=api.auth())
        assert r.status_code == 422, r.text
        assert r.json()["unmet"] == [constraint]
        assert r.json()["errors"][0]["field"] == "opportunity_id"


async def test_ranking_gives_reasons_and_the_scores_parts(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "p_ranking") as svc:
        api = Api(svc)
        near = await api.opportunity(km=0.6, title="ひだまりの居場所", activities=["ibasho"])
        trial = await api.opportunity(km=1.5, kind="employment_trial", accommodations=["quiet_space"])
        far = await api.opportunity(km=2.7, languages=["pt"])
        request = await api.request(preferences=["ibasho"], needs=["short_hours"], age_band="40-44")
        result = await api.matches(request["id"])
        assert [m["opportunity"]["id"] for m in result["matches"]] == [near["id"], far["id"], trial["id"]]
        assert result["hard_constraints"] == ["open", "capacity", "step", "schedule", "travel",
                                              "accommodations", "language"]
        best = result["matches"][0]
        assert best["rank"] == 1 and best["opportunity"]["title"] == "ひだまりの居場所"
        assert set(best["parts"]) == {"step", "distance", "preference", "schedule", "comfort", "audience"}
        for part in best["parts"].values():
            assert part["points"] == pytest.approx(part["value"] * part["weight"], abs=1e-6)
        assert best["score"] == pytest.approx(sum(p["points"] for p in best["parts"].values()), abs=1e-5)
        assert best["parts"]["distance"]["value"] == pytest.approx(0.8, abs=1e-3)
        assert best["parts"]["preference"]["value"] == 1.0
        texts = [r["text"] for r in best["reasons"]]
        assert texts[0] == "A first step: a place to be"
        assert "0.6 km from the centre of the home area, within the 3 km the person can travel" in texts
        assert "Matches what the person likes: ibasho" in texts
        assert "Also offers short hours, as the person wishes" in texts
        assert "Offers every accommodation required: a quiet space" in texts
        assert "3 of 3 places free" in texts
        assert all(r["text_ja"] for r in best["reasons"])
        trial_reasons = {r["code"]: r for r in result["matches"][2]["reasons"]}
        assert trial_reasons["step.jump"]["part"] == "step"
        assert trial_reasons["comfort.missing"]["text"] == "Does not offer short hours (wished, not required)"
        # deterministic: the same data answers the same, twice
        assert await api.matches(request["id"]) == result


async def test_equal_scores_are_ordered_by_distance_then_id(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "p_ties") as svc:
        api = Api(svc)
        twins = [await api.opportunity(km=1.0) for _ in range(4)]
        nearer = await api.opportunity(km=0.99999)
        request = await api.request(max_step="place_to_be")
        ids = await api.match_ids(request["id"])
        assert ids == [nearer["id"], *sorted(t["id"] for t in twins)]


async def test_matching_is_step_aware(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "p_steps") as svc:
        api = Api(svc)
        by_kind = {k: (await api.opportunity(kind=k, km=1.0))["id"]
                   for k in ("place_to_be", "volunteering", "employment_trial", "supported_employment",
                             "employment", "learning_support")}
        kind_of = {v: k for k, v in by_kind.items()}

        async def kinds(**kw) -> list[str]:
            request = await api.request(**kw)
            return [kind_of[i] for i in await api.match_ids(request["id"])]

        # withdrawn, not taking part anywhere yet: a place to be first, never beyond the limit
        assert await kinds(current_step=None, max_step="employment_trial") == \
            ["place_to_be", "volunteering", "employment_trial"]
        # at a place to be: volunteering next, staying is fine, a trial is one step further
        assert await kinds(current_step="place_to_be", max_step="employment_trial") == \
            ["volunteering", "place_to_be", "employment_trial"]
        # at a trial with no limit: supported employment next; going back stays possible, last
        at_trial = await kinds(current_step="employment_trial", max_step=None)
        assert at_trial[:3] == ["supported_employment", "employment_trial", "employment"]
        assert set(at_trial[3:]) == {"place_to_be", "volunteering"}
        # off-ladder support only when asked for
        assert "learning_support" in await kinds(max_step="place_to_be", preferences=["learning_support"])


async def test_postgresql_and_the_python_rules_agree(stack: TestStack) -> None:
    rules = load_rules(load_profile(PROFILE))
    rng = random.Random(11)
    async with service_env(stack, SPEC, "p_agree") as svc:
        api = Api(svc)
        for _ in range(60):
            await api.opportunity(
                kind=rng.choice(["place_to_be", "volunteering", "employment_trial", "employment"]),
                km=rng.uniform(0, 6), capacity=rng.randint(1, 5),
                accommodations=rng.sample(["quiet_space", "short_hours", "gradual_start", "supporter_present"],
                                          rng.randint(0, 3)),
                languages=rng.choice([["ja"], ["ja", "pt"], ["ja", "en"]]),
                schedule=[{"weekday": rng.randint(0, 6), "start_hour": h, "end_hour": h + rng.randint(1, 4)}
                          for h in rng.sample(range(8, 18), rng.randint(0, 2))],
                for_ages=rng.choice([[], ["all"], ["40-44"], ["15-19", "20-24"]]),
                activities=rng.choice([[], ["ibasho"], ["farming"]]),
            )
        rows = await svc.pool.fetch("SELECT * FROM opportunities")
        candidates = [Candidate(
            id=r["id"], kind=r["kind"], lat=r["lat"], lon=r["lon"], capacity=r["capacity"],
            seats_taken=r["seats_taken"], status=r["status"], accommodations=tuple(r["accommodations"]),
            languages=tuple(r["languages"]), activities=tuple(r["activities"]), for_ages=tuple(r["for_ages"]),
            hours=frozenset(bits_hours(r["hours"].as_string())), flexible=r["flexible_hours"]) for r in rows]
        compared = 0
        for _ in range(12):
            request = await api.request(
                travel_km=rng.choice([1.5, 3, 5]), current_step=rng.choice([None, "place_to_be", "volunteering"]),
                max_step=rng.choice([None, "employment_trial"]),
                required_accommodations=rng.sample(["quiet_space", "short_hours"], rng.randint(0, 1)),
                languages=rng.choice([[], ["pt"], ["ja", "en"]]),
                preferences=rng.choice([[], ["volunteering"], ["farming"]]), needs=["gradual_start"],
                age_band=rng.choice([None, "40-44"]),
                availability=rng.choice([[], [{"weekdays": [0, 1, 2, 3, 4], "start_hour": 9, "end_hour": 17}]]))
            row = await svc.pool.fetchrow("SELECT * FROM participation_requests WHERE id = $1",
                                          uuid.UUID(request["id"]))
            expected = rank(seeker(row), candidates, rules, limit=50)
            got = (await api.matches(request["id"], limit=50))["matches"]
            assert [m["opportunity"]["id"] for m in got] == [str(r.candidate.id) for r in expected]
            assert [m["score"] for m in got] == [r.score for r in expected]
            compared += len(got)
        assert compared > 30  # the random data did produce matches to compare


async def test_who_may_see_a_requests_matches(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "p_match_access") as svc:
        api = Api(svc)
        await api.opportunity()
        mine = await api.request(agency="sk-jiritsu")
        # the agency that made it and coordinators see it; others get 404, not 403
        assert (await api.matches(mine["id"], agency="sk-jiritsu"))["matches"]
        assert (await api.matches(mine["id"], agency=COORDINATOR))["matches"]
        r = await svc.client.get(f"/v1/requests/{mine['id']}/matches", headers=api.auth("sk-kosodate"))
        assert r.status_code == 404
        r = await svc.client.get(f"/v1/requests/{mine['id']}/matches",
                                 headers=api.auth(COORDINATOR, "opportunities:read"))
        assert r.status_code == 403
        audited = await svc.pool.fetchval(
            "SELECT count(*) FROM audit_log WHERE resource_type = 'participation_request' AND action = 'read'"
            " AND resource_id = $1", mine["id"])
        assert audited == 2
