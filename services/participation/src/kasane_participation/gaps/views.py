"""Routes: /v1/gap-needs (aggregates only: no person data)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from kasane_shared.auth.deps import require
from kasane_shared.auth.tokens import Principal
from kasane_shared.db import Conn
from kasane_shared.http.deps import Profile
from kasane_shared.http.problems import Problem, field_error

from kasane_participation.gaps import store
from kasane_participation.gaps.models import GapNeedCount, GapNeedSummary

router = APIRouter(tags=["gap needs"])
Reader = Annotated[Principal, Depends(require("gap-needs:read"))]


@router.get("/v1/gap-needs/summary", response_model=GapNeedSummary,
            summary="Gap needs counted by area and need (for community development)")
async def gap_need_summary(
    conn: Conn, _principal: Reader, profile: Profile,
    area_code: Annotated[str | None, Query(description="This area and every area inside it")] = None,
) -> GapNeedSummary:
    areas = None
    if area_code is not None:
        if profile.area(area_code) is None:
            raise Problem("area_code: not an area of this municipality's profile", status=422,
                          title="Unprocessable Content", slug="validation",
                          errors=[field_error("area_code", "not an area of this municipality's profile",
                                              location="query")])
        areas = profile.descendants(area_code)
    rows = await store.summary(conn, areas=areas)
    return GapNeedSummary(items=[
        GapNeedCount(area_code=r["area_code"], area_name=getattr(profile.area(r["area_code"]), "name", None),
                     need=r["need"], recorded=r["recorded"], waiting=r["waiting"], matched=r["matched"],
                     waiting_since=r["waiting_since"])
        for r in rows
    ])
