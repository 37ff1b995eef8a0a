"""Participation requests: from coordination's event or by API, then matched at once.

A new request that nothing fits waits (status ``waiting``) and a gap need is recorded;
it is matched again whenever an opportunity opens or changes. Statuses: open (matches
exist, none proposed yet), waiting, proposed, placed, closed.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Protocol
from uuid import UUID

import asyncpg
from kasane_shared.auth.tokens import Principal
from kasane_shared.http.problems import Conflict, NotFound

from kasane_participation.gaps import service as gaps
from kasane_participation.matching.matching import Seeker, seeker_from, step_scores
from kasane_participation.requests import store
from kasane_participation.requests.models import RequestRead
from kasane_participation.rules import ParticipationRules
from kasane_participation.schedule import availability_hours


class RequestFacts(Protocol):
    """What both ``ParticipationRequested`` and ``RequestCreate`` carry."""

    case_id: UUID | None
    needs: list[str]
    preferences: list[str]
    required_accommodations: list[str]
    languages: list[str]
    area_code: str
    travel_km: float
    current_step: Any
    max_step: Any
    availability: Sequence[Any]
    age_band: str | None


def _step(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


def seeker(row: Mapping[str, Any]) -> Seeker:
    """The request as matching sees it."""
    return seeker_from(
        lat=row["lat"], lon=row["lon"], travel_km=row["travel_km"], current_step=row["current_step"],
        max_step=row["max_step"], required=row["required_accommodations"], languages=row["languages"],
        hours=row["hours"], preferences=row["preferences"], needs=row["needs"], age_band=row["age_band"],
    )


def allowed_kinds(current_step: str | None, max_step: str | None, preferences: Sequence[str],
                  rules: ParticipationRules) -> list[str]:
    return list(step_scores(current_step, max_step, preferences, rules.steps))


def to_read(row: Mapping[str, Any]) -> RequestRead:
    return RequestRead(
        id=row["id"], case_id=row["case_id"], participant_id=row["participant_id"], origin=row["origin"],
        owner_agency_id=row["owner_agency_id"], needs=row["needs"], preferences=row["preferences"],
        required_accommodations=row["required_accommodations"], languages=row["languages"],
        area_code=row["area_code"], travel_km=row["travel_km"], current_step=row["current_step"],
        max_step=row["max_step"], availability=row["availability"], age_band=row["age_band"],
        allowed_kinds=row["allowed_kinds"], status=row["status"], close_reason=row["close_reason"],
        version=row["version"], created_at=row["created_at"], updated_at=row["updated_at"],
    )


async def create(conn: asyncpg.Connection, *, request_id: UUID, participant_id: UUID, facts: RequestFacts,
                 home: tuple[float, float], travel_km: float, origin: str, owner_agency_id: str | None,
                 rules: ParticipationRules) -> asyncpg.Record | None:
    """Store the request and match it once (None when this request id exists already)."""
    from kasane_participation.matching.service import evaluate_new  # matching reads requests

    availability = [
        {"weekdays": sorted(set(a.weekdays)), "start_hour": a.start_hour, "end_hour": a.end_hour}
        for a in facts.availability
    ]
    current, top = _step(facts.current_step), _step(facts.max_step)
    preferences = sorted(set(facts.preferences))
    row = await store.insert(conn, {
        "id": request_id, "case_id": facts.case_id, "participant_id": participant_id,
        "owner_agency_id": owner_agency_id, "origin": origin,
        "needs": sorted(set(facts.needs)), "preferences": preferences,
        "required_accommodations": sorted(set(facts.required_accommodations)),
        "languages": sorted(set(facts.languages)), "area_code": facts.area_code,
        "lat": home[0], "lon": home[1], "travel_km": travel_km,
        "current_step": current, "max_step": top, "availability": availability,
        "hours": availability_hours(facts.availability), "age_band": facts.age_band,
        "allowed_kinds": allowed_kinds(current, top, preferences, rules), "status": "open",
    })
    if row is None:
        return None
    return await evaluate_new(conn, row, rules)


def can_see(rules: ParticipationRules, principal: Principal, row: Mapping[str, Any]) -> bool:
    """Coordinators (参加支援事業) see every request; an agency sees the ones it made."""
    return rules.is_coordinator(principal.agency_id) or row["owner_agency_id"] == principal.agency_id


async def visible(conn: asyncpg.Connection, principal: Principal, rules: ParticipationRules,
                  request_id: UUID, *, lock: bool = False) -> asyncpg.Record:
    """The request, or 404 when it does not exist or the caller may not see it."""
    row = await store.get(conn, request_id, lock=lock)
    if row is None or not can_see(rules, principal, row):
        raise NotFound("no such participation request")
    return row


async def close(conn: asyncpg.Connection, *, principal: Principal, rules: ParticipationRules,
                request_id: UUID, reason_code: str) -> asyncpg.Record:
    """Close a request; open proposals are withdrawn. A live placement must end first."""
    row = await visible(conn, principal, rules, request_id, lock=True)
    if row["status"] == "closed":
        return row
    if row["status"] == "placed":
        raise Conflict("the request has a live placement: end it first", slug="placement-live")
    await conn.execute(
        "UPDATE matches SET status = 'withdrawn', decided_at = now(), decided_by = $2"
        " WHERE request_id = $1 AND status = 'proposed'", request_id, principal.agency_id)
    await gaps.resolve(conn, request_id=request_id, resolution="request_closed")
    return await store.update(conn, request_id, {"status": "closed", "close_reason": reason_code})


def new_id() -> UUID:
    return uuid.uuid4()
