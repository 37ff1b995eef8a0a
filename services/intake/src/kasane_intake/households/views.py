"""Routes for households: create, link members, and read the whole household."""

from __future__ import annotations

import uuid

import asyncpg
from fastapi import APIRouter
from kasane_shared import audit
from kasane_shared.db import Conn
from kasane_shared.http.problems import InvalidInput, NotFound

from kasane_intake.authz import (
    FULL,
    Access,
    PersonReader,
    PersonWriter,
    Viewer,
    audit_read,
    consultation_access,
    household_access,
    person_access,
)
from kasane_intake.consultations import service as consultations
from kasane_intake.consultations import store as consultation_store
from kasane_intake.consultations.service import reject_my_number
from kasane_intake.households import store
from kasane_intake.households.models import HouseholdCreate, HouseholdMemberIn, HouseholdRead, MemberRead
from kasane_intake.persons import store as persons
from kasane_intake.persons.views import check_person_area, person_read
from kasane_intake.referrals import store as referrals
from kasane_intake.screening import store as screenings

router = APIRouter(tags=["households"])


async def household_read(conn: asyncpg.Connection, viewer: Viewer, household: asyncpg.Record,
                         access: Access) -> HouseholdRead:
    """The whole household at the caller's access, audit-logged."""
    members: list[MemberRead] = []
    seen: set[uuid.UUID] = set()
    read_persons: list[uuid.UUID] = []
    for m in await conn.fetch(
            """SELECT hm.*, coalesce(p.merged_into, p.id) AS identity FROM household_members hm
                 JOIN persons p ON p.id = hm.person_id WHERE hm.household_id = $1 ORDER BY hm.linked_at""",
            household["id"]):
        if m["identity"] in seen:
            continue  # a merged record shows once, as the surviving person
        seen.add(m["identity"])
        row = await persons.get_person(conn, m["identity"])
        person_level = FULL if access.full else await person_access(conn, viewer, row)
        if person_level.level is None:
            person_level = Access("limited")
        members.append(MemberRead(person=await person_read(conn, viewer, row, person_level),
                                  relationship=m["relationship"], lives_together=m["lives_together"],
                                  linked_at=m["linked_at"]))
        read_persons.append(row["id"])
    shown = []
    open_referrals = []
    may_read_consultations = viewer.principal.has("consultations:read")
    if may_read_consultations:
        for c in await consultation_store.for_household(conn, household["id"]):
            c_access = await consultation_access(conn, viewer, c)
            if access.break_glass and not c_access.full:
                c_access = Access("full", access.break_glass)
            if c_access.level is None:
                continue
            shown.append(await consultations.read_as(conn, viewer, c, c_access, nested=False))
            if c_access.full:
                open_referrals += [await referrals.read(conn, r, details=False)
                                   for r in await referrals.for_consultation(conn, c["id"])
                                   if r["status"] in ("requested", "accepted")]
    await audit_read(conn, viewer, "household", [household["id"]], access)
    await audit_read(conn, viewer, "person", read_persons, access)
    await audit_read(conn, viewer, "consultation", [c.id for c in shown], access)
    return HouseholdRead(
        id=household["id"], access="full" if access.full else "limited", area_code=household["area_code"],
        members=members, consultations=shown, open_referrals=open_referrals,
        latest_screening=await screenings.latest_for_household(conn, household["id"]),
    )


def _check_members(members: list[HouseholdMemberIn], viewer: Viewer, path: str = "members") -> None:
    for i, member in enumerate(members):
        if member.person is not None:
            check_person_area(member.person, viewer.profile, f"{path}.{i}.person." if path else "person.")


@router.post("/v1/households", status_code=201, response_model=HouseholdRead,
             summary="Record a household and its members")
async def create_household(body: HouseholdCreate, conn: Conn, viewer: PersonWriter) -> HouseholdRead:
    reject_my_number(body)
    if body.area_code is not None and viewer.profile.area(body.area_code) is None:
        raise InvalidInput("area_code", "not an area of the municipality profile")
    _check_members(body.members, viewer)
    today = viewer.profile.municipality.today()
    resolved = await store.resolve_members(conn, viewer, body.members, path="members", today=today)
    household = await store.create_household(conn, area_code=body.area_code, agency_id=viewer.agency)
    for r in resolved:
        m = body.members[r.index]
        await store.link_member(conn, household=household, person=r.person, relationship=m.relationship,
                                lives_together=m.lives_together, agency_id=viewer.agency, today=today)
    await audit.record(conn, viewer.principal, "create", "household", household["id"], purpose=viewer.purpose)
    await audit.record(conn, viewer.principal, "create", "person", [r.person_id for r in resolved if r.created],
                       purpose=viewer.purpose)
    return await household_read(conn, viewer, household, FULL)


@router.post("/v1/households/{household_id}/members", status_code=201, response_model=HouseholdRead,
             summary="Link a person to the household (or change how they belong to it)")
async def link_member(household_id: uuid.UUID, body: HouseholdMemberIn, conn: Conn,
                      viewer: PersonWriter) -> HouseholdRead:
    reject_my_number(body)
    _check_members([body], viewer, path="")
    household = await store.lock_household(conn, household_id)
    access = await household_access(conn, viewer, household_id) if household else None
    if household is None or access is None or not access.full:
        raise NotFound("no such household")
    today = viewer.profile.municipality.today()
    [resolved] = await store.resolve_members(conn, viewer, [body], path="", today=today)
    await store.link_member(conn, household=household, person=resolved.person,
                            relationship=body.relationship, lives_together=body.lives_together,
                            agency_id=viewer.agency, today=today)
    await audit.record(conn, viewer.principal, "link", "household", household_id,
                       purpose=access.break_glass or viewer.purpose, break_glass=access.break_glass is not None)
    return await household_read(conn, viewer, household, access)


@router.get("/v1/households/{household_id}", response_model=HouseholdRead,
            summary="The whole household: members, consultations, open referrals, latest screening")
async def get_household(household_id: uuid.UUID, conn: Conn, viewer: PersonReader) -> HouseholdRead:
    household = await conn.fetchrow("SELECT * FROM households WHERE id = $1", household_id)
    access = await household_access(conn, viewer, household_id) if household else None
    if household is None or access is None or access.level is None:
        raise NotFound("no such household")
    return await household_read(conn, viewer, household, access)
