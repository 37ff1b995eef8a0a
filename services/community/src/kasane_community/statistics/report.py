"""An area's statistics report from stored counts: pure, no I/O.

Every table (metric, month, code) is protected over the whole hierarchy before any of
its cells is picked for the area asked, so the same cell shows the same way in every
report that contains it (the parent's report and the child's alike).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date

from kasane_community.statistics.metrics import TOTAL, Metric
from kasane_community.statistics.models import StatRow
from kasane_community.statistics.suppression import Cell, Hierarchy, Mark, protect, unassigned


def months_between(first: date, last: date) -> list[date]:
    """First days of each month from ``first`` to ``last``, both included."""
    out, cursor = [], first.replace(day=1)
    while cursor <= last:
        out.append(cursor)
        cursor = cursor.replace(year=cursor.year + cursor.month // 12, month=cursor.month % 12 + 1)
    return out


def report_rows(
    h: Hierarchy, counts: Iterable[Mapping[str, object]], *, area: str, months: list[date],
    metrics: list[Metric], threshold: int, suppress_zero: bool,
) -> list[StatRow]:
    """The published cells for ``area``: its own figures and those of its parts."""
    own: dict[tuple[date, str, str], dict[str, int]] = defaultdict(dict)
    for row in counts:
        own[(row["month"], row["metric"], row["code"])][row["area_code"]] = row["count"]  # type: ignore[index]
    rows: list[StatRow] = []
    for month in months:
        for metric in metrics:
            codes = sorted({code for (m, me, code) in own if m == month and me == metric} - {TOTAL})
            for code in (TOTAL, *codes):
                cells = protect(h, own.get((month, metric, code), {}), threshold=threshold,
                                suppress_zero=suppress_zero)
                rows += _pick(h, cells, area=area, month=month, metric=metric, code=code, threshold=threshold)
    return rows


def _pick(h: Hierarchy, cells: Mapping[str, Cell], *, area: str, month: date, metric: Metric, code: str,
          threshold: int) -> list[StatRow]:
    picked = [("area", area, cells[area])]
    for part in h.parts(area):
        if part == unassigned(area):
            picked.append(("unassigned", area, cells[part]))
        else:
            picked.append(("child", part, cells[part]))
    out = []
    for scope, code_of_area, cell in picked:
        if scope != "area" and cell.mark == Mark.shown and cell.value == 0:
            continue  # a plain zero: left out to keep reports short
        if scope == "area" and code != TOTAL and cell.mark == Mark.shown and cell.value == 0:
            continue
        out.append(StatRow(
            month=month.strftime("%Y-%m"), metric=metric, code=code, scope=scope, area_code=code_of_area,
            count=cell.value if cell.mark == Mark.shown else None, display=cell.display(threshold),
            suppressed=None if cell.mark == Mark.shown else cell.mark.value,  # type: ignore[arg-type]
        ))
    return out
