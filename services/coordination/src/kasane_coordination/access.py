"""Who may see and do what on a case.

An agency sees a case only while it is on the case's team (or under a break-glass grant,
read only); any other id is 404, as if the case did not exist. Personal detail (household
and person ids, concerns, screening, assessment contents, plan wording, contact notes) is
shown to the referring agency and the collaboration desk, which hold it from the referral
already, and to other members when the household's consent covers them. Every read is
audit-logged in the request's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

import asyncpg
from kasane_shared import audit
from kasane_shared.access import break_glass_reason
from kasane_shared.auth.tokens import Principal
from kasane_shared.contracts.codes import TeamRole
from kasane_shared.http.problems import Forbidden, NotFound

from kasane_coordination.consent import store as consents
from kasane_coordination.consent.sharing import ConsentFact, any_active, covers
from kasane_coordination.rules import CoordinationRules

RESOURCE = "case"  # break-glass resource type


@dataclass(frozen=True)
class CaseAccess:
    """The caller's standing on one case."""

    case: asyncpg.Record
    agency_id: str
    role: TeamRole | None  # None: not on the team, reading under break glass
    break_glass: str | None  # the grant's stated reason
    detail_basis: str | None  # referring_agency | collaboration_desk | consent | break_glass; None: withheld
    consents: tuple[ConsentFact, ...]
    consent_in_force: bool

    @property
    def case_id(self) -> UUID:
        return self.case["id"]

    @property
    def detail(self) -> bool:
        return self.detail_basis is not None

    @property
    def working(self) -> bool:
        """Lead and field supporters do the work; information-only members read."""
        return self.role in (TeamRole.lead, TeamRole.field_supporter)

    @property
    def is_lead(self) -> bool:
        return self.role is TeamRole.lead

    def require_working(self, what: str) -> None:
        if not self.working:
            raise Forbidden(f"{what} needs the lead or a field supporter of the case team",
                            slug="team-role")

    def require_lead(self, what: str) -> None:
        if not self.is_lead:
            raise Forbidden(f"{what} needs the case's lead agency (主担当)", slug="lead-only")

    def purpose(self) -> str:
        return self.break_glass or "case_work"


def not_found() -> NotFound:
    # one message whether the case is missing or hidden: ids an agency may not see give nothing away
    return NotFound("no case with this id is visible to your agency")


async def case_access(
    conn: asyncpg.Connection, principal: Principal, case_id: UUID, rules: CoordinationRules,
    *, write: bool = False,
) -> CaseAccess:
    """The caller's access to the case; 404 when it may not see it. ``write`` locks the case
    row (before any event is enqueued) and refuses break-glass readers."""
    lock = " FOR UPDATE" if write else ""
    case = await conn.fetchrow(f"SELECT * FROM cases WHERE id = $1{lock}", case_id)
    if case is None:
        raise not_found()
    role_code = await conn.fetchval(
        "SELECT role FROM case_team WHERE case_id = $1 AND agency_id = $2 AND state = 'active'",
        case_id, principal.agency_id,
    )
    glass = None
    if role_code is None:
        glass = None if write else await break_glass_reason(conn, principal, RESOURCE, case_id)
        if glass is None:
            raise not_found()
    today = rules.today()
    facts = tuple(await consents.for_household(conn, case["household_id"], case["subject_person_id"]))
    basis: str | None = None
    if role_code is not None:
        if principal.agency_id == case["referring_agency_id"]:
            basis = "referring_agency"
        elif principal.agency_id == rules.collaboration_desk:
            basis = "collaboration_desk"
        elif covers(facts, [principal.agency_id], today):
            basis = "consent"
    elif glass is not None:
        basis = "break_glass"
    return CaseAccess(
        case=case, agency_id=principal.agency_id,
        role=TeamRole(role_code) if role_code else None, break_glass=glass,
        detail_basis=basis, consents=facts, consent_in_force=any_active(facts, today),
    )


async def audit_read(
    conn: asyncpg.Connection, principal: Principal, access: CaseAccess, resource_type: str,
    ids: Iterable[UUID | str],
) -> None:
    """Log a read under the case's access (break-glass reads flagged with their reason)."""
    await audit.record(conn, principal, "read", resource_type, list(ids), purpose=access.purpose(),
                       break_glass=access.break_glass is not None)


async def audit_write(conn: asyncpg.Connection, principal: Principal, action: str, resource_type: str,
                      ids: UUID | str | Iterable[UUID | str]) -> None:
    """Log a write (the audit entry commits with it)."""
    await audit.record(conn, principal, action, resource_type, ids, purpose="case_work")
