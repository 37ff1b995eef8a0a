"""Area statistics: the API's shapes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from kasane_community.statistics.metrics import Metric


class StatRow(BaseModel):
    """One published cell: a month, a metric, a code, and an area (or its unassigned part)."""

    month: str = Field(examples=["2026-03"])
    metric: Metric
    code: str = Field(description="'total', or a concern / need code")
    scope: Literal["area", "child", "unassigned"] = Field(
        description="area: the area asked for (all areas below it included); child: an area directly below it;"
                    " unassigned: events that named the area but no area below it")
    area_code: str
    count: int | None = Field(description="null when suppressed")
    display: str = Field(description='the number, "<N" (0..N-1) or "x" (withheld to protect a small count)')
    suppressed: Literal["small", "withheld"] | None = None


class AreaStats(BaseModel):
    area_code: str
    area_name: str
    area_kind: str
    includes: list[str] = Field(description="the areas whose events the area's figures include")
    children: list[str]
    from_month: str
    to_month: str
    threshold: int
    suppress_zero: bool
    rules_version: str
    rows: list[StatRow] = Field(description="cells that are not a plain 0; the area's totals always")


class AreaRead(BaseModel):
    code: str
    name: str
    name_en: str | None
    kind: str
    parent: str | None
    children: list[str]
