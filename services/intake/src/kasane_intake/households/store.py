"""SQL for households and their members, and adding members from a request."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import asyncpg
from kasane_shared.contracts.intake import HouseholdMemberLinked
from kasane_shared.events import outbox
from kasane_shared.http.problems import InvalidInput

from kasane_intake.authz import Viewer, person_access
from kasane_intake.persons import store as persons
from kasane_intake.persons.models import PersonCreate, Relationship


class MemberLike(Protocol):
    person_id: uuid.UUID | None
    person: PersonCreate | None
    relationship: Relationship | None
    lives_together: bool | None


@dataclass(frozen=True)
class ResolvedMember:
    index: int
    person: asyncpg.Record  # the person's row (the surviving record for a merged one)
    created: bool
    proposals: tuple[uuid.UUID, ...] = ()  # candidates proposed as the same person

    @property
    def person_id(self) -> uuid.UUID:
        return self.person["id"]


async def create_household(conn: asyncpg.Connection, *, area_code: str | None, agency_id: str) -> asyncpg.Record:
    """A new household; inserting it locks its row for this transaction."""
    return await conn.fetchrow(
        "INSERT INTO households (id, area_code, created_by) VALUES ($1, $2, $3) RETURNING *",
        uuid.uuid4(), area_code, agency_id)


async def lock_household(conn: asyncpg.Connection, household_id: uuid.UUID) -> asyncpg.Record | None:
    """The household's row, locked so its events follow commit order."""
    return await conn.fetchrow("SELECT * FROM households WHERE id = $1 FOR UPDATE", household_id)


async def primary_household(conn: asyncpg.Connection, identity: Sequence[uuid.UUID]) -> uuid.UUID | None:
    """The household the person was most recently linked to."""
    return await conn.fetchval(
        "SELECT household_id FROM household_members WHERE person_id = ANY($1) ORDER BY linked_at DESC LIMIT 1",
        list(identity),
    )


async def resolve_members(
    conn: asyncpg.Connection, viewer: Viewer, members: Sequence[MemberLike], *, path: str, today: date,
) -> list[ResolvedMember]:
    """Existing persons the caller may read (else 422, the same for unknown and unseen
    ids), and new persons stored; match proposals are made once all are stored."""
    resolved: list[ResolvedMember] = []
    for index, member in enumerate(members):
        if member.person_id is not None:
            row = await persons.get_person(conn, member.person_id)
            field = f"{path}.{index}.person_id" if path else "person_id"
            access = await person_access(conn, viewer, row) if row is not None else None
            if row is None or access is None or not access.full:
                raise InvalidInput(field, "no such person")
            if access.break_glass is not None:
                # naming the person would make the caller a standing desk of them (issue 12)
                raise InvalidInput(field, "open under break glass only: it cannot be named in a new record")
            if row["merged_into"] is not None:
                row = await persons.get_person(conn, row["merged_into"])
            resolved.append(ResolvedMember(index, row, False))
        else:
            assert member.person is not None
            row = await persons.insert_person(conn, data=member.person, agency_id=viewer.agency, today=today)
            resolved.append(ResolvedMember(index, row, True))
    mine = [r.person_id for r in resolved]
    return [ResolvedMember(r.index, r.person, True, tuple(await persons.propose_matches(
        conn, person=r.person, exclude=mine))) if r.created else r for r in resolved]


async def link_member(
    conn: asyncpg.Connection, *, household: asyncpg.Record, person: asyncpg.Record,
    relationship: Relationship | None, lives_together: bool | None, agency_id: str, today: date,
    new_household: bool = False,
) -> bool:
    """Link (or re-describe) a member of a locked household; enqueue HouseholdMemberLinked
    when something changed. Returns whether it did."""
    person_id = person["id"]
    current = None if new_household else await conn.fetchrow(
        "SELECT relationship, lives_together FROM household_members WHERE household_id = $1 AND person_id = $2",
        household["id"], person_id,
    )
    rel = relationship.value if relationship else (current["relationship"] if current else Relationship.other.value)
    together = lives_together if lives_together is not None else (current["lives_together"] if current else True)
    if current is not None and (current["relationship"], current["lives_together"]) == (rel, together):
        return False
    await conn.execute(
        """INSERT INTO household_members (household_id, person_id, relationship, lives_together, linked_by)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (household_id, person_id)
           DO UPDATE SET relationship = EXCLUDED.relationship, lives_together = EXCLUDED.lives_together""",
        household["id"], person_id, rel, together, agency_id,
    )
    await outbox.enqueue(conn, HouseholdMemberLinked(
        household_id=household["id"], person_id=person_id, relationship=rel, lives_together=together,
        age_band=persons.person_age_band(person, today),
        area_code=person["area_code"] or household["area_code"],
    ))
    return True
