"""Publishing, changing and closing places: each a state change and its event in one
transaction (the place's row is written or locked before its event is enqueued)."""

from __future__ import annotations

import uuid

import asyncpg
from kasane_shared import audit
from kasane_shared.auth.tokens import Principal
from kasane_shared.contracts.community import PlaceChanged, PlaceClosed, PlacePublished
from kasane_shared.events import outbox
from kasane_shared.http.problems import Conflict, InvalidInput, NotFound
from kasane_shared.profile import MunicipalityProfile

from kasane_community.access import ensure_keeper
from kasane_community.organisations import store as organisations
from kasane_community.places import store
from kasane_community.places.facts import CLOSED, column_values, facts_changed, facts_of
from kasane_community.places.models import PlaceCreate, PlaceRead, PlaceUpdate
from kasane_community.shapes import check_area


async def _check_organisation(conn: asyncpg.Connection, organisation_id: uuid.UUID | None) -> None:
    if organisation_id is not None and await organisations.get(conn, organisation_id) is None:
        raise InvalidInput("organisation_id", "no such organisation on the platform")


async def publish_place(
    conn: asyncpg.Connection, *, principal: Principal, profile: MunicipalityProfile, body: PlaceCreate,
    development_id: uuid.UUID | None = None,
) -> PlaceRead:
    """Store a place and emit ``place.published`` (with the project that produced it, if any)."""
    check_area(profile, body.area_code, "area_code")
    await _check_organisation(conn, body.organisation_id)
    place = await store.insert_place(conn, place_id=uuid.uuid4(), body=body, agency=principal.agency_id,
                                     development_id=development_id)
    await outbox.enqueue(conn, PlacePublished(place_id=place.id, facts=facts_of(place),
                                              development_id=development_id))
    await audit.record(conn, principal, "create", "place", place.id)
    return place


async def change_place(
    conn: asyncpg.Connection, *, principal: Principal, profile: MunicipalityProfile, place_id: uuid.UUID,
    body: PlaceUpdate,
) -> PlaceRead:
    """Change a place; emit ``place.changed`` when a fact participation uses changed."""
    before = await store.get_place(conn, place_id, lock=True)
    if before is None:
        raise NotFound("no such place")
    ensure_keeper(principal, before.registered_by_agency, what="place")
    if before.status == CLOSED:
        raise Conflict("the place is closed; publish a new place instead")
    changes = body.model_dump(exclude_unset=True)
    for required in ("name", "kind", "area_code"):
        if required in changes and changes[required] is None:
            raise InvalidInput(required, "may not be removed")
    if "status" in changes and changes["status"] is None:
        raise InvalidInput("status", "may not be removed; close the place with POST /v1/places/{id}/close")
    check_area(profile, changes.get("area_code"), "area_code")
    await _check_organisation(conn, changes.get("organisation_id"))
    if not changes:
        return before
    after = await store.update_place(conn, place_id, column_values(changes))
    if facts_changed(before, after):
        await outbox.enqueue(conn, PlaceChanged(place_id=after.id, facts=facts_of(after)))
    await audit.record(conn, principal, "update", "place", place_id)
    return after


async def close_place(conn: asyncpg.Connection, *, principal: Principal, place_id: uuid.UUID) -> PlaceRead:
    """Close a place and its activities; emit ``place.closed``."""
    before = await store.get_place(conn, place_id, lock=True)
    if before is None:
        raise NotFound("no such place")
    ensure_keeper(principal, before.registered_by_agency, what="place")
    if before.status == CLOSED:
        return before  # closing twice is a no-op, not a second event
    place = await store.close_place(conn, place_id)
    await store.close_activities(conn, place_id)
    await outbox.enqueue(conn, PlaceClosed(place_id=place_id))
    await audit.record(conn, principal, "close", "place", place_id)
    return place
