"""Accepting a consultation (相談受付): the one path for the HTTP API and partner events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

import asyncpg
from kasane_shared import audit
from kasane_shared.contracts.codes import Concern
from kasane_shared.contracts.intake import ConsultationReceived
from kasane_shared.events import outbox
from kasane_shared.http.problems import InvalidInput
from kasane_shared.profile import MunicipalityProfile
from pydantic import BaseModel

from kasane_intake.authz import Access, Viewer, household_access, person_access
from kasane_intake.consultations import store
from kasane_intake.consultations.models import ConsultationCreate, ConsultationMemberRead, ConsultationRead
from kasane_intake.households import store as households
from kasane_intake.mynumber import find_my_number
from kasane_intake.persons import store as persons
from kasane_intake.persons.models import MatchProposalRead, Relationship
from kasane_intake.referrals import store as referrals
from kasane_intake.screening import store as screenings
from kasane_intake.screening.screening import HouseholdFacts, MemberFacts

KNOWN_CONCERNS = frozenset(c.value for c in Concern)


def reject_my_number(body: BaseModel) -> None:
    """422 naming the first string field that holds an individual number (never stored)."""
    field = find_my_number(body.model_dump(mode="python"))
    if field is not None:
        raise InvalidInput(field, "looks like a My Number (個人番号), which intake must never store")


def check_areas(body: ConsultationCreate, profile: MunicipalityProfile) -> None:
    """422 for an area code the municipality profile does not have."""
    if body.area_code is not None and profile.area(body.area_code) is None:
        raise InvalidInput("area_code", "not an area of the municipality profile")
    for i, member in enumerate(body.members):
        address = member.person.address if member.person else None
        if address and address.area_code is not None and profile.area(address.area_code) is None:
            raise InvalidInput(f"members.{i}.person.address.area_code", "not an area of the municipality profile")


def split_concerns(codes: list[str]) -> tuple[list[str], list[str]]:
    """(known, unknown) codes, each once, in the order given: unknown ones are kept and flagged."""
    unique = list(dict.fromkeys(codes))
    return [c for c in unique if c in KNOWN_CONCERNS], [c for c in unique if c not in KNOWN_CONCERNS]


@dataclass(frozen=True)
class Accepted:
    consultation_id: uuid.UUID
    created: bool  # False: the (agency, external id) was taken, this is the first one
    read: ConsultationRead | None = None  # the new consultation as its desk sees it


async def _household_for(conn: asyncpg.Connection, viewer: Viewer, body: ConsultationCreate,
                         resolved: list[households.ResolvedMember],
                         area_code: str | None) -> tuple[asyncpg.Record | None, bool]:
    """The household the consultation is about, locked, and whether it is new: the one
    named (by an agency with full access: receiving a consultation on a household makes
    the agency one of its desks, so a case team without consent cannot name it), else an
    existing member's when the caller may name that, else a new one when anyone is named."""
    if body.household_id is not None:
        row = await households.lock_household(conn, body.household_id)
        access = await household_access(conn, viewer, body.household_id)
        if row is None or not access.full:
            raise InvalidInput("household_id", "no such household")
        if access.break_glass is not None:
            # break glass reads in an emergency; a consultation would make it a standing desk
            raise InvalidInput("household_id", "open under break glass only: a consultation cannot join it")
        return row, False
    for member in resolved:
        if not member.created:  # a person reported just now has no household yet
            existing = await households.primary_household(conn, [member.person_id])
            # reading a person does not open their household: a consultation joins it only
            # when the caller could name it (full access), else it would make the caller a
            # desk of the other members (issue 12); the consultation gets a household of its own
            if existing is not None and (standing := await household_access(conn, viewer, existing)).full \
                    and standing.break_glass is None:
                return await households.lock_household(conn, existing), False
    if resolved:
        return await households.create_household(conn, area_code=area_code, agency_id=viewer.agency), True
    return None, False


def _new_household_facts(body: ConsultationCreate, resolved: list[households.ResolvedMember],
                         member_codes: dict[uuid.UUID, list[str]], known: list[str], agency: str,
                         on: date) -> HouseholdFacts:
    """A household made by this consultation holds only what the request says: screening
    needs no query to see it."""
    members = []
    for r in resolved:
        m = body.members[r.index]
        members.append(MemberFacts(
            key=str(r.person_id), age=persons.person_age(r.person, on),
            relationship=(m.relationship or Relationship.other).value,
            lives_together=True if m.lives_together is None else m.lives_together,
            concerns=frozenset(member_codes[r.person_id]), withdrawn_years=m.withdrawn_years,
            no_outside_contact=m.no_outside_contact))
    return HouseholdFacts(members=members, concerns=frozenset(known), agencies=frozenset({agency}))


async def accept_consultation(
    conn: asyncpg.Connection, *, viewer: Viewer, body: ConsultationCreate, via: str, age_band: str | None = None,
) -> Accepted:
    """Store a consultation with its persons and household, enqueue ConsultationReceived,
    screen the household. Idempotent by (agency, external id)."""
    received_at = body.received_at or datetime.now(UTC)
    on = received_at.astimezone(viewer.profile.municipality.zone).date()  # the municipality's day
    all_codes = [*body.concern_codes, *(c for m in body.members for c in m.concern_codes)]
    known, unknown = split_concerns(all_codes)
    # claimed first: a retry with the same external id stores nothing at all
    consultation_id = await store.insert(
        conn, consultation_id=uuid.uuid4(), agency_id=viewer.agency, external_id=body.external_id,
        received_at=received_at, channel=body.channel.value, consulted_by=body.consulted_by.value,
        summary=body.summary, concern_codes=known, unknown_concern_codes=unknown, via=via, age_band=age_band,
    )
    if consultation_id is None:
        assert body.external_id is not None
        return Accepted(await store.by_external_id(conn, viewer.agency, body.external_id), created=False)

    listed = await households.resolve_members(conn, viewer, body.members, path="members", today=on)
    seen: set[uuid.UUID] = set()
    resolved = [r for r in listed if not (r.person_id in seen or seen.add(r.person_id))]  # named twice: once
    subject = next((r for r in resolved if body.members[r.index].subject), resolved[0] if resolved else None)
    area_code = body.area_code or (subject.person["area_code"] if subject else None)
    household, new_household = await _household_for(conn, viewer, body, resolved, area_code)
    if household is not None:
        area_code = area_code or household["area_code"]
        for r in resolved:
            member = body.members[r.index]
            await households.link_member(conn, household=household, person=r.person,
                                         relationship=member.relationship, lives_together=member.lives_together,
                                         agency_id=viewer.agency, today=on, new_household=new_household)
    # a consultation about one person is about that person's concerns
    single = len(resolved) == 1
    member_codes = {r.person_id: list(dict.fromkeys(
        [c for m in listed if m.person_id == r.person_id for c in body.members[m.index].concern_codes]
        or (body.concern_codes if single else []))) for r in resolved}
    await conn.executemany(
        """INSERT INTO consultation_members (consultation_id, person_id, is_subject, concern_codes,
                                             withdrawn_years, no_outside_contact)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        [(consultation_id, r.person_id, r is subject, member_codes[r.person_id],
          body.members[r.index].withdrawn_years, body.members[r.index].no_outside_contact) for r in resolved],
    )
    if subject is not None:
        age_band = persons.person_age_band(subject.person, on) or age_band
    row = await conn.fetchrow(
        """UPDATE consultations SET household_id = $2, person_id = $3, area_code = $4, age_band = $5
            WHERE id = $1 RETURNING *""",
        consultation_id, household["id"] if household else None, subject.person_id if subject else None,
        area_code, age_band,
    )
    await outbox.enqueue(conn, ConsultationReceived(
        consultation_id=consultation_id, agency_id=viewer.agency, received_at=received_at,
        channel=row["channel"], consulted_by=row["consulted_by"], anonymous=row["anonymous"],
        household_id=row["household_id"], person_id=row["person_id"], area_code=area_code, age_band=age_band,
        concern_codes=known, unknown_concern_codes=unknown, via=via,
    ))
    facts = _new_household_facts(body, resolved, member_codes, known, viewer.agency, on) if new_household else None
    screening = await screenings.screen_consultation(conn, consultation=row, rules=viewer.rules.screening, on=on,
                                                     facts=facts)
    await audit.record(conn, viewer.principal, "create", "consultation", consultation_id, purpose=viewer.purpose)
    await audit.record(conn, viewer.principal, "create", "person", [r.person_id for r in resolved if r.created],
                       purpose=viewer.purpose)
    read = _read(row, [ConsultationMemberRead(
        person_id=r.person_id, subject=r is subject, concern_codes=member_codes[r.person_id],
        withdrawn_years=body.members[r.index].withdrawn_years,
        no_outside_contact=body.members[r.index].no_outside_contact) for r in resolved])
    read.screening = screening
    if any(r.proposals for r in resolved):
        read.match_proposals = await _visible_proposals(conn, viewer, {r.person_id for r in resolved})
    return Accepted(consultation_id, created=True, read=read)


def limited_read(row: asyncpg.Record) -> ConsultationRead:
    """That a consultation exists, who received it and when: nothing about the person."""
    return ConsultationRead(id=row["id"], access="limited", agency_id=row["agency_id"],
                            received_at=row["received_at"], status=row["status"])


def _read(row: asyncpg.Record, members: list[ConsultationMemberRead]) -> ConsultationRead:
    return ConsultationRead(
        id=row["id"], access="full", agency_id=row["agency_id"], received_at=row["received_at"],
        status=row["status"], channel=row["channel"], consulted_by=row["consulted_by"],
        anonymous=row["anonymous"], external_id=row["external_id"], via=row["via"],
        household_id=row["household_id"], person_id=row["person_id"], area_code=row["area_code"],
        age_band=row["age_band"], summary=row["summary"], concern_codes=list(row["concern_codes"]),
        unknown_concern_codes=list(row["unknown_concern_codes"]), members=members,
    )


async def _visible_proposals(conn: asyncpg.Connection, viewer: Viewer,
                             mine: set[uuid.UUID]) -> list[MatchProposalRead]:
    """Open proposals naming these persons whose other record the caller may read."""
    proposals = []
    for proposal in await persons.proposals_for(conn, mine):
        other = proposal.candidate_person_id if proposal.person_id in mine else proposal.person_id
        other_row = await persons.get_person(conn, other)
        if other_row is not None and (await person_access(conn, viewer, other_row)).full:
            proposals.append(proposal)
    return proposals


async def full_read(conn: asyncpg.Connection, viewer: Viewer, row: asyncpg.Record, *,
                    nested: bool = True) -> ConsultationRead:
    """The whole consultation; ``nested`` adds its screening, referrals and the match
    proposals (whose other record the caller may read) of the persons it names."""
    members = await store.members(conn, row["id"])
    read = _read(row, [ConsultationMemberRead(person_id=m["person_id"], subject=m["is_subject"],
                                              concern_codes=list(m["concern_codes"]),
                                              withdrawn_years=m["withdrawn_years"],
                                              no_outside_contact=m["no_outside_contact"]) for m in members])
    if not nested:
        return read
    read.match_proposals = await _visible_proposals(conn, viewer, {m["person_id"] for m in members})
    read.screening = await screenings.latest_for_consultation(conn, row["id"])
    read.referrals = [await referrals.read(conn, r) for r in await referrals.for_consultation(conn, row["id"])]
    return read


async def read_as(conn: asyncpg.Connection, viewer: Viewer, row: asyncpg.Record, access: Access,
                  *, nested: bool = True) -> ConsultationRead:
    return await full_read(conn, viewer, row, nested=nested) if access.full else limited_read(row)
