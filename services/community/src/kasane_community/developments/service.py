"""Opening, moving and crediting development projects: a state change and its event in
one transaction, the project's row locked or written before its event is enqueued."""

from __future__ import annotations

import uuid

import asyncpg
from kasane_shared import audit
from kasane_shared.auth.tokens import Principal
from kasane_shared.contracts.codes import DevelopmentStatus
from kasane_shared.contracts.community import (
    DevelopmentOpened,
    DevelopmentProducedResource,
    DevelopmentStatusChanged,
    ResourceProduced,
)
from kasane_shared.events import outbox
from kasane_shared.http.problems import Conflict, InvalidInput, NotFound
from kasane_shared.profile import MunicipalityProfile

from kasane_community.access import ensure_keeper
from kasane_community.coordinators import store as coordinators
from kasane_community.developments import store
from kasane_community.developments.grouping import GapNeed, needs_of, outside_area
from kasane_community.developments.lifecycle import allowed_moves, can_move, can_produce
from kasane_community.developments.models import (
    DevelopmentCreate,
    DevelopmentRead,
    DevelopmentUpdate,
    GapNeedRead,
    OpportunityRead,
    OrganisationSummary,
    PlaceSummary,
    Produced,
    ResourceLink,
    StatusChange,
    StatusStep,
)
from kasane_community.organisations import store as organisations
from kasane_community.places import service as places
from kasane_community.places import store as place_store
from kasane_community.places.models import PlaceCreate, PlaceRead
from kasane_community.shapes import check_area


async def _check_links(conn: asyncpg.Connection, *, organisation_ids: list[uuid.UUID] | None,
                       coordinator_id: uuid.UUID | None) -> None:
    if organisation_ids:
        known = await organisations.existing_ids(conn, organisation_ids)
        missing = [o for o in organisation_ids if o not in known]
        if missing:
            raise InvalidInput("organisation_ids", f"no such organisation: {missing[0]}")
    if coordinator_id is not None and await coordinators.get(conn, coordinator_id) is None:
        raise InvalidInput("coordinator_id", "no such coordinator")


async def _claim_gap_needs(conn: asyncpg.Connection, profile: MunicipalityProfile,
                           body: DevelopmentCreate) -> list[GapNeed]:
    """The gap needs the project takes up, locked; 422/409 when one cannot be taken."""
    wanted = list(dict.fromkeys(body.gap_need_ids))
    claimed = await store.lock_gap_needs(conn, wanted) if wanted else []
    found = {n.id for n in claimed}
    if missing := [g for g in wanted if g not in found]:
        raise InvalidInput("gap_need_ids", f"no such gap need: {missing[0]}")
    if body.from_group is not None:
        check_area(profile, body.from_group.area_code, "from_group.area_code")
        group = await store.lock_open_group(conn, area_code=body.from_group.area_code,
                                            need_code=body.from_group.need_code)
        if not group:
            raise InvalidInput("from_group", "the group has no open gap needs")
        claimed += [n for n in group if n.id not in found]
    if taken := [n.id for n in claimed if not n.open]:
        raise Conflict(f"gap need {taken[0]} is already taken up by a live project",
                       gap_need_ids=[str(t) for t in taken])
    if outside := outside_area(claimed, profile.descendants(body.area_code)):
        raise InvalidInput("gap_need_ids", f"gap need {outside[0]} is outside the project's area")
    return claimed


async def open_development(conn: asyncpg.Connection, *, principal: Principal, profile: MunicipalityProfile,
                           body: DevelopmentCreate) -> DevelopmentRead:
    """Open a project at the idea stage from gap needs; emit ``development.opened``."""
    check_area(profile, body.area_code, "area_code")
    await _check_links(conn, organisation_ids=body.organisation_ids, coordinator_id=body.coordinator_id)
    claimed = await _claim_gap_needs(conn, profile, body)
    need_codes = list(dict.fromkeys(body.need_codes)) or needs_of(claimed)
    if not need_codes:
        raise InvalidInput("need_codes", "name the needs, or the gap needs the project answers")
    development_id = uuid.uuid4()
    await store.insert_development(
        conn, development_id=development_id, title=body.title, description=body.description,
        area_code=body.area_code, need_codes=need_codes, coordinator_id=body.coordinator_id,
        agency=principal.agency_id,
    )
    gap_need_ids = [n.id for n in claimed]
    await store.take_up(conn, development_id, gap_need_ids)
    await store.set_organisations(conn, development_id, body.organisation_ids)
    await outbox.enqueue(conn, DevelopmentOpened(
        development_id=development_id, area_code=body.area_code, need_codes=need_codes,
        gap_need_ids=gap_need_ids, organisation_ids=list(dict.fromkeys(body.organisation_ids)),
    ))
    await audit.record(conn, principal, "create", "development", development_id)
    return await read_development(conn, development_id)


async def _locked(conn: asyncpg.Connection, principal: Principal, development_id: uuid.UUID) -> asyncpg.Record:
    row = await store.get_row(conn, development_id, lock=True)
    if row is None:
        raise NotFound("no such development project")
    coordinator = await coordinators.get(conn, row["coordinator_id"]) if row["coordinator_id"] else None
    ensure_keeper(principal, row["opened_by_agency"], coordinator.agency_id if coordinator else None,
                  what="development project")
    return row


async def change_development(conn: asyncpg.Connection, *, principal: Principal, development_id: uuid.UUID,
                             body: DevelopmentUpdate) -> DevelopmentRead:
    """Change a project's title, description, coordinator or organisations (no event)."""
    await _locked(conn, principal, development_id)
    changes = body.model_dump(exclude_unset=True)
    if "title" in changes and changes["title"] is None:
        raise InvalidInput("title", "may not be removed")
    await _check_links(conn, organisation_ids=changes.get("organisation_ids"),
                       coordinator_id=changes.get("coordinator_id"))
    organisation_ids = changes.pop("organisation_ids", None)
    if organisation_ids is not None or "organisation_ids" in body.model_fields_set:
        await store.set_organisations(conn, development_id, organisation_ids or [])
    if changes:
        await store.update_row(conn, development_id, changes)
    await audit.record(conn, principal, "update", "development", development_id)
    return await read_development(conn, development_id)


async def change_status(conn: asyncpg.Connection, *, principal: Principal, development_id: uuid.UUID,
                        body: StatusChange) -> DevelopmentRead:
    """Move a project to another stage; emit ``development.status_changed``."""
    row = await _locked(conn, principal, development_id)
    current = DevelopmentStatus(row["status"])
    if not can_move(current, body.status):
        raise Conflict(f"a project in {current} cannot move to {body.status}",
                       allowed=[str(s) for s in allowed_moves(current)])
    await store.update_row(conn, development_id, {"status": str(body.status)})
    await store.add_history(conn, development_id=development_id, from_status=str(current),
                            to_status=str(body.status), reason_code=body.reason_code, agency=principal.agency_id)
    if body.status == DevelopmentStatus.dropped:
        await store.release(conn, development_id)
    await outbox.enqueue(conn, DevelopmentStatusChanged(
        development_id=development_id, from_status=current, to_status=body.status,
    ))
    await audit.record(conn, principal, "update", "development", development_id)
    return await read_development(conn, development_id)


def _ensure_producing(row: asyncpg.Record) -> None:
    status = DevelopmentStatus(row["status"])
    if not can_produce(status):
        raise Conflict(f"a project in {status} has produced nothing yet: move it to trial or running first")


async def produce_place(conn: asyncpg.Connection, *, principal: Principal, profile: MunicipalityProfile,
                        development_id: uuid.UUID, body: PlaceCreate) -> PlaceRead:
    """Publish the place a project produced: ``place.published`` with the project's id,
    then ``development.produced``."""
    row = await _locked(conn, principal, development_id)
    _ensure_producing(row)
    check_area(profile, body.area_code, "area_code")
    if body.area_code not in profile.descendants(row["area_code"]):
        raise InvalidInput("area_code", f"the place must be in the project's area {row['area_code']}")
    place = await places.publish_place(conn, principal=principal, profile=profile, body=body,
                                       development_id=development_id)
    await _credit(conn, row, place_id=place.id, opportunity_id=None)
    return place


async def link_resource(conn: asyncpg.Connection, *, principal: Principal, development_id: uuid.UUID,
                        body: ResourceLink) -> DevelopmentRead:
    """Credit a project with a place already published or an opportunity made in participation."""
    row = await _locked(conn, principal, development_id)
    _ensure_producing(row)
    if body.place_id is not None:
        place = await place_store.get_place(conn, body.place_id, lock=True)
        if place is None:
            raise InvalidInput("place_id", "no such place")
        if place.development_id not in (None, development_id):
            raise Conflict("another project produced this place")
        await place_store.link_development(conn, place.id, development_id)
    elif not await store.opportunity_known(conn, body.opportunity_id):
        raise InvalidInput("opportunity_id", "participation has not published this opportunity (yet)")
    owner = await store.producer_of(conn, place_id=body.place_id, opportunity_id=body.opportunity_id)
    if owner == development_id:
        return await read_development(conn, development_id)  # already credited: nothing to emit
    if owner is not None:
        raise Conflict("another project is credited with this resource")
    await _credit(conn, row, place_id=body.place_id, opportunity_id=body.opportunity_id)
    await audit.record(conn, principal, "update", "development", development_id)
    return await read_development(conn, development_id)


async def _credit(conn: asyncpg.Connection, row: asyncpg.Record, *, place_id: uuid.UUID | None,
                  opportunity_id: uuid.UUID | None) -> None:
    await store.add_resource(conn, development_id=row["id"], place_id=place_id, opportunity_id=opportunity_id)
    await store.update_row(conn, row["id"], {})
    await outbox.enqueue(conn, DevelopmentProducedResource(
        development_id=row["id"], area_code=row["area_code"],
        produced=ResourceProduced(place_id=place_id, opportunity_id=opportunity_id),
    ))


async def read_development(conn: asyncpg.Connection, development_id: uuid.UUID) -> DevelopmentRead:
    """A project with its gap needs, organisations, history and what it produced."""
    row = await store.get_row(conn, development_id)
    if row is None:
        raise NotFound("no such development project")
    parts = await store.detail(conn, development_id)
    opportunities = [OpportunityRead(**{k: v for k, v in dict(o).items() if k != "source_place_id"})
                     for o in parts["opportunities"]]
    by_place: dict[uuid.UUID, list[OpportunityRead]] = {}
    for o, raw in zip(opportunities, parts["opportunities"], strict=True):
        if raw["source_place_id"] is not None:
            by_place.setdefault(raw["source_place_id"], []).append(o)
    produced = []
    for r in parts["produced"]:
        if r["place_id"] is not None:
            produced.append(Produced(
                place=PlaceSummary(id=r["place_id"], name=r["name"], kind=r["kind"], area_code=r["area_code"],
                                   status=r["status"]),
                opportunities=by_place.get(r["place_id"], []), produced_at=r["produced_at"],
            ))
        else:
            produced.append(Produced(
                opportunity_id=r["opportunity_id"],
                opportunities=[o for o in opportunities if o.id == r["opportunity_id"]],
                produced_at=r["produced_at"],
            ))
    status = DevelopmentStatus(row["status"])
    return DevelopmentRead(
        id=row["id"], title=row["title"], description=row["description"], area_code=row["area_code"],
        need_codes=list(row["need_codes"]), status=status, next_statuses=allowed_moves(status),
        coordinator_id=row["coordinator_id"], opened_by_agency=row["opened_by_agency"],
        opened_at=row["opened_at"], updated_at=row["updated_at"],
        organisations=[OrganisationSummary(**dict(o)) for o in parts["organisations"]],
        gap_needs=[GapNeedRead(**dict(g)) for g in parts["gap_needs"]],
        history=[StatusStep(**dict(h)) for h in parts["history"]],
        produced=produced,
    )
