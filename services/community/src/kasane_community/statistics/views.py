"""``GET /v1/areas`` and ``GET /v1/areas/{code}/stats``: anonymous counts per area,
concern and month, with small numbers suppressed."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from kasane_shared import audit
from kasane_shared.db import Conn
from kasane_shared.http.deps import Profile
from kasane_shared.http.problems import NotFound, Problem, field_error

from kasane_community.access import DirectoryReader, StatsReader
from kasane_community.rules import statistics_rules
from kasane_community.statistics import store
from kasane_community.statistics.metrics import Metric
from kasane_community.statistics.models import AreaRead, AreaStats
from kasane_community.statistics.report import months_between, report_rows
from kasane_community.statistics.suppression import Hierarchy

router = APIRouter(tags=["areas and statistics"])

# years 1900-2999: a statistics month is in the records' lifetime (year 0 is no date at all,
# and `to` - 11 months must be one too)
_MONTH = re.compile(r"^(19\d{2}|2\d{3})-(0[1-9]|1[0-2])$")


@router.get("/v1/areas", response_model=list[AreaRead], summary="The municipality's areas (from its profile)")
async def list_areas(principal: DirectoryReader, profile: Profile) -> list[AreaRead]:
    children: dict[str, list[str]] = {}
    for a in profile.areas:
        if a.parent:
            children.setdefault(a.parent, []).append(a.code)
    return [AreaRead(code=a.code, name=a.name, name_en=a.name_en, kind=a.kind, parent=a.parent,
                     children=sorted(children.get(a.code, []))) for a in profile.areas]


def _query_error(field: str, detail: str) -> Problem:
    return Problem(f"{field}: {detail}", status=422, title="Unprocessable Content", slug="validation",
                   errors=[field_error(field, detail, location="query")])


def _month(value: str) -> date:
    year, month = _MONTH.match(value).groups()  # type: ignore[union-attr]
    return date(int(year), int(month), 1)


@router.get("/v1/areas/{area_code}/stats", response_model=AreaStats,
            summary="Counts per month, metric and concern for an area and the areas directly below it")
async def area_stats(
    area_code: str, conn: Conn, principal: StatsReader, profile: Profile,
    from_month: Annotated[str | None, Query(alias="from", pattern=_MONTH.pattern,
                                            description="first month, YYYY-MM (default: `to` - 11)")] = None,
    to_month: Annotated[str | None, Query(alias="to", pattern=_MONTH.pattern,
                                          description="last month, YYYY-MM (default: this month)")] = None,
    metric: Annotated[list[Metric] | None, Query(description="only these metrics (repeatable)")] = None,
) -> AreaStats:
    area = profile.area(area_code)
    if area is None:
        raise NotFound("no such area in the municipality profile")
    rules = statistics_rules(profile)
    last = _month(to_month) if to_month else datetime.now(UTC).astimezone(rules.zone).date().replace(day=1)
    first = _month(from_month) if from_month else months_between(
        last.replace(year=last.year - 1), last)[1]
    if first > last:
        raise _query_error("from", "must not be after to")
    months = months_between(first, last)
    if len(months) > rules.max_months:
        raise _query_error("from", f"at most {rules.max_months} months per request")
    metrics = list(dict.fromkeys(metric or list(Metric)))
    counts = await store.counts(conn, first=first, last=last, metrics=[str(m) for m in metrics])
    h = Hierarchy.of(profile)
    rows = report_rows(h, counts, area=area_code, months=months, metrics=metrics,
                       threshold=rules.suppression_threshold, suppress_zero=rules.suppress_zero)
    await audit.record(conn, principal, "read", "area_stats", area_code, purpose="statistics")
    return AreaStats(
        area_code=area.code, area_name=area.name, area_kind=area.kind,
        includes=sorted(profile.descendants(area_code)), children=sorted(h.children.get(area_code, ())),
        from_month=first.strftime("%Y-%m"), to_month=last.strftime("%Y-%m"),
        threshold=rules.suppression_threshold, suppress_zero=rules.suppress_zero, rules_version=rules.version,
        rows=rows,
    )
