"""Small-number suppression, checked against an attacker who tries every possibility.

Pure logic, no servers. The brute-force attacker enumerates every assignment of the
hidden counts consistent with what a table publishes (numbers, "<N" = 0..N-1, "x" = N
or more, and the sums along the area hierarchy) and collects the values each cell could
have. The protection goal: every small count could still be any of 1..N-1 (0..N-1 when
zeros are suppressed too), whatever is subtracted from what.
"""

from __future__ import annotations

import itertools
import random

import pytest
from kasane_community.statistics.suppression import (
    Cell,
    Hierarchy,
    Mark,
    exposed_cells,
    protect,
    ranges,
    rolled,
    unassigned,
)
from kasane_shared.profile import load_profile

from tests.support.stack import PROFILE

# a city with one area of one sub-area, one of two, one of three, and a leaf
SHAPES = {
    "mixed": Hierarchy(roots=("R",), children={"R": ("A", "B", "C"), "B": ("B1", "B2"), "C": ("C1",)}),
    "wide": Hierarchy(roots=("R",), children={"R": ("A", "B"), "B": ("B1", "B2", "B3")}),
}


def _leaves(h: Hierarchy) -> list[str]:
    return [n for n in h.nodes if not h.parts(n)]


def attacker(h: Hierarchy, cells: dict[str, Cell], threshold: int) -> dict[str, set[int]]:
    """Every value each cell can take, given only what the table publishes."""
    # an "x" leaf never needs to go further than this for a small cell to take any value
    cap = max(cells[leaf].value for leaf in _leaves(h)) + threshold
    domains = []
    for leaf in _leaves(h):
        c = cells[leaf]
        domains.append([c.value] if c.mark == Mark.shown
                       else range(threshold) if c.mark == Mark.small else range(threshold, cap + 1))
    feasible: dict[str, set[int]] = {n: set() for n in h.nodes}
    for combo in itertools.product(*domains):
        own = {leaf.removesuffix("/unassigned"): v for leaf, v in zip(_leaves(h), combo, strict=True)}
        values = rolled(h, own)
        if all(_consistent(values[n], c, threshold) for n, c in cells.items()):
            for n in h.nodes:
                feasible[n].add(values[n])
    return feasible


def _consistent(value: int, cell: Cell, threshold: int) -> bool:
    if cell.mark == Mark.shown:
        return value == cell.value
    return value < threshold if cell.mark == Mark.small else value >= threshold


def _tables(seed: int, n: int) -> list[dict[str, int]]:
    rnd = random.Random(seed)
    areas = ["R", "A", "B", "B1", "B2", "B3", "C", "C1"]
    return [{a: rnd.choice([0, 0, 0, 1, 2, 3, 4, 6, 9]) for a in areas} for _ in range(n)]


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("threshold", [3, 5])
def test_no_small_count_can_be_narrowed_by_any_subtraction(shape: str, threshold: int) -> None:
    h = SHAPES[shape]
    checked = 0
    for own in _tables(seed=threshold * 7 + len(shape), n=30):
        cells = protect(h, own, threshold=threshold)
        feasible = attacker(h, cells, threshold)
        for node, cell in cells.items():
            if 0 < cell.value < threshold:
                assert cell.mark == Mark.small, f"{node}={cell.value} is shown in {own}"
                assert set(range(1, threshold)) <= feasible[node], (
                    f"{node}={cell.value} narrowed to {sorted(feasible[node])} in {own}: "
                    f"{ {n: c.display(threshold) for n, c in cells.items()} }")
                checked += 1
        assert not exposed_cells(h, cells, threshold)
    assert checked > 15  # the random tables did contain small counts to protect


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_auditor_finds_exactly_what_the_brute_force_attacker_finds(shape: str) -> None:
    h = SHAPES[shape]
    rnd = random.Random(11)
    for own in _tables(seed=5, n=20):
        values = rolled(h, own)
        # random markings, consistent with the values, to exercise every combination
        marks = {n: Mark.shown if rnd.random() < 0.5 else Mark.small if values[n] < 3 else Mark.withheld
                 for n in h.nodes}
        cells = {n: Cell(values[n], marks[n]) for n in h.nodes}
        feasible = attacker(h, cells, 3)
        computed = ranges(h, values, marks, 3)
        for n in h.nodes:
            if marks[n] != Mark.withheld:  # the brute force caps "x" cells, so compare the others
                assert computed[n] == (min(feasible[n]), max(feasible[n])), (n, own, marks)


def test_a_small_school_district_is_not_given_away_by_its_daily_life_area() -> None:
    h = Hierarchy.of(load_profile(PROFILE))
    # North: 2 in Kita, 10 in Sakuradai, none unassigned: North = 12 is shown, so 12 - 10
    # would give Kita away unless Sakuradai is withheld too.
    cells = protect(h, {"SK-N-01": 2, "SK-N-02": 10, "SK-C-01": 30, "SK-S-01": 20, "SK-E-01": 25},
                    threshold=5)
    assert cells["SK-N-01"].display(5) == "<5"
    assert cells["SK-N-02"].display(5) == "x"
    assert cells["SK-N"].display(5) == "12" and cells["SK"].display(5) == "87"
    assert cells[unassigned("SK-N")].display(5) == "0"
    # the other daily-life areas lose nothing
    assert {cells[a].display(5) for a in ("SK-C-01", "SK-S-01", "SK-E-01")} == {"30", "20", "25"}


def test_a_small_daily_life_area_is_not_given_away_by_the_city_total() -> None:
    h = Hierarchy.of(load_profile(PROFILE))
    own = {"SK-N-01": 1, "SK-N-02": 2, "SK-C-01": 30, "SK-S-01": 20, "SK-E-01": 25, "SK-E-02": 7}
    cells = protect(h, own, threshold=5)
    assert cells["SK-N"].display(5) == "<5"
    hidden = [a for a in ("SK-C", "SK-S", "SK-E", unassigned("SK")) if cells[a].mark != Mark.shown]
    assert hidden, "some other part of the city must be hidden, or SK - visible parts = SK-N"
    # and the hidden part is not itself given away by its own visible sub-areas
    assert not exposed_cells(h, cells, 5)
    visible = sum(cells[a].value for a in ("SK-C", "SK-S", "SK-E", unassigned("SK"))
                  if cells[a].mark == Mark.shown)
    assert cells["SK"].value - visible != cells["SK-N"].value


def test_zeros_show_unless_the_profile_suppresses_them() -> None:
    h = Hierarchy(roots=("R",), children={"R": ("A", "B", "C")})
    shown = protect(h, {"A": 0, "B": 10, "C": 10}, threshold=5)
    assert shown["A"].display(5) == "0" and shown["R"].display(5) == "20"
    hidden = protect(h, {"A": 0, "B": 10, "C": 10}, threshold=5, suppress_zero=True)
    assert hidden["A"].display(5) == "<5"
    assert not exposed_cells(h, hidden, 5, suppress_zero=True)


def test_a_table_with_nothing_small_is_published_in_full() -> None:
    h = Hierarchy.of(load_profile(PROFILE))
    own = {a.code: 10 for a in load_profile(PROFILE).areas}
    cells = protect(h, own, threshold=5)
    assert all(c.mark == Mark.shown for c in cells.values())
