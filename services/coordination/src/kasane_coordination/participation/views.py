"""``/v1/cases/{id}/participation-requests``: ask participation support from a plan action."""

from __future__ import annotations

from uuid import UUID, uuid4

import asyncpg
from fastapi import APIRouter
from kasane_shared.contracts.coordination import Availability, ParticipationRequested
from kasane_shared.db import Conn
from kasane_shared.http.deps import Profile
from kasane_shared.http.idempotency import Idempotency
from kasane_shared.http.problems import Conflict, InvalidInput

from kasane_coordination.access import CaseAccess, audit_read, audit_write, case_access
from kasane_coordination.deps import CaseReader, PlanWriter, Rules
from kasane_coordination.events import emit
from kasane_coordination.participation.models import (
    AvailabilityIn,
    ParticipationRequestCreate,
    ParticipationRequestRead,
)
from kasane_coordination.participation.pace import pace_error
from kasane_coordination.plans import store as plans
from kasane_coordination.plans.service import is_active
from kasane_coordination.relationships import of_the_case

router = APIRouter(tags=["participation requests"])


def _read(access: CaseAccess, row: asyncpg.Record) -> ParticipationRequestRead:
    return ParticipationRequestRead(
        id=row["id"], case_id=row["case_id"], plan_id=row["plan_id"], action_id=row["action_id"],
        participant_id=row["participant_id"], person_id=row["person_id"] if access.detail else None,
        needs=list(row["needs"]), preferences=list(row["preferences"]),
        required_accommodations=list(row["required_accommodations"]), languages=list(row["languages"]),
        area_code=row["area_code"], travel_km=row["travel_km"], current_step=row["current_step"],
        max_step=row["max_step"], availability=[AvailabilityIn(**a) for a in row["availability"]],
        age_band=row["age_band"], requested_by_agency_id=row["requested_by_agency_id"],
        requested_at=row["requested_at"],
    )


@router.post("/v1/cases/{case_id}/participation-requests", status_code=201, response_model=ParticipationRequestRead,
             summary="Ask participation support (参加支援) for a person, from an action of the active plan")
async def request_participation(case_id: UUID, body: ParticipationRequestCreate, conn: Conn,
                                principal: PlanWriter, rules: Rules, profile: Profile, idem: Idempotency):
    if (replay := await idem.replay(conn, body)) is not None:
        return replay
    if profile.area(body.area_code) is None:
        raise InvalidInput("area_code", "not an area of this municipality")
    if (error := pace_error(body.current_step, body.max_step)) is not None:
        raise InvalidInput("current_step", error)
    access = await case_access(conn, principal, case_id, rules, write=True)
    access.require_working("asking for participation support")
    plan = await plans.get(conn, case_id, body.plan_id)
    if plan is None:
        raise InvalidInput("plan_id", "not a plan version of this case")
    if await plans.action(conn, body.plan_id, body.action_id) is None:
        raise InvalidInput("action_id", "not an action of this plan version")
    if not is_active(plan):
        raise Conflict("participation is asked for from the active (approved) plan", slug="plan-not-active")
    if not access.consent_in_force:
        raise Conflict("participation support shares the person's needs beyond the team: it needs consent",
                       slug="consent-required")
    if body.person_id is not None and not await of_the_case(conn, access.case, body.person_id):
        # the request travels to participation under a pseudonym; the person must be the case's
        raise InvalidInput("person_id", "not the case's person nor a member of its household")
    age_band = body.age_band
    if age_band is None and body.person_id is not None:
        age_band = await conn.fetchval("SELECT age_band FROM household_members WHERE person_id = $1 LIMIT 1",
                                       body.person_id)
    request_id, participant_id = uuid4(), uuid4()  # a fresh pseudonym per request, never intake's person id
    await conn.execute(
        """INSERT INTO participation_requests (id, case_id, plan_id, action_id, person_id, participant_id, needs,
               preferences, required_accommodations, languages, area_code, travel_km, current_step, max_step,
               availability, age_band, requested_by_agency_id, actor)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)""",
        request_id, case_id, body.plan_id, body.action_id, body.person_id, participant_id, body.needs,
        body.preferences, body.required_accommodations, body.languages, body.area_code, body.travel_km,
        body.current_step.value if body.current_step else None, body.max_step.value if body.max_step else None,
        [a.model_dump() for a in body.availability], age_band, principal.agency_id, principal.subject,
    )
    await emit(conn, ParticipationRequested(
        request_id=request_id, case_id=case_id, participant_id=participant_id, needs=body.needs,
        preferences=body.preferences, required_accommodations=body.required_accommodations,
        languages=body.languages, area_code=body.area_code, travel_km=body.travel_km,
        current_step=body.current_step, max_step=body.max_step,
        availability=[Availability(**a.model_dump()) for a in body.availability], age_band=age_band,
    ), agency_id=principal.agency_id, cases=[case_id], request_id=request_id)
    await audit_write(conn, principal, "create", "participation_request", request_id)
    row = await conn.fetchrow("SELECT * FROM participation_requests WHERE id = $1", request_id)
    return await idem.respond(conn, 201, _read(access, row))


@router.get("/v1/cases/{case_id}/participation-requests", response_model=list[ParticipationRequestRead],
            summary="Participation requests made for the case")
async def list_requests(case_id: UUID, conn: Conn, principal: CaseReader,
                        rules: Rules) -> list[ParticipationRequestRead]:
    access = await case_access(conn, principal, case_id, rules)
    rows = await conn.fetch("SELECT * FROM participation_requests WHERE case_id = $1 ORDER BY requested_at", case_id)
    await audit_read(conn, principal, access, "participation_request", [r["id"] for r in rows] or [case_id])
    return [_read(access, r) for r in rows]
