"""``GET /v1/me``: who the token says the caller is. Partners use it to check a token;
the benchmarks use it as the trivial authenticated endpoint."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from kasane_shared.auth.deps import CurrentPrincipal

router = APIRouter(tags=["tokens"])


class Me(BaseModel):
    agency_id: str
    agency_name: str
    subject: str
    scopes: list[str]


@router.get("/v1/me", response_model=Me, summary="The caller named by the bearer token")
async def me(principal: CurrentPrincipal, request: Request) -> Me:
    agency = request.app.state.profile.agency(principal.agency_id)
    return Me(
        agency_id=principal.agency_id,
        agency_name=agency.name,
        subject=principal.subject,
        scopes=sorted(principal.scopes),
    )
