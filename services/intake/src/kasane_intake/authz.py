"""Who may read what (docs/intake.md, "Access"): by relationship, consent, or break glass.

An agency reads what it received, what was referred to it, what the person's consent
opens to it, and (from coordination's events) the households whose case team it is on.
Records it may not see are 404, never 403. Every read is audit-logged in the request's
transaction; a read under break glass carries the stated reason and the flag.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Literal

import asyncpg
from fastapi import Depends, Header, Request
from kasane_shared import audit
from kasane_shared.access import break_glass_reason
from kasane_shared.auth.deps import CurrentPrincipal, require
from kasane_shared.auth.tokens import Principal
from kasane_shared.http.problems import Forbidden
from kasane_shared.profile import MunicipalityProfile

from kasane_intake.rules import IntakeRules, intake_rules

Level = Literal["full", "limited"]
# referrals that open a consultation to the agency answering them
OPEN_TO_HANDLER = ["requested", "accepted", "completed"]
DEFAULT_PURPOSE = "support"


@dataclass(frozen=True)
class Viewer:
    """The caller, the rules in force, and why they read (the audit log's purpose)."""

    principal: Principal
    rules: IntakeRules
    profile: MunicipalityProfile
    purpose: str = DEFAULT_PURPOSE

    @property
    def agency(self) -> str:
        return self.principal.agency_id

    @property
    def desks(self) -> list[str]:
        """The agencies answering referrals to collaboration and outreach."""
        return sorted({self.rules.referrals.collaboration_desk, self.rules.referrals.outreach_desk})


@dataclass(frozen=True)
class Access:
    level: Level | None
    break_glass: str | None = None  # the stated reason, when opened by break glass

    @property
    def full(self) -> bool:
        return self.level == "full"


NONE = Access(None)
FULL = Access("full")
LIMITED = Access("limited")


def viewer_with(*scopes: str) -> Callable[..., Awaitable[Viewer]]:
    """A dependency: the caller with ``scopes``, as a :class:`Viewer`."""
    check = require(*scopes)

    async def _viewer(
        request: Request,
        principal: CurrentPrincipal,
        purpose: Annotated[str | None, Header(
            alias="Kasane-Purpose", pattern=r"^[a-z0-9][a-z0-9_]{0,63}$",
            description="Why the record is read (a code for the audit log); default `support`")] = None,
    ) -> Viewer:
        await check(principal)
        profile = request.app.state.profile
        return Viewer(principal, intake_rules(profile), profile, purpose or DEFAULT_PURPOSE)

    return _viewer


# module level: FastAPI resolves string annotations in the module namespace
ConsultationReader = Annotated[Viewer, Depends(viewer_with("consultations:read"))]
ConsultationWriter = Annotated[Viewer, Depends(viewer_with("consultations:write"))]
PersonReader = Annotated[Viewer, Depends(viewer_with("persons:read"))]
PersonWriter = Annotated[Viewer, Depends(viewer_with("persons:write"))]
PersonMerger = Annotated[Viewer, Depends(viewer_with("persons:merge"))]
ConsentWriter = Annotated[Viewer, Depends(viewer_with("consents:write"))]
ReferralWriter = Annotated[Viewer, Depends(viewer_with("referrals:write"))]
AnyCaller = Annotated[Viewer, Depends(viewer_with())]


async def identity_ids(conn: asyncpg.Connection, person_id: uuid.UUID) -> list[uuid.UUID]:
    """The person's identity group: the surviving record and every record merged into it."""
    rows = await conn.fetch(
        """WITH root AS (SELECT coalesce(merged_into, id) AS id FROM persons WHERE id = $1)
           SELECT root.id FROM root
           UNION SELECT p.id FROM persons p, root WHERE p.merged_into = root.id""",
        person_id,
    )
    return [r["id"] for r in rows]


async def household_relation(
    conn: asyncpg.Connection, agency: str, household_ids: Sequence[uuid.UUID]
) -> Literal["desk", "team"] | None:
    """``desk``: the agency created a household, received a consultation on it, or answers
    a referral of one; ``team``: it is on the team of an open case for it (coordination's events; the
    ``open_case_team`` view: ending the case ends this)."""
    if not household_ids:
        return None
    row = await conn.fetchrow(
        """SELECT EXISTS (SELECT 1 FROM households WHERE id = ANY($2) AND created_by = $1)
               OR EXISTS (SELECT 1 FROM consultations WHERE household_id = ANY($2) AND agency_id = $1)
               OR EXISTS (SELECT 1 FROM referrals r JOIN consultations c ON c.id = r.consultation_id
                           WHERE c.household_id = ANY($2) AND r.handler_agency_id = $1
                             AND r.status = ANY($3)) AS desk,
                  EXISTS (SELECT 1 FROM open_case_team WHERE household_id = ANY($2) AND agency_id = $1) AS team""",
        agency, list(household_ids), OPEN_TO_HANDLER,
    )
    if row["desk"]:
        return "desk"
    return "team" if row["team"] else None


async def consent_covers(conn: asyncpg.Connection, viewer: Viewer, identity: Sequence[uuid.UUID]) -> bool:
    """Whether an active consent of the person opens their records to the caller: named
    agencies naming it, or the whole collaboration when it is a referral desk or on the
    case team of one of the person's households. Active means on the municipality's today
    (PostgreSQL's ``current_date`` is the server's day, a UTC day until 09:00 in Japan)."""
    return bool(await conn.fetchval(
        """SELECT EXISTS (
             SELECT 1 FROM consents k
              WHERE k.person_id = ANY($2) AND k.withdrawn_on IS NULL
                AND (k.expires_on IS NULL OR k.expires_on >= $4)
                AND ((k.scope = 'named_agencies' AND $1 = ANY(k.agency_ids))
                  OR (k.scope = 'collaboration' AND ($1 = ANY($3) OR EXISTS (
                        SELECT 1 FROM open_case_team t JOIN household_members hm ON hm.household_id = t.household_id
                         WHERE hm.person_id = ANY($2) AND t.agency_id = $1)))))""",
        viewer.agency, list(identity), viewer.desks, viewer.profile.municipality.today(),
    ))


async def households_of(conn: asyncpg.Connection, identity: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    rows = await conn.fetch(
        "SELECT DISTINCT household_id FROM household_members WHERE person_id = ANY($1)", list(identity))
    return [r["household_id"] for r in rows]


async def _break_glass(conn: asyncpg.Connection, viewer: Viewer,
                       resources: Iterable[tuple[str, uuid.UUID | None]]) -> str | None:
    for resource_type, resource_id in resources:
        if resource_id is None:
            continue
        reason = await break_glass_reason(conn, viewer.principal, resource_type, resource_id)
        if reason:
            return reason
    return None


async def person_access(conn: asyncpg.Connection, viewer: Viewer, person: asyncpg.Record) -> Access:
    """Full: the agency registered the person, took or answers a consultation about them,
    works the household as a desk, or has the person's consent; limited: on the household's
    case team without consent; else none (404) unless break glass opens it."""
    identity = await identity_ids(conn, person["id"])
    households = await households_of(conn, identity)
    if person["created_by"] == viewer.agency:
        return FULL
    consulted = await conn.fetchval(
        """SELECT EXISTS (
             SELECT 1 FROM consultation_members cm JOIN consultations c ON c.id = cm.consultation_id
              WHERE cm.person_id = ANY($2)
                AND (c.agency_id = $1 OR EXISTS (
                     SELECT 1 FROM referrals r WHERE r.consultation_id = c.id
                        AND r.handler_agency_id = $1 AND r.status = ANY($3))))""",
        viewer.agency, identity, OPEN_TO_HANDLER,
    )
    if consulted:
        return FULL
    relation = await household_relation(conn, viewer.agency, households)
    if relation == "desk" or await consent_covers(conn, viewer, identity):
        return FULL
    reason = await _break_glass(conn, viewer, [("person", person["id"]), *(("household", h) for h in households)])
    if reason:
        return Access("full", reason)
    return LIMITED if relation == "team" else NONE


async def consultation_access(conn: asyncpg.Connection, viewer: Viewer, consultation: asyncpg.Record) -> Access:
    """Full: the receiving agency, the agency answering a referral of it, or every person
    it is about consented; limited (that it exists, when, by whom): agencies related to
    the household; else none (404) unless break glass opens it."""
    if consultation["agency_id"] == viewer.agency:
        return FULL
    handler = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM referrals WHERE consultation_id = $1 AND handler_agency_id = $2"
        " AND status = ANY($3))",
        consultation["id"], viewer.agency, OPEN_TO_HANDLER,
    )
    if handler:
        return FULL
    persons = [r["person_id"] for r in await conn.fetch(
        "SELECT person_id FROM consultation_members WHERE consultation_id = $1", consultation["id"])]
    if persons:
        consented = True
        for person_id in persons:
            if not await consent_covers(conn, viewer, await identity_ids(conn, person_id)):
                consented = False
                break
        if consented:
            return FULL
    reason = await _break_glass(conn, viewer, [("consultation", consultation["id"]),
                                               ("household", consultation["household_id"])])
    if reason:
        return Access("full", reason)
    if consultation["household_id"] is not None and await household_relation(
            conn, viewer.agency, [consultation["household_id"]]):
        return LIMITED
    return NONE


async def household_access(conn: asyncpg.Connection, viewer: Viewer, household_id: uuid.UUID) -> Access:
    """Full for desks, limited for case teams (members per their consent), else none."""
    relation = await household_relation(conn, viewer.agency, [household_id])
    if relation == "desk":
        return FULL
    reason = await _break_glass(conn, viewer, [("household", household_id)])
    if reason:
        return Access("full", reason)
    return LIMITED if relation == "team" else NONE


async def audit_read(
    conn: asyncpg.Connection, viewer: Viewer, resource_type: str, ids: Iterable[uuid.UUID | str],
    access: Access | None = None, action: str = "read",
) -> None:
    """Record a read (or list) of personal data in the audit log; break glass is flagged."""
    glass = access.break_glass if access is not None else None
    await audit.record(conn, viewer.principal, action, resource_type, list(ids),
                       purpose=glass or viewer.purpose, break_glass=glass is not None)


def refuse_under_break_glass(access: Access, what: str) -> None:
    """Break glass opens a record to read in an emergency, audited; it is never a standing
    relationship. A write that would give the caller one (a consent, a merge, naming the
    person in a new record) needs a relationship of its own (issue 12)."""
    if access.break_glass is not None:
        raise Forbidden(f"{what} needs a standing relationship to the person; break glass only reads",
                        slug="break-glass-read-only")
