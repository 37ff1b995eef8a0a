"""Opportunities: providers' own (by API) and community's places (by event), one lifecycle.

draft -> open <-> paused, open <-> full (by seats taken and given back), any -> closed.
Events: ``OpportunityPublished`` when it first leaves draft, ``OpportunityChanged`` when
the facts matching uses change, ``OpportunityClosed`` when it closes. Whenever an
opportunity becomes offerable (open with a free place) or changes while offerable,
waiting requests are matched against it again.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

import asyncpg
from kasane_shared.auth.tokens import Principal
from kasane_shared.contracts.community import PlaceFacts
from kasane_shared.contracts.participation import (
    OpportunityChanged,
    OpportunityClosed,
    OpportunityFacts,
    OpportunityPublished,
    Slot,
)
from kasane_shared.events import outbox
from kasane_shared.events.consumer import Rejected
from kasane_shared.http.problems import Conflict, Forbidden, InvalidInput, NotFound
from kasane_shared.profile import MunicipalityProfile

from kasane_participation.areas import locate
from kasane_participation.opportunities import store
from kasane_participation.opportunities.models import OpportunityCreate, OpportunityRead, OpportunityUpdate
from kasane_participation.rules import ParticipationRules
from kasane_participation.schedule import hours_bits, opportunity_hours

PLACE_STATUS = {"open": "open", "paused": "paused", "closed": "closed"}


def _codes(values: Sequence[str]) -> list[str]:
    return sorted(set(values))


def _languages(values: Sequence[str]) -> list[str]:
    return _codes(values) or ["ja"]  # a place that names no language works in Japanese


def _schedule(slots: Sequence[Any]) -> dict[str, Any]:
    clean = sorted({(s.weekday, s.start_hour, s.end_hour) for s in slots})
    hours, flexible = opportunity_hours(Slot(weekday=d, start_hour=a, end_hour=b) for d, a, b in clean)
    return {
        "schedule": [{"weekday": d, "start_hour": a, "end_hour": b} for d, a, b in clean],
        "hours": asyncpg.BitString(hours_bits(hours)), "flexible_hours": flexible,
    }


def facts(row: Mapping[str, Any]) -> OpportunityFacts:
    """What events say about an opportunity: no title, no provider."""
    return OpportunityFacts(
        kind=row["kind"], area_code=row["area_code"], lat=row["lat"], lon=row["lon"],
        capacity=row["capacity"], accommodations=list(row["accommodations"]),
        languages=list(row["languages"]), schedule=[Slot(**s) for s in row["schedule"]],
        for_ages=list(row["for_ages"]), status=row["status"], source_place_id=row["source_place_id"],
    )


def offerable(row: Mapping[str, Any]) -> bool:
    return row["status"] == "open" and row["seats_taken"] < row["capacity"]


def to_read(row: Mapping[str, Any]) -> OpportunityRead:
    return OpportunityRead(
        id=row["id"], kind=row["kind"], title=row["title"],
        source="community" if row["source_place_id"] else "provider",
        owner_agency_id=row["owner_agency_id"], source_place_id=row["source_place_id"],
        development_id=row["development_id"], area_code=row["area_code"], lat=row["lat"], lon=row["lon"],
        located_by=row["located_by"], capacity=row["capacity"], seats_taken=row["seats_taken"],
        free_seats=max(row["capacity"] - row["seats_taken"], 0), status=row["status"],
        schedule=row["schedule"], flexible_hours=row["flexible_hours"],
        accommodations=row["accommodations"], languages=row["languages"], activities=row["activities"],
        for_ages=row["for_ages"], version=row["version"], created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def announce(conn: asyncpg.Connection, before: Mapping[str, Any] | None, after: Mapping[str, Any],
                   rules: ParticipationRules) -> None:
    """Emit what changed (the row is already written and locked), then re-match waiting requests."""
    from kasane_participation.matching.service import propose_for_waiting  # matching uses opportunities

    if after["status"] == "draft":
        return
    changed = before is None or facts(before) != facts(after)
    if before is None or not before["published"]:
        await outbox.enqueue(conn, OpportunityPublished(opportunity_id=after["id"], facts=facts(after)))
        await store.mark_published(conn, after["id"])
    elif after["status"] == "closed":
        if before["status"] != "closed":
            await outbox.enqueue(conn, OpportunityClosed(opportunity_id=after["id"],
                                                         source_place_id=after["source_place_id"]))
    elif changed:
        await outbox.enqueue(conn, OpportunityChanged(opportunity_id=after["id"], facts=facts(after)))
    if offerable(after) and (changed or before is None or not offerable(before)):
        await propose_for_waiting(conn, after["id"], rules)


async def create(conn: asyncpg.Connection, *, principal: Principal, body: OpportunityCreate,
                 profile: MunicipalityProfile, rules: ParticipationRules) -> asyncpg.Record:
    """A provider's opportunity, posted by its agency."""
    if profile.area(body.area_code) is None:
        raise InvalidInput("area_code", "not an area of this municipality's profile")
    located = locate(profile, body.area_code, body.lat, body.lon)
    if located is None:
        raise InvalidInput("lat", "the area has no centroid: give lat and lon")
    values = {
        "kind": body.kind.value, "title": body.title, "area_code": body.area_code,
        "lat": located[0], "lon": located[1], "located_by": located[2],
        "capacity": body.capacity, "status": body.status,
        "accommodations": _codes(body.accommodations), "languages": _languages(body.languages),
        "activities": _codes(body.activities), "for_ages": _codes(body.for_ages),
        **_schedule(body.schedule),
    }
    row = await store.insert(conn, id=uuid.uuid4(), owner_agency_id=principal.agency_id,
                             source_place_id=None, values=values)
    await announce(conn, None, row, rules)
    return row


def _next_status(current: str, wanted: str | None, seats_taken: int, capacity: int) -> str:
    """The status after an update: ``full`` follows the seats, never the caller."""
    target = current if wanted is None else wanted
    if current == "closed":
        raise Conflict("a closed opportunity does not change", slug="closed")
    if wanted == "paused" and current == "draft":
        raise Conflict("a draft is opened, not paused", slug="invalid-transition")
    if target in ("open", "full"):
        return "full" if seats_taken >= capacity else "open"
    return target


async def visible(conn: asyncpg.Connection, principal: Principal, opportunity_id: UUID, *,
                  lock: bool = False) -> asyncpg.Record:
    """The opportunity, or 404 when it does not exist or is another agency's draft."""
    row = await store.get(conn, opportunity_id, lock=lock)
    if row is None or (row["status"] == "draft" and row["owner_agency_id"] != principal.agency_id):
        raise NotFound("no such opportunity")
    return row


async def update(conn: asyncpg.Connection, *, principal: Principal, opportunity_id: UUID,
                 body: OpportunityUpdate, profile: MunicipalityProfile,
                 rules: ParticipationRules) -> asyncpg.Record:
    """Change a provider's own opportunity."""
    before = await visible(conn, principal, opportunity_id, lock=True)
    if before["source_place_id"] is not None:
        raise Conflict("this opportunity mirrors a community place: change the place in community",
                       slug="managed-by-community")
    if before["owner_agency_id"] != principal.agency_id:
        raise Forbidden("only the agency that posted an opportunity changes it")
    given = body.model_dump(exclude_unset=True)
    values: dict[str, Any] = {}
    if "title" in given:
        values["title"] = body.title
    capacity = body.capacity if body.capacity is not None else before["capacity"]
    if capacity < before["seats_taken"]:
        raise InvalidInput("capacity", f"below the {before['seats_taken']} places already taken")
    if body.capacity is not None:
        values["capacity"] = capacity
    if body.area_code is not None or body.lat is not None:
        area = body.area_code or before["area_code"]
        if profile.area(area) is None:
            raise InvalidInput("area_code", "not an area of this municipality's profile")
        keep = before["located_by"] == "coordinates" and body.lat is None
        located = locate(profile, area, before["lat"] if keep else body.lat, before["lon"] if keep else body.lon)
        if located is None:
            raise InvalidInput("lat", "the area has no centroid: give lat and lon")
        values.update(area_code=area, lat=located[0], lon=located[1], located_by=located[2])
    if body.schedule is not None:
        values.update(_schedule(body.schedule))
    for name in ("accommodations", "activities", "for_ages"):
        if getattr(body, name) is not None:
            values[name] = _codes(getattr(body, name))
    if body.languages is not None:
        values["languages"] = _languages(body.languages)
    values["status"] = _next_status(before["status"], body.status, before["seats_taken"], capacity)
    after = await store.update(conn, opportunity_id, values)
    await announce(conn, before, after, rules)
    return after


# --- community's places (地域づくり) become places to be ------------------------------------

async def apply_place(conn: asyncpg.Connection, *, place_id: UUID, place: PlaceFacts,
                      development_id: UUID | None, profile: MunicipalityProfile,
                      rules: ParticipationRules) -> None:
    """Create or update the opportunity mirroring a community place."""
    status = PLACE_STATUS.get(place.status)
    if status is None:
        raise Rejected(f"place {place_id}: unknown status {place.status}")
    located = locate(profile, place.area_code, place.lat, place.lon)
    if located is None:
        raise Rejected(f"place {place_id}: area {place.area_code} is not in the profile")
    before = await store.by_place(conn, place_id, lock=True)
    seats_taken = before["seats_taken"] if before is not None else 0
    # a place may shrink below the people already placed there: they keep their places
    capacity = max(place.capacity or rules.place_default_capacity, seats_taken)
    if status == "open" and seats_taken >= capacity:
        status = "full"
    values: dict[str, Any] = {
        "kind": "place_to_be", "area_code": place.area_code,
        "lat": located[0], "lon": located[1], "located_by": located[2],
        "capacity": capacity, "status": status,
        "accommodations": _codes(place.accessibility), "languages": _languages(place.languages),
        "activities": [place.kind.value], "for_ages": _codes(place.for_ages),
        "organisation_id": place.organisation_id, **_schedule(place.schedule),
    }
    if before is None:
        after = await store.insert(conn, id=uuid.uuid4(), owner_agency_id=None, source_place_id=place_id,
                                   values={**values, "development_id": development_id})
    else:
        if development_id is not None:
            values["development_id"] = development_id
        if all(before[k] == v for k, v in values.items()):
            return  # the same facts again: nothing changes, nothing is emitted
        after = await store.update(conn, before["id"], values)
    await announce(conn, before, after, rules)


async def close_place(conn: asyncpg.Connection, *, place_id: UUID, rules: ParticipationRules) -> None:
    """Community closed the place: the opportunity closes too (a place never seen is ignored)."""
    before = await store.by_place(conn, place_id, lock=True)
    if before is None or before["status"] == "closed":
        return
    after = await store.update(conn, before["id"], {"status": "closed"})
    await announce(conn, before, after, rules)
