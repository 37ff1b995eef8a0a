"""Small-number suppression (小さな数の秘匿) for counts laid out on the area hierarchy.

Pure functions, unit-tested without servers (a brute-force attacker checks them).

One table is one metric, one month and one code, over every area of the profile: each
area's count rolled up from the areas below it, and for each area with sub-areas its own
"unassigned" part (events that named the area but none below it), so that

    count(area) = count(area/unassigned) + sum(count(child) for child in children(area))

holds for every area with children. A cell shows as

* its number,
* ``"<N"`` ("small"): the count is 0..N-1. Every count from 1 to N-1 shows so
  (primary suppression); a zero is shown as 0 unless the profile says otherwise, but
  may also be hidden as "<N" to protect a neighbour, so "<N" never tells 0 from 1..N-1;
* ``"x"`` ("withheld"): a count of N or more hidden so that a small one cannot be
  worked out by subtraction (complementary suppression).

Protection goal: for every small count, each value 0..N-1 stays consistent with
everything published in its table (numbers, "<N" and "x" marks and the sums above). So
nobody learns more about a small cell than "<N" says, not by subtracting the visible
children from their parent, nor from the unassigned part, nor by combining levels.

How: :func:`ranges` is the attacker: it computes exactly (interval propagation, exact on
a tree of sums) the range each cell can take given what is published. :func:`protect`
marks the primary cells, then, while some small cell's range is narrower than 0..N-1,
hides the cheapest set of further cells that widens it: a shown sibling (with a path down
to a leaf, so that the sibling is not itself pinned by its visible children), or the
parents above with a sibling higher up. Cheapest means nearest level first, then the
smallest total hidden, so hidden zeros come first and big counts last.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from kasane_shared.profile import MunicipalityProfile

INF = 10**12  # "no upper bound": far above any count


class Mark(StrEnum):
    shown = "shown"
    small = "small"  # "<N": 0..N-1
    withheld = "withheld"  # "x": N or more


def unassigned(area: str) -> str:
    """The cell of an area's own events (named the area, none below it)."""
    return f"{area}/unassigned"


@dataclass(frozen=True)
class Hierarchy:
    """The profile's areas as a forest, with the cells one table has."""

    roots: tuple[str, ...]
    children: Mapping[str, tuple[str, ...]]
    nodes: tuple[str, ...] = field(init=False)  # every cell, parents before their parts
    parent: Mapping[str, str] = field(init=False)

    def __post_init__(self) -> None:
        nodes: list[str] = []
        parent: dict[str, str] = {}

        def walk(area: str) -> None:
            nodes.append(area)
            for part in self.parts(area):
                parent[part] = area
                if part == unassigned(area):
                    nodes.append(part)
                else:
                    walk(part)

        for root in self.roots:
            walk(root)
        object.__setattr__(self, "nodes", tuple(nodes))
        object.__setattr__(self, "parent", parent)

    @classmethod
    def of(cls, profile: MunicipalityProfile) -> Hierarchy:
        children: dict[str, list[str]] = {}
        for area in profile.areas:
            if area.parent is not None:
                children.setdefault(area.parent, []).append(area.code)
        return cls(
            roots=tuple(a.code for a in profile.areas if a.parent is None),
            children={k: tuple(sorted(v)) for k, v in children.items()},
        )

    def parts(self, node: str) -> tuple[str, ...]:
        """The cells that add up to ``node`` (none for a leaf)."""
        kids = self.children.get(node, ())
        return (unassigned(node), *kids) if kids else ()


@dataclass(frozen=True)
class Cell:
    value: int
    mark: Mark

    def display(self, threshold: int) -> str:
        if self.mark == Mark.shown:
            return str(self.value)
        return f"<{threshold}" if self.mark == Mark.small else "x"


def rolled(h: Hierarchy, own: Mapping[str, int]) -> dict[str, int]:
    """Every cell's count from the areas' own counts."""
    values: dict[str, int] = {}

    def walk(area: str) -> int:
        kids = h.children.get(area, ())
        mine = own.get(area, 0)
        if kids:
            values[unassigned(area)] = mine
            mine += sum(walk(k) for k in kids)
        values[area] = mine
        return mine

    for root in h.roots:
        walk(root)
    return values


def _declared(value: int, mark: Mark, threshold: int) -> tuple[int, int]:
    if mark == Mark.shown:
        return value, value
    return (0, threshold - 1) if mark == Mark.small else (threshold, INF)


def ranges(h: Hierarchy, values: Mapping[str, int], marks: Mapping[str, Mark],
           threshold: int) -> dict[str, tuple[int, int]]:
    """The range each cell can take given what is published (the attacker's best)."""
    up: dict[str, tuple[int, int]] = {}

    def bottom(node: str) -> tuple[int, int]:
        lo, hi = _declared(values[node], marks[node], threshold)
        parts = h.parts(node)
        if parts:
            sums = [bottom(p) for p in parts]
            lo = max(lo, sum(s[0] for s in sums))
            hi = min(hi, sum(s[1] for s in sums))
        up[node] = (lo, min(hi, INF))
        return up[node]

    final: dict[str, tuple[int, int]] = {}

    def top(node: str, rng: tuple[int, int]) -> None:
        final[node] = rng
        parts = h.parts(node)
        if not parts:
            return
        total_lo = sum(up[p][0] for p in parts)
        total_hi = sum(up[p][1] for p in parts)
        for p in parts:
            others_lo = total_lo - up[p][0]
            others_hi = total_hi - up[p][1]
            top(p, (max(up[p][0], rng[0] - others_hi), min(up[p][1], rng[1] - others_lo)))

    for root in h.roots:
        top(root, bottom(root))
    return final


def _hide(marks: Mapping[str, Mark], values: Mapping[str, int], cells: Iterable[str],
          threshold: int) -> dict[str, Mark]:
    out = dict(marks)
    for c in cells:
        if out[c] == Mark.shown:
            out[c] = Mark.small if values[c] < threshold else Mark.withheld
    return out


def _down_chains(h: Hierarchy, marks: Mapping[str, Mark], node: str) -> list[list[str]]:
    """``node`` alone, and ``node`` with each path of shown cells down to a leaf (so that
    its visible parts do not pin it)."""
    chains = [[node]]
    for part in h.parts(node):
        if marks[part] == Mark.shown:
            chains += [[node, *c] for c in _down_chains(h, marks, part)]
    return chains


def _options(h: Hierarchy, values: Mapping[str, int], marks: Mapping[str, Mark], cell: str) -> list[list[str]]:
    """Sets of shown cells whose hiding could widen ``cell``'s range, cheapest first."""
    order = {n: i for i, n in enumerate(h.nodes)}
    found: dict[tuple[str, ...], tuple[int, int, int, list[int]]] = {}
    path: list[str] = []  # shown parents between the cell and the level looked at
    node, level = cell, 0
    while node in h.parent:
        parent = h.parent[node]
        level += 1
        candidates = [path + chain for s in h.parts(parent) if s != node and marks[s] == Mark.shown
                      for chain in _down_chains(h, marks, s)]
        if marks[parent] == Mark.shown:
            path = [*path, parent]
        candidates.append(list(path))
        for option in candidates:
            new = sorted({c for c in option if marks[c] == Mark.shown}, key=order.__getitem__)
            if new and tuple(new) not in found:
                found[tuple(new)] = (level, sum(values[c] for c in new), len(new), [order[c] for c in new])
        node = parent
    return [list(k) for k, _ in sorted(found.items(), key=lambda kv: kv[1])]


def protect(h: Hierarchy, own: Mapping[str, int], *, threshold: int,
            suppress_zero: bool = False) -> dict[str, Cell]:
    """Every cell of one table with its mark, primary and complementary suppression done."""
    values = rolled(h, own)
    floor = 0 if suppress_zero else 1

    def sensitive(node: str) -> bool:
        v = values[node]
        return v < threshold and (v > 0 or suppress_zero)

    marks = {n: Mark.small if sensitive(n) else Mark.shown for n in h.nodes}
    # Each round hides at least one more cell, so this ends within len(nodes) rounds.
    for _ in range(len(h.nodes) + 1):
        rng = ranges(h, values, marks, threshold)
        exposed = next((n for n in h.nodes if sensitive(n) and not _covers(rng[n], floor, threshold)), None)
        if exposed is None:
            break
        best: tuple[int, list[str]] | None = None
        for option in _options(h, values, marks, exposed):
            lo, hi = ranges(h, values, _hide(marks, values, option, threshold), threshold)[exposed]
            if _covers((lo, hi), floor, threshold):
                best = (INF, option)
                break
            if best is None or hi - lo > best[0]:
                best = (hi - lo, option)
        if best is None:
            break  # nothing left to hide around it
        marks = _hide(marks, values, best[1], threshold)
    return {n: Cell(values[n], marks[n]) for n in h.nodes}


def exposed_cells(h: Hierarchy, cells: Mapping[str, Cell], threshold: int, *,
                  suppress_zero: bool = False) -> list[str]:
    """Small cells whose range is narrower than the protection goal (empty when safe)."""
    values = {n: c.value for n, c in cells.items()}
    marks = {n: c.mark for n, c in cells.items()}
    rng = ranges(h, values, marks, threshold)
    floor = 0 if suppress_zero else 1
    return [n for n, c in cells.items()
            if c.mark == Mark.small and (c.value > 0 or suppress_zero) and not _covers(rng[n], floor, threshold)]


def _covers(rng: tuple[int, int], floor: int, threshold: int) -> bool:
    return rng[0] <= floor and rng[1] >= threshold - 1
