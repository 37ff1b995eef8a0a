"""Routes: /v1/opportunities."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from kasane_shared import audit
from kasane_shared.auth.deps import require
from kasane_shared.auth.tokens import Principal
from kasane_shared.contracts.codes import OpportunityKind
from kasane_shared.db import Conn
from kasane_shared.http.deps import Profile
from kasane_shared.http.idempotency import Idempotency
from kasane_shared.http.pagination import Page, cursor_key, cursor_time, encode_cursor

from kasane_participation.opportunities import service, store
from kasane_participation.opportunities.models import OpportunityCreate, OpportunityRead, OpportunityUpdate
from kasane_participation.rules import Rules

router = APIRouter(tags=["opportunities"])
Reader = Annotated[Principal, Depends(require("opportunities:read"))]
Writer = Annotated[Principal, Depends(require("opportunities:write"))]
Status = Literal["draft", "open", "full", "paused", "closed"]


@router.post("/v1/opportunities", status_code=201, response_model=OpportunityRead,
             summary="Post a provider's opportunity (idempotent with Idempotency-Key)")
async def create_opportunity(body: OpportunityCreate, conn: Conn, principal: Writer, idem: Idempotency,
                             profile: Profile, rules: Rules):
    if (replay := await idem.replay(conn, body)) is not None:
        return replay
    row = await service.create(conn, principal=principal, body=body, profile=profile, rules=rules)
    await audit.record(conn, principal, "create", "opportunity", row["id"])
    return await idem.respond(conn, 201, service.to_read(row))


@router.get("/v1/opportunities", response_model=Page[OpportunityRead],
            summary="Opportunities (drafts only the caller's own), oldest first")
async def list_opportunities(
    conn: Conn, principal: Reader,
    area_code: str | None = None, kind: OpportunityKind | None = None, status: Status | None = None,
    mine: Annotated[bool, Query(description="Only those the caller's agency posted")] = False,
    cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[OpportunityRead]:
    after = cursor_key(cursor, cursor_time, UUID)  # 400 naming cursor when not ours
    rows = await store.page(conn, agency_id=principal.agency_id, area_code=area_code,
                            kind=kind.value if kind else None, status=status, mine=mine, after=after,
                            limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    nxt = encode_cursor(rows[-1]["created_at"].isoformat(), rows[-1]["id"]) if more else None
    return Page[OpportunityRead](items=[service.to_read(r) for r in rows], next_cursor=nxt)


@router.get("/v1/opportunities/{opportunity_id}", response_model=OpportunityRead)
async def read_opportunity(opportunity_id: UUID, conn: Conn, principal: Reader) -> OpportunityRead:
    return service.to_read(await service.visible(conn, principal, opportunity_id))


@router.patch("/v1/opportunities/{opportunity_id}", response_model=OpportunityRead,
              summary="Change the caller's own opportunity (status: open, paused, closed)")
async def update_opportunity(opportunity_id: UUID, body: OpportunityUpdate, conn: Conn, principal: Writer,
                             profile: Profile, rules: Rules) -> OpportunityRead:
    row = await service.update(conn, principal=principal, opportunity_id=opportunity_id, body=body,
                               profile=profile, rules=rules)
    await audit.record(conn, principal, "update", "opportunity", opportunity_id)
    return service.to_read(row)
