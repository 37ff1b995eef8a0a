"""Routes: ranked matches of a request, proposals, and the person's answer."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from kasane_shared import audit
from kasane_shared.auth.deps import require
from kasane_shared.auth.tokens import Principal
from kasane_shared.db import Conn
from kasane_shared.http.idempotency import Idempotency

from kasane_participation.clock import today
from kasane_participation.matching import service
from kasane_participation.matching.matching import HARD_CONSTRAINTS
from kasane_participation.matching.models import (
    AcceptBody,
    DeclineBody,
    MatchList,
    MatchRead,
    MatchSuggestion,
    OpportunityBrief,
    ProposalCreate,
)
from kasane_participation.opportunities import store as opportunity_store
from kasane_participation.placements import service as placements
from kasane_participation.placements.models import PlacementRead
from kasane_participation.requests import service as requests
from kasane_participation.rules import Rules

router = APIRouter(tags=["matching"])
Reader = Annotated[Principal, Depends(require("requests:read"))]
Matcher = Annotated[Principal, Depends(require("matches:write"))]
PURPOSE = "participation_support"


@router.get("/v1/requests/{request_id}/matches", response_model=MatchList,
            summary="The best opportunities for a request now, with reasons and the score's parts")
async def request_matches(request_id: UUID, conn: Conn, principal: Reader, rules: Rules,
                          limit: Annotated[int | None, Query(ge=1, le=50)] = None) -> MatchList:
    request = await requests.visible(conn, principal, rules, request_id)
    s, p, ranked = await service.suggestions(conn, request, rules, limit=limit or rules.default_limit)
    titles = {}
    live = {}
    if ranked:
        ids = [r.candidate.id for r in ranked]
        titles = {r["id"]: r["title"] for r in await conn.fetch(
            "SELECT id, title FROM opportunities WHERE id = ANY($1)", ids)}
        live = {r["opportunity_id"]: r["id"] for r in await conn.fetch(
            "SELECT id, opportunity_id FROM matches WHERE request_id = $1 AND status = 'proposed'", request_id)}
    await audit.record(conn, principal, "read", "participation_request", request_id, purpose=PURPOSE)
    return MatchList(
        request_id=request_id, rules_version=rules.version, hard_constraints=list(HARD_CONSTRAINTS),
        matches=[
            MatchSuggestion(
                rank=i, score=r.score, distance_km=round(r.distance_km, 3),
                opportunity=OpportunityBrief(
                    id=r.candidate.id, kind=r.candidate.kind, title=titles.get(r.candidate.id),
                    area_code=r.candidate.area_code or "", capacity=r.candidate.capacity,
                    free_seats=r.candidate.free_seats, accommodations=list(r.candidate.accommodations),
                    languages=list(r.candidate.languages), activities=list(r.candidate.activities)),
                parts=service.parts_json(r.parts, rules.weights), reasons=service.reasons_json(s, p, r),
                proposed_match_id=live.get(r.candidate.id),
            )
            for i, r in enumerate(ranked, start=1)
        ],
    )


@router.post("/v1/requests/{request_id}/proposals", status_code=201, response_model=MatchRead,
             summary="Propose an opportunity to the person (it must fit now; idempotent)")
async def propose(request_id: UUID, body: ProposalCreate, conn: Conn, principal: Matcher, idem: Idempotency,
                  rules: Rules):
    if (replay := await idem.replay(conn, body)) is not None:
        return replay
    request = await requests.visible(conn, principal, rules, request_id, lock=True)
    match = await service.propose(conn, request=request, opportunity_id=body.opportunity_id,
                                  proposed_by=principal.agency_id, rules=rules)
    await audit.record(conn, principal, "create", "match", match["id"], purpose=PURPOSE)
    return await idem.respond(conn, 201, service.match_read(match))


@router.get("/v1/requests/{request_id}/proposals", response_model=list[MatchRead],
            summary="Every match proposed for a request, oldest first")
async def list_proposals(request_id: UUID, conn: Conn, principal: Reader, rules: Rules) -> list[MatchRead]:
    await requests.visible(conn, principal, rules, request_id)
    rows = await conn.fetch("SELECT * FROM matches WHERE request_id = $1 ORDER BY proposed_at, id", request_id)
    await audit.record(conn, principal, "read", "participation_request", request_id, purpose=PURPOSE)
    return [service.match_read(r) for r in rows]


@router.get("/v1/matches/{match_id}", response_model=MatchRead)
async def read_match(match_id: UUID, conn: Conn, principal: Reader, rules: Rules) -> MatchRead:
    match, _ = await service.visible_match(conn, principal, rules, match_id)
    await audit.record(conn, principal, "read", "match", match_id, purpose=PURPOSE)
    return service.match_read(match)


@router.post("/v1/matches/{match_id}/accept", status_code=201, response_model=PlacementRead,
             summary="The person accepts: a place is taken and the placement starts (idempotent)",
             responses={409: {"description": "No free place left, or the match is no longer proposed"}})
async def accept(match_id: UUID, conn: Conn, principal: Matcher, idem: Idempotency, rules: Rules,
                 body: AcceptBody | None = None):
    body = body or AcceptBody()
    if (replay := await idem.replay(conn, body)) is not None:
        return replay
    placement = await service.accept(conn, principal=principal, rules=rules, match_id=match_id,
                                     started_on=body.started_on or today())
    request = await requests.visible(conn, principal, rules, placement["request_id"])
    opportunity = await opportunity_store.get(conn, placement["opportunity_id"])
    await audit.record(conn, principal, "accept", "match", match_id, purpose=PURPOSE)
    return await idem.respond(conn, 201, await placements.read(conn, principal, rules, placement, request,
                                                                opportunity))


@router.post("/v1/matches/{match_id}/decline", response_model=MatchRead,
             summary="The person (or the host) declines the proposal")
async def decline(match_id: UUID, body: DeclineBody, conn: Conn, principal: Matcher, rules: Rules) -> MatchRead:
    match = await service.decline(conn, principal=principal, rules=rules, match_id=match_id,
                                  reason_code=body.reason_code)
    await audit.record(conn, principal, "decline", "match", match_id, purpose=PURPOSE)
    return service.match_read(match)
