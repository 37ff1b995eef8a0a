"""Routes: /v1/placements and their follow-ups (定着支援)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from kasane_shared import audit
from kasane_shared.auth.deps import require
from kasane_shared.auth.tokens import Principal
from kasane_shared.db import Conn
from kasane_shared.http.idempotency import Idempotency

from kasane_participation.clock import today
from kasane_participation.opportunities import store as opportunity_store
from kasane_participation.placements import service, store
from kasane_participation.placements.models import DueFollowUp, EndBody, FollowUpCreate, PauseBody, PlacementRead
from kasane_participation.requests import store as request_store
from kasane_participation.rules import Rules

router = APIRouter(tags=["placements"])
Reader = Annotated[Principal, Depends(require("placements:read"))]
Writer = Annotated[Principal, Depends(require("placements:write"))]
PURPOSE = "participation_support"


@router.get("/v1/placements", response_model=list[PlacementRead],
            summary="Placements the caller may see (coordinators, requesting agency, host)")
async def list_placements(conn: Conn, principal: Reader, rules: Rules, request_id: UUID | None = None,
                          opportunity_id: UUID | None = None,
                          status: Literal["active", "paused", "ended"] | None = None,
                          limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[PlacementRead]:
    rows = await store.page(conn, request_id=request_id, opportunity_id=opportunity_id, status=status,
                            limit=limit)
    out = []
    for row in rows:
        if service.can_see(rules, principal, row["request_owner"], row["host"]):
            request = await request_store.get(conn, row["request_id"])
            opportunity = await opportunity_store.get(conn, row["opportunity_id"])
            out.append(await service.read(conn, principal, rules, row, request, opportunity))
    return out


@router.get("/v1/placements/{placement_id}", response_model=PlacementRead)
async def read_placement(placement_id: UUID, conn: Conn, principal: Reader, rules: Rules) -> PlacementRead:
    return await service.read(conn, principal, rules, *await service.visible(conn, principal, rules, placement_id))


@router.post("/v1/placements/{placement_id}/follow-ups", status_code=201, response_model=PlacementRead,
             summary="Record a follow-up (定着支援); the note stays here (idempotent)")
async def record_follow_up(placement_id: UUID, body: FollowUpCreate, conn: Conn, principal: Writer,
                           idem: Idempotency, rules: Rules):
    if (replay := await idem.replay(conn, body)) is not None:
        return replay
    rows = await service.follow_up(conn, principal=principal, rules=rules, placement_id=placement_id, body=body)
    return await idem.respond(conn, 201, await service.read(conn, principal, rules, *rows))


@router.post("/v1/placements/{placement_id}/pause", response_model=PlacementRead,
             summary="Pause a placement; the person keeps the place")
async def pause(placement_id: UUID, body: PauseBody, conn: Conn, principal: Writer, rules: Rules) -> PlacementRead:
    rows = await service.pause(conn, principal=principal, rules=rules, placement_id=placement_id,
                               reason_code=body.reason_code, on=today())
    return await service.read(conn, principal, rules, *rows)


@router.post("/v1/placements/{placement_id}/resume", response_model=PlacementRead)
async def resume(placement_id: UUID, conn: Conn, principal: Writer, rules: Rules) -> PlacementRead:
    rows = await service.pause(conn, principal=principal, rules=rules, placement_id=placement_id,
                               reason_code=None, on=today())
    return await service.read(conn, principal, rules, *rows)


@router.post("/v1/placements/{placement_id}/end", response_model=PlacementRead,
             summary="End with an outcome; the place is given back")
async def end(placement_id: UUID, body: EndBody, conn: Conn, principal: Writer, rules: Rules) -> PlacementRead:
    rows = await service.end(conn, principal=principal, rules=rules, placement_id=placement_id,
                             outcome=body.outcome, ended_on=body.ended_on or today())
    return await service.read(conn, principal, rules, *rows)


@router.get("/v1/follow-ups/due", response_model=list[DueFollowUp],
            summary="Scheduled follow-ups not done yet, due on or before a date (default today)")
async def due_follow_ups(conn: Conn, principal: Reader, rules: Rules, before: date | None = None,
                         limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[DueFollowUp]:
    rows = await store.due(conn, before=before or today(), limit=limit)
    mine = [r for r in rows if service.can_see(rules, principal, r["request_owner"], r["host"])]
    await audit.record(conn, principal, "read", "placement", sorted({str(r["placement_id"]) for r in mine}),
                       purpose=PURPOSE)
    return [DueFollowUp(follow_up_id=r["follow_up_id"], placement_id=r["placement_id"], request_id=r["request_id"],
                        opportunity_id=r["opportunity_id"], due_on=r["due_on"]) for r in mine]
