"""``/v1/gap-needs`` and ``/v1/developments``: from "nothing fits" to a place people go to."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from kasane_shared.contracts.codes import Code, DevelopmentStatus
from kasane_shared.db import Conn
from kasane_shared.http.deps import Profile
from kasane_shared.http.idempotency import Idempotency
from kasane_shared.http.pagination import Page

from kasane_community.access import DevelopmentsReader, DevelopmentsWriter
from kasane_community.developments import service, store
from kasane_community.developments.grouping import GapNeedGroup, group_gap_needs
from kasane_community.developments.models import (
    DevelopmentCreate,
    DevelopmentRead,
    DevelopmentSummary,
    DevelopmentUpdate,
    GapNeedRead,
    ResourceLink,
    StatusChange,
)
from kasane_community.places.models import PlaceCreate, PlaceRead
from kasane_community.shapes import area_scope, cursor_after, next_cursor

router = APIRouter(tags=["developments"])

AreaFilter = Annotated[str | None, Query(description="this area and the areas below it")]


@router.get("/v1/gap-needs", response_model=list[GapNeedRead], summary="Gap needs from participation (no persons)")
async def list_gap_needs(conn: Conn, principal: DevelopmentsReader, profile: Profile, area_code: AreaFilter = None,
                         need_code: Code | None = None, open_only: bool = False) -> list[GapNeedRead]:
    needs = await store.gap_needs_in(conn, areas=area_scope(profile, area_code), need_code=need_code,
                                     open_only=open_only)
    return [GapNeedRead(id=n.id, area_code=n.area_code, need_codes=list(n.need_codes),
                        wanted_kinds=list(n.wanted_kinds), accommodations=list(n.accommodations),
                        languages=list(n.languages), recorded_at=n.recorded_at, development_id=n.development_id)
            for n in needs]


@router.get("/v1/gap-needs/groups", response_model=list[GapNeedGroup],
            summary="Gap needs grouped by area and need, most open first")
async def gap_need_groups(conn: Conn, principal: DevelopmentsReader, profile: Profile, area_code: AreaFilter = None,
                          open_only: bool = True) -> list[GapNeedGroup]:
    needs = await store.gap_needs_in(conn, areas=area_scope(profile, area_code))
    return group_gap_needs(needs, open_only=open_only)


@router.post("/v1/developments", status_code=201, response_model=DevelopmentRead,
             summary="Open a development project from gap needs (emits development.opened)")
async def open_development(body: DevelopmentCreate, conn: Conn, principal: DevelopmentsWriter, profile: Profile,
                           idem: Idempotency):
    if (replay := await idem.replay(conn, body)) is not None:
        return replay
    development = await service.open_development(conn, principal=principal, profile=profile, body=body)
    return await idem.respond(conn, 201, development)


@router.get("/v1/developments", response_model=Page[DevelopmentSummary], summary="Projects, oldest first")
async def list_developments(
    conn: Conn, principal: DevelopmentsReader, profile: Profile, area_code: AreaFilter = None,
    status: DevelopmentStatus | None = None, cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[DevelopmentSummary]:
    rows = await store.page(conn, areas=area_scope(profile, area_code), status=status, after=cursor_after(cursor),
                            limit=limit)
    items = [DevelopmentSummary(**dict(r)) for r in rows]
    return Page(items=items, next_cursor=next_cursor(items, limit, at="opened_at"))


@router.get("/v1/developments/{development_id}", response_model=DevelopmentRead,
            summary="A project: its gap needs, organisations, stages, and what it produced")
async def read_development(development_id: uuid.UUID, conn: Conn, principal: DevelopmentsReader) -> DevelopmentRead:
    return await service.read_development(conn, development_id)


@router.patch("/v1/developments/{development_id}", response_model=DevelopmentRead)
async def change_development(development_id: uuid.UUID, body: DevelopmentUpdate, conn: Conn,
                             principal: DevelopmentsWriter) -> DevelopmentRead:
    return await service.change_development(conn, principal=principal, development_id=development_id, body=body)


@router.post("/v1/developments/{development_id}/status", response_model=DevelopmentRead,
             summary="Move a project to another stage (emits development.status_changed)")
async def change_status(development_id: uuid.UUID, body: StatusChange, conn: Conn,
                        principal: DevelopmentsWriter) -> DevelopmentRead:
    return await service.change_status(conn, principal=principal, development_id=development_id, body=body)


@router.post("/v1/developments/{development_id}/places", status_code=201, response_model=PlaceRead,
             summary="Publish the place a project produced (emits place.published and development.produced)")
async def produce_place(development_id: uuid.UUID, body: PlaceCreate, conn: Conn, principal: DevelopmentsWriter,
                        profile: Profile, idem: Idempotency):
    if (replay := await idem.replay(conn, body)) is not None:
        return replay
    place = await service.produce_place(conn, principal=principal, profile=profile, development_id=development_id,
                                        body=body)
    return await idem.respond(conn, 201, place)


@router.post("/v1/developments/{development_id}/resources", response_model=DevelopmentRead,
             summary="Credit a project with an existing place or opportunity (emits development.produced)")
async def link_resource(development_id: uuid.UUID, body: ResourceLink, conn: Conn,
                        principal: DevelopmentsWriter) -> DevelopmentRead:
    return await service.link_resource(conn, principal=principal, development_id=development_id, body=body)
