"""``/v1/organisations``: the platform of local actors (企業・商店・NPO・自治会・社協・学校・公民館)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from kasane_shared import audit
from kasane_shared.contracts.community import OrganisationJoined
from kasane_shared.db import Conn
from kasane_shared.events import outbox
from kasane_shared.http.deps import Profile
from kasane_shared.http.idempotency import Idempotency
from kasane_shared.http.pagination import Page
from kasane_shared.http.problems import InvalidInput, NotFound

from kasane_community.access import DirectoryReader, OrganisationsWriter, ensure_keeper
from kasane_community.organisations import store
from kasane_community.organisations.models import (
    Offer,
    OrganisationCreate,
    OrganisationKind,
    OrganisationRead,
    OrganisationUpdate,
)
from kasane_community.shapes import area_scope, check_area, cursor_after, next_cursor

router = APIRouter(tags=["organisations"])


@router.post("/v1/organisations", status_code=201, response_model=OrganisationRead,
             summary="An organisation joins the platform (emits organisation.joined)")
async def join(body: OrganisationCreate, conn: Conn, principal: OrganisationsWriter, profile: Profile,
               idem: Idempotency):
    if (replay := await idem.replay(conn, body)) is not None:
        return replay
    check_area(profile, body.area_code, "area_code")
    if body.agency_id is not None and profile.agency(body.agency_id) is None:
        raise InvalidInput("agency_id", f"{body.agency_id} is not an agency of the municipality profile")
    org = await store.insert(conn, org_id=uuid.uuid4(), body=body, agency=principal.agency_id)
    await outbox.enqueue(conn, OrganisationJoined(
        organisation_id=org.id, kind=org.kind, area_code=org.area_code, offers=[str(o) for o in org.offers],
    ))
    await audit.record(conn, principal, "create", "organisation", org.id)
    return await idem.respond(conn, 201, org)


@router.get("/v1/organisations", response_model=Page[OrganisationRead], summary="Organisations, oldest first")
async def list_organisations(
    conn: Conn, principal: DirectoryReader, profile: Profile,
    area_code: Annotated[str | None, Query(description="this area and the areas below it")] = None,
    kind: OrganisationKind | None = None,
    offer: Offer | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[OrganisationRead]:
    items = await store.page(conn, areas=area_scope(profile, area_code), kind=kind, offer=offer,
                             after=cursor_after(cursor), limit=limit)
    return Page(items=items, next_cursor=next_cursor(items, limit, at="joined_at"))


@router.get("/v1/organisations/{organisation_id}", response_model=OrganisationRead)
async def read_organisation(organisation_id: uuid.UUID, conn: Conn, principal: DirectoryReader) -> OrganisationRead:
    org = await store.get(conn, organisation_id)
    if org is None:
        raise NotFound("no such organisation")
    return org


@router.patch("/v1/organisations/{organisation_id}", response_model=OrganisationRead,
              summary="Change an organisation's directory entry (no event: the contract has none)")
async def change_organisation(organisation_id: uuid.UUID, body: OrganisationUpdate, conn: Conn,
                              principal: OrganisationsWriter, profile: Profile) -> OrganisationRead:
    org = await store.get(conn, organisation_id, lock=True)
    if org is None:
        raise NotFound("no such organisation")
    ensure_keeper(principal, org.registered_by_agency, org.agency_id, what="organisation")
    changes = body.model_dump(exclude_unset=True)
    for required in ("name",):
        if required in changes and changes[required] is None:
            raise InvalidInput(required, "may not be removed")
    check_area(profile, changes.get("area_code"), "area_code")
    if "offers" in changes:
        changes["offers"] = [str(o) for o in changes["offers"] or []]
    if "contact" in changes:
        changes["contact"] = body.contact.model_dump(exclude_none=True) if body.contact else {}
    if not changes:
        return org
    updated = await store.update(conn, organisation_id, changes)
    await audit.record(conn, principal, "update", "organisation", organisation_id)
    return updated
