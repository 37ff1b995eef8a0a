"""``/v1/coordinators``: who widens the caring relationships in which area."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from kasane_shared import audit
from kasane_shared.contracts.community import CoordinatorAssigned
from kasane_shared.db import Conn
from kasane_shared.events import outbox
from kasane_shared.http.deps import Profile
from kasane_shared.http.idempotency import Idempotency
from kasane_shared.http.pagination import Page
from kasane_shared.http.problems import InvalidInput, NotFound
from kasane_shared.profile import MunicipalityProfile

from kasane_community.access import CoordinatorsWriter, DirectoryReader, ensure_keeper
from kasane_community.coordinators import store
from kasane_community.coordinators.models import AreasAssignment, CoordinatorCreate, CoordinatorRead, CoordinatorRole
from kasane_community.shapes import check_area, cursor_after, next_cursor

router = APIRouter(tags=["coordinators"])


def _check_areas(profile: MunicipalityProfile, codes: list[str]) -> list[str]:
    for i, code in enumerate(codes):
        check_area(profile, code, f"area_codes.{i}")
    return sorted(set(codes))


@router.post("/v1/coordinators", status_code=201, response_model=CoordinatorRead,
             summary="Register a coordinator and assign their areas (emits coordinator.assigned)")
async def register(body: CoordinatorCreate, conn: Conn, principal: CoordinatorsWriter, profile: Profile,
                   idem: Idempotency):
    if (replay := await idem.replay(conn, body)) is not None:
        return replay
    agency_id = body.agency_id or principal.agency_id
    if profile.agency(agency_id) is None:
        raise InvalidInput("agency_id", f"{agency_id} is not an agency of the municipality profile")
    body = body.model_copy(update={"area_codes": _check_areas(profile, body.area_codes)})
    coordinator = await store.insert(conn, coordinator_id=uuid.uuid4(), body=body, agency_id=agency_id,
                                     registered_by=principal.agency_id)
    await outbox.enqueue(conn, CoordinatorAssigned(
        coordinator_id=coordinator.id, role=coordinator.role, area_codes=coordinator.area_codes,
    ))
    await audit.record(conn, principal, "create", "coordinator", coordinator.id)
    return await idem.respond(conn, 201, coordinator)


@router.put("/v1/coordinators/{coordinator_id}/areas", response_model=CoordinatorRead,
            summary="Assign a coordinator to other areas (emits coordinator.assigned)")
async def reassign(coordinator_id: uuid.UUID, body: AreasAssignment, conn: Conn, principal: CoordinatorsWriter,
                   profile: Profile) -> CoordinatorRead:
    coordinator = await store.get(conn, coordinator_id, lock=True)
    if coordinator is None:
        raise NotFound("no such coordinator")
    ensure_keeper(principal, coordinator.registered_by_agency, coordinator.agency_id, what="coordinator")
    areas = _check_areas(profile, body.area_codes)
    if areas == coordinator.area_codes:
        return coordinator  # nothing changed: no event
    coordinator = await store.set_areas(conn, coordinator_id, areas)
    await outbox.enqueue(conn, CoordinatorAssigned(
        coordinator_id=coordinator.id, role=coordinator.role, area_codes=coordinator.area_codes,
    ))
    await audit.record(conn, principal, "update", "coordinator", coordinator_id)
    return coordinator


@router.get("/v1/coordinators", response_model=Page[CoordinatorRead], summary="Coordinators, oldest first")
async def list_coordinators(
    conn: Conn, principal: DirectoryReader, profile: Profile,
    area_code: Annotated[str | None, Query(
        description="who covers this area: assigned to it or to an area above it")] = None,
    role: CoordinatorRole | None = None,
    agency_id: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[CoordinatorRead]:
    covering = None
    if area_code is not None:
        check_area(profile, area_code, "area_code", location="query")
        covering = [area_code, *(a.code for a in profile.ancestors(area_code))]
    items = await store.page(conn, covering=covering, role=role, agency_id=agency_id,
                             after=cursor_after(cursor), limit=limit)
    return Page(items=items, next_cursor=next_cursor(items, limit, at="created_at"))


@router.get("/v1/coordinators/{coordinator_id}", response_model=CoordinatorRead)
async def read_coordinator(coordinator_id: uuid.UUID, conn: Conn, principal: DirectoryReader) -> CoordinatorRead:
    coordinator = await store.get(conn, coordinator_id)
    if coordinator is None:
        raise NotFound("no such coordinator")
    return coordinator
