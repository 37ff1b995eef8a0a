"""Routes for persons: register, read, correct, search, and merge or unlink records."""

from __future__ import annotations

import uuid

import asyncpg
from fastapi import APIRouter
from kasane_shared import audit
from kasane_shared.contracts.intake import PersonsMerged, PersonsUnlinked
from kasane_shared.db import Conn
from kasane_shared.events import outbox
from kasane_shared.http.problems import Conflict, InvalidInput, NotFound
from kasane_shared.profile import MunicipalityProfile

from kasane_intake.authz import (
    Access,
    PersonMerger,
    PersonReader,
    PersonWriter,
    Viewer,
    audit_read,
    identity_ids,
    person_access,
    refuse_under_break_glass,
)
from kasane_intake.consultations.service import reject_my_number
from kasane_intake.persons import store
from kasane_intake.persons.matching import SAME_KANA_BIRTH_DATE, normalise_kana
from kasane_intake.persons.models import (
    MatchProposalRead,
    MergeCreate,
    MergeRead,
    PersonCreate,
    PersonFound,
    PersonRead,
    PersonSearch,
    PersonUpdate,
    UnlinkCreate,
)

router = APIRouter(tags=["persons"])
SEARCH_LIMIT = 50


def check_person_area(data: PersonCreate, profile: MunicipalityProfile, path: str = "") -> None:
    code = data.address.area_code if data.address else None
    if code is not None and profile.area(code) is None:
        raise InvalidInput(f"{path}address.area_code", "not an area of the municipality profile")


async def visible_proposals(conn: asyncpg.Connection, viewer: Viewer,
                            identity: list[uuid.UUID]) -> list[MatchProposalRead]:
    """Open proposals naming the person whose other record the caller may also read."""
    found = []
    for proposal in await store.proposals_for(conn, identity):
        other = proposal.candidate_person_id if proposal.person_id in identity else proposal.person_id
        other_row = await store.get_person(conn, other)
        if other_row is not None and (await person_access(conn, viewer, other_row)).full:
            found.append(proposal)
    return found


async def person_read(conn: asyncpg.Connection, viewer: Viewer, row: asyncpg.Record, access: Access) -> PersonRead:
    """The person at the caller's level of access."""
    today = viewer.profile.municipality.today()
    if not access.full:
        return store.limited_read(row, today)
    identity = await identity_ids(conn, row["id"]) if row["merged_into"] is None else [row["id"]]
    links = await store.household_links(conn, identity)
    return store.full_read(
        row, links, today, merged_person_ids=await store.merged_into_ids(conn, row["id"]),
        consents=await store.consents_of(conn, identity),
        match_proposals=await visible_proposals(conn, viewer, identity),
    )


async def readable(conn: asyncpg.Connection, viewer: Viewer, person_id: uuid.UUID, *, full: bool = False,
                   lock: bool = False) -> tuple[asyncpg.Record, Access]:
    """The person and the caller's access, or 404 (the same for unknown and unseen ids)."""
    row = await store.get_person(conn, person_id, lock=lock)
    access = await person_access(conn, viewer, row) if row else None
    if row is None or access is None or access.level is None or (full and not access.full):
        raise NotFound("no such person")
    return row, access


@router.post("/v1/persons", status_code=201, response_model=PersonRead,
             summary="Register a person; likely matches are proposed, never merged")
async def create_person(body: PersonCreate, conn: Conn, viewer: PersonWriter) -> PersonRead:
    reject_my_number(body)
    check_person_area(body, viewer.profile)
    row = await store.insert_person(conn, data=body, agency_id=viewer.agency, today=viewer.profile.municipality.today())
    await store.propose_matches(conn, person=row)
    await audit.record(conn, viewer.principal, "create", "person", row["id"], purpose=viewer.purpose)
    return await person_read(conn, viewer, row, Access("full"))


@router.get("/v1/persons/{person_id}", response_model=PersonRead, summary="A person, as far as the caller may see")
async def get_person(person_id: uuid.UUID, conn: Conn, viewer: PersonReader) -> PersonRead:
    row, access = await readable(conn, viewer, person_id)
    read = await person_read(conn, viewer, row, access)
    await audit_read(conn, viewer, "person", [person_id], access)
    return read


@router.patch("/v1/persons/{person_id}", response_model=PersonRead, summary="Correct a person's data")
async def update_person(person_id: uuid.UUID, body: PersonUpdate, conn: Conn, viewer: PersonWriter) -> PersonRead:
    reject_my_number(body)
    check_person_area(body, viewer.profile)
    _, access = await readable(conn, viewer, person_id, full=True, lock=True)
    changes = body.model_dump(exclude_unset=True, mode="python")
    await store.update_person(conn, person_id=person_id, changes=changes, today=viewer.profile.municipality.today())
    await store.propose_matches(conn, person=await store.get_person(conn, person_id))
    await audit.record(conn, viewer.principal, "update", "person", person_id,
                       purpose=access.break_glass or viewer.purpose, break_glass=access.break_glass is not None)
    return await person_read(conn, viewer, await store.get_person(conn, person_id), access)


@router.post("/v1/persons/search", response_model=list[PersonFound],
             summary="Find persons the caller may read by kana (and birth date): in the body, never the URL")
async def search_persons(body: PersonSearch, conn: Conn, viewer: PersonReader) -> list[PersonFound]:
    reject_my_number(body)
    key = normalise_kana(body.kana)
    rows = await conn.fetch(
        """SELECT * FROM persons WHERE kana_key = $1 AND merged_into IS NULL
              AND ($2::date IS NULL OR birth_date = $2) ORDER BY created_at LIMIT $3""",
        key, body.birth_date, SEARCH_LIMIT,
    )
    found: list[PersonFound] = []
    today = viewer.profile.municipality.today()
    for row in rows:
        access = await person_access(conn, viewer, row)
        if not access.full or access.break_glass:
            continue  # a search never goes through break glass
        found.append(PersonFound(
            id=row["id"], family_name=row["family_name"], given_name=row["given_name"],
            family_name_kana=row["family_name_kana"], given_name_kana=row["given_name_kana"],
            birth_date=row["birth_date"], age_band=store.person_age_band(row, today), area_code=row["area_code"],
            reasons=[SAME_KANA_BIRTH_DATE if body.birth_date else "same_kana"],
        ))
    await audit_read(conn, viewer, "person", [f.id for f in found], action="search")
    return found


def merge_read(row: asyncpg.Record) -> MergeRead:
    return MergeRead(id=row["id"], surviving_person_id=row["surviving_id"], merged_person_id=row["merged_id"],
                     proposal_id=row["proposal_id"], merged_by=row["merged_by"], merged_at=row["merged_at"],
                     unlinked_by=row["unlinked_by"], unlinked_at=row["unlinked_at"])


@router.post("/v1/persons/{person_id}/merges", status_code=201, response_model=MergeRead,
             summary="Merge another record into this person (audited, reversible)")
async def merge_persons(person_id: uuid.UUID, body: MergeCreate, conn: Conn, viewer: PersonMerger) -> MergeRead:
    reject_my_number(body)
    if body.merged_person_id == person_id:
        raise InvalidInput("merged_person_id", "a person cannot be merged into themselves")
    # lock both in id order so two merges of the same pair cannot deadlock
    for pid in sorted([person_id, body.merged_person_id]):
        await store.get_person(conn, pid, lock=True)
    surviving, surviving_access = await readable(conn, viewer, person_id, full=True)
    merged = await store.get_person(conn, body.merged_person_id)
    merged_access = await person_access(conn, viewer, merged) if merged is not None else None
    if merged is None or merged_access is None or not merged_access.full:
        raise InvalidInput("merged_person_id", "no such person")
    # a merge joins the two records' relationships: one opened by break glass would stay open
    refuse_under_break_glass(surviving_access, "merging")
    refuse_under_break_glass(merged_access, "merging")
    if surviving["merged_into"] is not None or merged["merged_into"] is not None:
        raise Conflict("one of the records is already merged into another")
    if await store.merged_into_ids(conn, merged["id"]):
        raise Conflict("other records are merged into merged_person_id: unlink them first")
    if body.proposal_id is not None:
        ok = await conn.fetchval(
            """SELECT EXISTS (SELECT 1 FROM person_match_proposals WHERE id = $1 AND status = 'proposed'
                  AND ((person_id = $2 AND candidate_id = $3) OR (person_id = $3 AND candidate_id = $2)))""",
            body.proposal_id, person_id, merged["id"])
        if not ok:
            raise InvalidInput("proposal_id", "no open proposal between these two persons")
    await conn.execute("UPDATE persons SET merged_into = $2, updated_at = now(), version = version + 1 WHERE id = $1",
                       merged["id"], person_id)
    await conn.execute(
        """UPDATE person_match_proposals SET status = 'merged', decided_by = $3, decided_at = now()
            WHERE status = 'proposed'
              AND ((person_id = $1 AND candidate_id = $2) OR (person_id = $2 AND candidate_id = $1))""",
        person_id, merged["id"], viewer.agency)
    row = await conn.fetchrow(
        """INSERT INTO person_merges (id, surviving_id, merged_id, proposal_id, reason, merged_by)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING *""",
        uuid.uuid4(), person_id, merged["id"], body.proposal_id, body.reason, viewer.agency)
    await outbox.enqueue(conn, PersonsMerged(merge_id=row["id"], surviving_person_id=person_id,
                                             merged_person_id=merged["id"]))
    await audit.record(conn, viewer.principal, "merge", "person", [person_id, merged["id"]], purpose=viewer.purpose)
    return merge_read(row)


@router.post("/v1/person-merges/{merge_id}/unlink", response_model=MergeRead,
             summary="Undo a merge: the merged record stands on its own again")
async def unlink_persons(merge_id: uuid.UUID, body: UnlinkCreate, conn: Conn, viewer: PersonMerger) -> MergeRead:
    reject_my_number(body)
    merge = await conn.fetchrow("SELECT * FROM person_merges WHERE id = $1 FOR UPDATE", merge_id)
    if merge is None:
        raise NotFound("no such merge")
    for pid in sorted([merge["surviving_id"], merge["merged_id"]]):
        await store.get_person(conn, pid, lock=True)
    try:
        await readable(conn, viewer, merge["surviving_id"], full=True)
    except NotFound:
        raise NotFound("no such merge") from None
    if merge["unlinked_at"] is not None:
        raise Conflict("this merge was already undone")
    await conn.execute("UPDATE persons SET merged_into = NULL, updated_at = now(), version = version + 1 WHERE id = $1",
                       merge["merged_id"])
    await conn.execute(
        """UPDATE person_match_proposals SET status = 'dismissed', decided_by = $3, decided_at = now()
            WHERE (person_id = $1 AND candidate_id = $2) OR (person_id = $2 AND candidate_id = $1)""",
        merge["surviving_id"], merge["merged_id"], viewer.agency)
    row = await conn.fetchrow(
        """UPDATE person_merges SET unlinked_by = $2, unlinked_at = now(), unlink_reason = $3
            WHERE id = $1 RETURNING *""",
        merge_id, viewer.agency, body.reason)
    await outbox.enqueue(conn, PersonsUnlinked(merge_id=merge_id, surviving_person_id=merge["surviving_id"],
                                               restored_person_id=merge["merged_id"]))
    await audit.record(conn, viewer.principal, "unlink", "person", [merge["surviving_id"], merge["merged_id"]],
                       purpose=viewer.purpose)
    return merge_read(row)


@router.post("/v1/person-matches/{proposal_id}/dismiss", response_model=MatchProposalRead,
             summary="Record that a proposed match is two different people")
async def dismiss_match(proposal_id: uuid.UUID, conn: Conn, viewer: PersonMerger) -> MatchProposalRead:
    row = await conn.fetchrow("SELECT * FROM person_match_proposals WHERE id = $1 FOR UPDATE", proposal_id)
    if row is None:
        raise NotFound("no such proposal")
    for pid in (row["person_id"], row["candidate_id"]):
        try:
            await readable(conn, viewer, pid, full=True)
        except NotFound:
            raise NotFound("no such proposal") from None
    if row["status"] != "proposed":
        raise Conflict(f"the proposal is already {row['status']}")
    row = await conn.fetchrow(
        """UPDATE person_match_proposals SET status = 'dismissed', decided_by = $2, decided_at = now()
            WHERE id = $1 RETURNING *""", proposal_id, viewer.agency)
    await audit.record(conn, viewer.principal, "dismiss_match", "person", [row["person_id"], row["candidate_id"]],
                       purpose=viewer.purpose)
    return MatchProposalRead(id=row["id"], person_id=row["person_id"], candidate_person_id=row["candidate_id"],
                             reasons=list(row["reasons"]), status=row["status"], created_at=row["created_at"])
