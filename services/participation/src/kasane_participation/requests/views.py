"""Routes: /v1/requests (participation requests) and their gap needs."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from kasane_shared import audit
from kasane_shared.auth.deps import require
from kasane_shared.auth.tokens import Principal
from kasane_shared.db import Conn
from kasane_shared.http.deps import Profile
from kasane_shared.http.idempotency import Idempotency
from kasane_shared.http.pagination import Page, cursor_key, cursor_time, encode_cursor
from kasane_shared.http.problems import Conflict, InvalidInput

from kasane_participation.areas import centroid
from kasane_participation.gaps import service as gaps
from kasane_participation.gaps.models import GapNeedRead, gap_read
from kasane_participation.requests import service, store
from kasane_participation.requests.models import RequestClose, RequestCreate, RequestRead, RequestStatus
from kasane_participation.rules import Rules

router = APIRouter(tags=["requests"])
Reader = Annotated[Principal, Depends(require("requests:read"))]
Writer = Annotated[Principal, Depends(require("requests:write"))]
PURPOSE = "participation_support"


@router.post("/v1/requests", status_code=201, response_model=RequestRead,
             summary="Make a participation request directly (idempotent with Idempotency-Key)")
async def create_request(body: RequestCreate, conn: Conn, principal: Writer, idem: Idempotency,
                         profile: Profile, rules: Rules):
    if (replay := await idem.replay(conn, body)) is not None:
        return replay
    if profile.area(body.area_code) is None:
        raise InvalidInput("area_code", "not an area of this municipality's profile")
    home = centroid(profile, body.area_code)
    if home is None:
        raise InvalidInput("area_code", "the area has no centroid to measure travel from")
    if body.travel_km > rules.max_travel_km:
        raise InvalidInput("travel_km", f"at most {rules.max_travel_km:g} km")
    row = await service.create(
        conn, request_id=service.new_id(), participant_id=body.participant_id or service.new_id(), facts=body,
        home=home, travel_km=body.travel_km, origin="api", owner_agency_id=principal.agency_id, rules=rules)
    assert row is not None  # a fresh id never conflicts
    await audit.record(conn, principal, "create", "participation_request", row["id"], purpose=PURPOSE)
    return await idem.respond(conn, 201, service.to_read(row))


@router.get("/v1/requests", response_model=Page[RequestRead],
            summary="Requests the caller may see (coordinators: all), oldest first")
async def list_requests(conn: Conn, principal: Reader, rules: Rules, status: RequestStatus | None = None,
                        cursor: str | None = None,
                        limit: Annotated[int, Query(ge=1, le=200)] = 50) -> Page[RequestRead]:
    after = cursor_key(cursor, cursor_time, UUID)  # 400 naming cursor when not ours
    owner = None if rules.is_coordinator(principal.agency_id) else principal.agency_id
    rows = await store.page(conn, owner=owner, status=status, after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    await audit.record(conn, principal, "read", "participation_request", [r["id"] for r in rows], purpose=PURPOSE)
    nxt = encode_cursor(rows[-1]["created_at"].isoformat(), rows[-1]["id"]) if more else None
    return Page[RequestRead](items=[service.to_read(r) for r in rows], next_cursor=nxt)


@router.get("/v1/requests/{request_id}", response_model=RequestRead)
async def read_request(request_id: UUID, conn: Conn, principal: Reader, rules: Rules) -> RequestRead:
    row = await service.visible(conn, principal, rules, request_id)
    await audit.record(conn, principal, "read", "participation_request", request_id, purpose=PURPOSE)
    return service.to_read(row)


@router.post("/v1/requests/{request_id}/close", response_model=RequestRead,
             summary="Close a request (its open proposals are withdrawn)")
async def close_request(request_id: UUID, body: RequestClose, conn: Conn, principal: Writer,
                        rules: Rules) -> RequestRead:
    row = await service.close(conn, principal=principal, rules=rules, request_id=request_id,
                              reason_code=body.reason_code)
    await audit.record(conn, principal, "close", "participation_request", request_id, purpose=PURPOSE)
    return service.to_read(row)


@router.post("/v1/requests/{request_id}/gap-need", status_code=201, response_model=GapNeedRead,
             summary="Record that nothing offered fits this request (201 new, 200 already open)",
             responses={200: {"model": GapNeedRead, "description": "A gap need is already open for it"}})
async def record_gap_need(request_id: UUID, conn: Conn, principal: Writer, rules: Rules):
    request = await service.visible(conn, principal, rules, request_id, lock=True)
    if request["status"] in ("placed", "closed"):
        raise Conflict(f"the request is {request['status']}", slug="request-not-open")
    row = await gaps.record(conn, request, rules)
    status = 201
    if row is None:
        status = 200
        row = await conn.fetchrow(
            "SELECT * FROM gap_needs WHERE request_id = $1 AND resolved_at IS NULL", request_id)
    if request["status"] == "open":
        await store.update(conn, request_id, {"status": "waiting"})
    await audit.record(conn, principal, "create", "gap_need", row["id"], purpose=PURPOSE)
    return JSONResponse(jsonable_encoder(gap_read(row)), status_code=status)
