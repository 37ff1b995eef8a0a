"""Matching's pure rules, without servers: hard constraints, steps, score parts, reasons,
geometry and schedules."""

from __future__ import annotations

import random
import uuid
from dataclasses import replace
from datetime import date

import pytest
from kasane_participation.matching.matching import (
    LADDER,
    Candidate,
    Seeker,
    beyond_bound,
    bounding_box,
    haversine_km,
    kind_bounds,
    plan,
    rank,
    reach_km,
    round_score,
    search_radii,
    step_scores,
    unmet,
)
from kasane_participation.matching.reasons import explain
from kasane_participation.placements.statuses import (
    InvalidTransition,
    follow_up_dates,
    next_status,
    request_after_end,
)
from kasane_participation.rules import ParticipationRules, StepScores, load_rules
from kasane_participation.schedule import availability_hours, describe_hours, opportunity_hours, slot_hours
from kasane_shared.contracts.codes import PlacementOutcome
from kasane_shared.contracts.coordination import Availability
from kasane_shared.contracts.participation import Slot
from kasane_shared.profile import load_profile

from tests.support.stack import PROFILE

RULES = ParticipationRules(version="test")
HOME = (35.048, 136.892)
MON_10_14 = frozenset(range(10, 14))


def _seeker(**kw) -> Seeker:
    base = dict(lat=HOME[0], lon=HOME[1], travel_km=3.0, current_step=None, max_step="employment_trial",
                required=("quiet_space",), languages=("pt",), hours=MON_10_14, preferences=(), needs=(),
                age_band=None)
    base.update(kw)
    return Seeker(**base)


def _north(km: float) -> float:
    return HOME[0] + km / 111.19508


def _perfect(**kw) -> Candidate:
    base = dict(id=uuid.UUID(int=1), kind="place_to_be", lat=_north(1.0), lon=HOME[1], capacity=3,
                accommodations=("quiet_space", "short_hours"), languages=("ja", "pt"),
                hours=frozenset(range(10, 12)))
    base.update(kw)
    return Candidate(**base)


VARIANTS = {
    "open": {"status": "paused"},
    "capacity": {"seats_taken": 3},
    "step": {"kind": "employment"},
    "schedule": {"hours": frozenset(range(3 * 24 + 10, 3 * 24 + 12))},
    "travel": {"lat": _north(3.2)},
    "accommodations": {"accommodations": ("short_hours",)},
    "language": {"languages": ("ja",)},
}


def test_the_perfect_opportunity_meets_every_hard_constraint() -> None:
    s = _seeker()
    assert unmet(s, plan(s, RULES), _perfect()) == []


@pytest.mark.parametrize("constraint", list(VARIANTS))
def test_each_hard_constraint_alone_excludes(constraint: str) -> None:
    s = _seeker()
    spoiled = _perfect(**VARIANTS[constraint])
    assert unmet(s, plan(s, RULES), spoiled) == [constraint]
    assert [r.candidate.id for r in rank(s, [_perfect(id=uuid.UUID(int=2)), spoiled], RULES)] == [uuid.UUID(int=2)]


def test_no_language_or_availability_given_means_no_such_constraint() -> None:
    s = _seeker(languages=(), hours=frozenset())
    c = _perfect(languages=("ja",), hours=frozenset({6 * 24 + 20}))
    assert unmet(s, plan(s, RULES), c) == []


def test_steps_prefer_the_next_one_and_never_pass_max_step() -> None:
    scores = StepScores()
    first = step_scores(None, "employment_trial", [], scores)
    assert list(first) == ["place_to_be", "volunteering", "employment_trial"]
    assert first["place_to_be"] == 1.0 > first["volunteering"] > first["employment_trial"]
    on_place = step_scores("place_to_be", None, [], scores)
    assert max(on_place, key=on_place.get) == "volunteering"
    assert on_place["place_to_be"] == scores.same
    # staying beats jumping ahead: gradual, unhurried steps
    assert on_place["volunteering"] > on_place["place_to_be"] > on_place["employment_trial"] > on_place["employment"]
    at_trial = step_scores("employment_trial", "employment_trial", [], scores)
    assert at_trial["employment_trial"] == scores.same and at_trial["place_to_be"] == scores.back
    assert "supported_employment" not in at_trial
    # off-ladder kinds only when asked for
    assert "learning_support" not in first
    assert step_scores(None, None, ["learning_support"], scores)["learning_support"] == scores.off_ladder


def test_ranking_parts_score_and_reasons() -> None:
    s = _seeker(preferences=("place_to_be",), needs=("short_hours", "withdrawal"), age_band="40-44")
    p = plan(s, RULES)
    assert p.wished == ("short_hours",)
    near = _perfect(id=uuid.UUID(int=1), lat=_north(0.6), activities=("ibasho",))
    far_trial = _perfect(id=uuid.UUID(int=2), kind="employment_trial", lat=_north(2.4),
                         accommodations=("quiet_space",), for_ages=("15-19",))
    top, second = rank(s, [far_trial, near], RULES)
    assert top.candidate.id == near.id
    assert top.parts == pytest.approx({"step": 1.0, "distance": 0.8, "preference": 1.0, "schedule": 1.0,
                                       "comfort": 1.0, "audience": 1.0}, abs=1e-3)
    w = RULES.weights
    assert top.score == pytest.approx(w.step + 0.8 * w.distance + w.preference + w.schedule + w.comfort
                                      + w.audience, abs=1e-3)
    assert second.parts["preference"] == 0.0 and second.parts["comfort"] == 0.0
    # two steps past the next one: 1 - 2 x 0.5, raised to the floor
    assert second.parts["audience"] == 0.0 and second.parts["step"] == RULES.steps.floor
    codes = [r.code for r in explain(s, p, top)]
    assert codes == ["step.first", "distance", "preference.match", "schedule.overlap", "comfort.offered",
                     "audience.fits", "required.met", "language.met", "seats.free"]
    texts = {r.code: r.text for r in explain(s, p, top)}
    assert texts["distance"].startswith("0.6 km from the centre of the home area, within the 3 km")
    assert texts["schedule.overlap"] == "2 of its 2 weekly hours fall when the person is available"
    assert texts["language.met"] == "Can be taken part in in Portuguese"
    assert "2 step(s) beyond" in {r.code: r.text for r in explain(s, p, second)}["step.jump"]
    assert {r.code: r.text_ja for r in explain(s, p, top)}["required.met"] == "必要な配慮をすべて提供：静かな場所"


def test_ranking_is_deterministic_whatever_the_input_order() -> None:
    rng = random.Random(7)
    s = _seeker(required=(), languages=(), hours=frozenset(), travel_km=5.0, max_step=None)
    cands = [_perfect(id=uuid.UUID(int=i), kind=rng.choice(LADDER), lat=_north(rng.choice([0.5, 1.0, 2.0])))
             for i in range(1, 60)]
    first = [r.candidate.id for r in rank(s, cands, RULES)]
    for _ in range(5):
        rng.shuffle(cands)
        assert [r.candidate.id for r in rank(s, cands, RULES)] == first
    # equal scores and distances fall back to the id, ascending
    twins = [_perfect(id=uuid.UUID(int=9)), _perfect(id=uuid.UUID(int=3))]
    assert [r.candidate.id.int for r in rank(s, twins, RULES)] == [3, 9]


def test_haversine_and_the_bounding_box() -> None:
    # Tokyo station to Osaka station: about 403 km
    assert haversine_km(35.6812, 139.7671, 34.7025, 135.4959) == pytest.approx(403, abs=2)
    assert haversine_km(*HOME, _north(1.0), HOME[1]) == pytest.approx(1.0, abs=1e-6)
    lat_min, lat_max, lon_min, lon_max = bounding_box(*HOME, 5.0)
    rng = random.Random(3)
    for _ in range(2000):  # every point within 5 km lies inside the box
        lat, lon = HOME[0] + rng.uniform(-0.06, 0.06), HOME[1] + rng.uniform(-0.07, 0.07)
        if haversine_km(*HOME, lat, lon) <= 5.0:
            assert lat_min <= lat <= lat_max and lon_min <= lon <= lon_max


def test_round_score_rounds_half_up_like_postgresql() -> None:
    assert round_score(0.1234565) == 0.123457
    assert round_score(0.1234564999) == 0.123456
    assert round_score(1.0) == 1.0


def test_schedules_become_hours_of_the_week() -> None:
    assert slot_hours([Slot(weekday=0, start_hour=10, end_hour=12), Slot(weekday=2, start_hour=23, end_hour=24)]) \
        == [10, 11, 71]
    assert availability_hours([Availability(weekdays=[0, 1], start_hour=9, end_hour=10)]) == [9, 33]
    hours, flexible = opportunity_hours([])
    assert flexible and len(hours) == 168
    assert describe_hours([10, 11, 13, 33]) == "Mon 10-12, 13-14; Tue 9-10"


def test_placement_lifecycle_and_follow_up_schedule() -> None:
    assert next_status("active", "pause") == "paused"
    assert next_status("paused", "resume") == "active"
    assert next_status("paused", "end") == "ended"
    with pytest.raises(InvalidTransition):
        next_status("ended", "pause")
    assert follow_up_dates(date(2026, 4, 1), [30, 7, 90, 7]) == [date(2026, 4, 8), date(2026, 5, 1),
                                                               date(2026, 6, 30)]
    assert request_after_end(PlacementOutcome.moved_to_next_step, "place_to_be", None) == \
        ("open", "place_to_be", None)
    assert request_after_end(PlacementOutcome.moved_to_next_step, "place_to_be", "volunteering") == \
        ("open", "volunteering", None)
    assert request_after_end(PlacementOutcome.continuing, "employment_trial", "volunteering") == \
        ("closed", "volunteering", "placement_continuing")
    assert request_after_end(PlacementOutcome.ended_by_host, "volunteering", None) == ("open", None, None)


def test_the_sample_profile_section_validates() -> None:
    rules = load_rules(load_profile(PROFILE))
    assert rules.version and rules.is_coordinator("sk-jusou-suishin")
    assert sum(rules.weights.model_dump().values()) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="sum to 1"):
        ParticipationRules(version="x", weights=replace_weights(step=0.9))


def replace_weights(**kw: float) -> dict[str, float]:
    return {**RULES.weights.model_dump(), **kw}


def test_reasons_say_why_a_step_back_or_flexible_time() -> None:
    s = _seeker(current_step="volunteering", required=(), languages=())
    c = _perfect(flexible=True, hours=frozenset(range(168)))
    r = rank(s, [c], RULES)[0]
    codes = {x.code for x in explain(s, plan(s, RULES), r)}
    assert {"step.back", "schedule.flexible"} <= codes
    assert r.parts["schedule"] == 0.5
    assert replace(c, seats_taken=2).free_seats == 1


def test_search_radii_grow_to_the_travel_range() -> None:
    assert search_radii(1.5) == [1.5]
    assert search_radii(3.0) == [1.0, 2.0, 3.0]
    assert search_radii(8.0) == [2.0, 4.0, 8.0]


def test_kind_bounds_are_never_beaten_so_the_search_may_stop() -> None:
    """The search stops when the N-th best beats what unread rows could reach: that is only
    exact if no opportunity of a kind ever scores above its bound minus the distance it lies out."""
    rng = random.Random(5)
    for _ in range(300):
        s = _seeker(current_step=rng.choice([None, *LADDER[:4]]), max_step=None, required=(), languages=(),
                    hours=rng.choice([frozenset(), MON_10_14]),
                    preferences=rng.choice([(), ("ibasho",), ("volunteering",), ("place_to_be", "farming")]),
                    needs=rng.choice([(), ("short_hours", "quiet_space")]), age_band=rng.choice([None, "40-44"]),
                    travel_km=rng.choice([1.0, 3.0, 8.0]))
        p = plan(s, RULES)
        bounds = dict(kind_bounds(s, p, RULES.weights))
        assert list(bounds.values()) == sorted(bounds.values(), reverse=True)
        c = _perfect(kind=rng.choice(list(bounds)), lat=_north(rng.uniform(0, s.travel_km)),
                     accommodations=tuple(rng.sample(["short_hours", "quiet_space", "gradual_start"], 2)),
                     activities=rng.choice([(), ("ibasho",)]), for_ages=rng.choice([(), ("15-19",)]),
                     hours=frozenset(rng.sample(range(9, 15), 3)))
        for r in rank(s, [c], RULES):
            assert r.raw <= beyond_bound(bounds[c.kind], r.distance_km, s, RULES.weights) + 1e-12


def test_beyond_its_reach_a_kind_cannot_score_the_nth_best() -> None:
    s = _seeker(travel_km=8.0)
    w = RULES.weights
    assert reach_km(1.0, 0.85, s, w) == pytest.approx(8.0 * 0.15 / 0.25)
    assert reach_km(1.0, 0.5, s, w) == 8.0  # capped at the range
    for bound, kth in ((1.0, 0.85), (0.755, 0.62), (0.9, 0.9)):
        r = reach_km(bound, kth, s, w)
        assert beyond_bound(bound, r + 1e-6, s, w) < kth
