"""``/v1/places`` and ``/v1/activities``: places where residents meet and what happens there."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from kasane_shared import audit
from kasane_shared.contracts.codes import PlaceKind
from kasane_shared.db import Conn
from kasane_shared.http.deps import Profile
from kasane_shared.http.idempotency import Idempotency
from kasane_shared.http.pagination import Page
from kasane_shared.http.problems import Conflict, InvalidInput, NotFound

from kasane_community.access import DirectoryReader, PlacesWriter, ensure_keeper
from kasane_community.places import service, store
from kasane_community.places.facts import CLOSED, column_values
from kasane_community.places.models import (
    ActivityCreate,
    ActivityRead,
    ActivityUpdate,
    PlaceCreate,
    PlaceRead,
    PlaceUpdate,
)
from kasane_community.shapes import area_scope, cursor_after, next_cursor

router = APIRouter(tags=["places"])


@router.post("/v1/places", status_code=201, response_model=PlaceRead,
             summary="Publish a place (emits place.published; participation offers it as an opportunity)")
async def publish(body: PlaceCreate, conn: Conn, principal: PlacesWriter, profile: Profile, idem: Idempotency):
    if (replay := await idem.replay(conn, body)) is not None:
        return replay
    place = await service.publish_place(conn, principal=principal, profile=profile, body=body)
    return await idem.respond(conn, 201, place)


@router.get("/v1/places", response_model=Page[PlaceRead], summary="Places, in publication order")
async def list_places(
    conn: Conn, principal: DirectoryReader, profile: Profile,
    area_code: Annotated[str | None, Query(description="this area and the areas below it")] = None,
    kind: PlaceKind | None = None,
    status: Annotated[str | None, Query(pattern="^(open|paused|closed)$")] = None,
    organisation_id: uuid.UUID | None = None,
    development_id: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[PlaceRead]:
    items = await store.page_places(
        conn, areas=area_scope(profile, area_code), kind=kind, status=status, organisation_id=organisation_id,
        development_id=development_id, after=cursor_after(cursor), limit=limit,
    )
    return Page(items=items, next_cursor=next_cursor(items, limit, at="created_at"))


@router.get("/v1/places/{place_id}", response_model=PlaceRead)
async def read_place(place_id: uuid.UUID, conn: Conn, principal: DirectoryReader) -> PlaceRead:
    place = await store.get_place(conn, place_id)
    if place is None:
        raise NotFound("no such place")
    return place


@router.patch("/v1/places/{place_id}", response_model=PlaceRead,
              summary="Change a place (emits place.changed when its facts change)")
async def change(place_id: uuid.UUID, body: PlaceUpdate, conn: Conn, principal: PlacesWriter,
                 profile: Profile) -> PlaceRead:
    return await service.change_place(conn, principal=principal, profile=profile, place_id=place_id, body=body)


@router.post("/v1/places/{place_id}/close", response_model=PlaceRead,
             summary="Close a place and its activities (emits place.closed)")
async def close(place_id: uuid.UUID, conn: Conn, principal: PlacesWriter) -> PlaceRead:
    return await service.close_place(conn, principal=principal, place_id=place_id)


@router.post("/v1/activities", status_code=201, response_model=ActivityRead, tags=["activities"],
             summary="Add an activity at a place (no event: participation offers the place)")
async def add_activity(body: ActivityCreate, conn: Conn, principal: PlacesWriter, idem: Idempotency):
    if (replay := await idem.replay(conn, body)) is not None:
        return replay
    place = await store.get_place(conn, body.place_id, lock=True)
    if place is None:
        raise InvalidInput("place_id", "no such place")
    ensure_keeper(principal, place.registered_by_agency, what="place")
    if place.status == CLOSED:
        raise Conflict("the place is closed")
    activity = await store.insert_activity(conn, activity_id=uuid.uuid4(), body=body, agency=principal.agency_id)
    await audit.record(conn, principal, "create", "activity", activity.id)
    return await idem.respond(conn, 201, activity)


@router.get("/v1/activities", response_model=Page[ActivityRead], tags=["activities"])
async def list_activities(
    conn: Conn, principal: DirectoryReader, place_id: uuid.UUID | None = None, cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[ActivityRead]:
    items = await store.page_activities(conn, place_id=place_id, after=cursor_after(cursor), limit=limit)
    return Page(items=items, next_cursor=next_cursor(items, limit, at="created_at"))


@router.get("/v1/activities/{activity_id}", response_model=ActivityRead, tags=["activities"])
async def read_activity(activity_id: uuid.UUID, conn: Conn, principal: DirectoryReader) -> ActivityRead:
    activity = await store.get_activity(conn, activity_id)
    if activity is None:
        raise NotFound("no such activity")
    return activity


@router.patch("/v1/activities/{activity_id}", response_model=ActivityRead, tags=["activities"])
async def change_activity(activity_id: uuid.UUID, body: ActivityUpdate, conn: Conn,
                          principal: PlacesWriter) -> ActivityRead:
    activity = await store.get_activity(conn, activity_id, lock=True)
    if activity is None:
        raise NotFound("no such activity")
    ensure_keeper(principal, activity.registered_by_agency, what="activity")
    if activity.status == CLOSED:
        raise Conflict("the activity's place is closed")
    changes = body.model_dump(exclude_unset=True)
    for required in ("name", "kind", "status"):
        if required in changes and changes[required] is None:
            raise InvalidInput(required, "may not be removed")
    if not changes:
        return activity
    updated = await store.update_activity(conn, activity_id, column_values(changes))
    await audit.record(conn, principal, "update", "activity", activity_id)
    return updated
