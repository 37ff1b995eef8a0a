"""Development stages and gap-need grouping: pure rules, no servers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from kasane_community.developments.grouping import GapNeed, group_gap_needs, needs_of, outside_area
from kasane_community.developments.lifecycle import allowed_moves, can_move, can_produce
from kasane_shared.contracts.codes import DevelopmentStatus as S

T0 = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(("current", "to", "ok"), [
    (S.idea, S.talks, True), (S.talks, S.trial, True), (S.trial, S.running, True),
    (S.idea, S.trial, True),  # skipping ahead: an organisation ready at once
    (S.trial, S.talks, True),  # a trial that did not work out goes back to talks
    (S.running, S.trial, False), (S.talks, S.idea, False), (S.running, S.running, False),
    (S.running, S.dropped, True), (S.idea, S.dropped, True),
    (S.dropped, S.idea, False), (S.dropped, S.talks, False), (S.dropped, S.dropped, False),
])
def test_stage_moves(current: S, to: S, ok: bool) -> None:
    assert can_move(current, to) is ok
    assert (to in allowed_moves(current)) is ok


def test_only_a_trial_or_running_project_can_have_produced_something() -> None:
    assert [s for s in S if can_produce(s)] == [S.trial, S.running]


def _need(area: str, *codes: str, minutes: int = 0, development: uuid.UUID | None = None,
          kinds: tuple[str, ...] = ("place_to_be",), languages: tuple[str, ...] = ("ja",)) -> GapNeed:
    return GapNeed(id=uuid.uuid4(), area_code=area, need_codes=codes, wanted_kinds=kinds, accommodations=(),
                   languages=languages, recorded_at=T0 + timedelta(minutes=minutes), development_id=development)


def test_gap_needs_group_by_area_and_need_with_the_open_ones_listed() -> None:
    project = uuid.uuid4()
    a1 = _need("SK-N-01", "daytime_place", "isolation", minutes=1)
    a2 = _need("SK-N-01", "daytime_place", minutes=2, languages=("pt",))
    a3 = _need("SK-N-01", "daytime_place", minutes=3, development=project)
    b1 = _need("SK-N-02", "daytime_place", minutes=4)
    groups = group_gap_needs([a3, b1, a2, a1])
    top = groups[0]
    assert (top.area_code, top.need_code) == ("SK-N-01", "daytime_place")
    assert (top.gap_needs, top.open) == (3, 2)
    assert top.open_gap_need_ids == [a1.id, a2.id]  # oldest first
    assert top.development_ids == [project]
    assert top.languages == {"ja": 2, "pt": 1} and top.wanted_kinds == {"place_to_be": 3}
    assert (top.first_recorded_at, top.last_recorded_at) == (a1.recorded_at, a3.recorded_at)
    assert {(g.area_code, g.need_code) for g in groups} == {
        ("SK-N-01", "daytime_place"), ("SK-N-01", "isolation"), ("SK-N-02", "daytime_place")}
    assert [g.need_code for g in group_gap_needs([a3], open_only=True)] == []


def test_a_gap_need_naming_a_code_twice_counts_once() -> None:
    groups = group_gap_needs([_need("SK-C", "meal", "meal")])
    assert [(g.need_code, g.gap_needs) for g in groups] == [("meal", 1)]


def test_needs_of_a_project_most_frequent_first_and_area_check() -> None:
    needs = [_need("SK-N-01", "meal", "daytime_place"), _need("SK-N-02", "daytime_place"), _need("SK-C", "meal")]
    assert needs_of(needs) == ["daytime_place", "meal"]  # ties by code
    assert outside_area(needs, {"SK-N", "SK-N-01", "SK-N-02"}) == [needs[2].id]
