"""Membership, confidentiality and the agenda: what every meeting route checks first.

Meeting ids travel in events (MeetingHeld), so hiding a meeting's existence buys nothing:
a caller who is not a member gets 403, and so does a member who has not acknowledged a
支援会議's confidentiality duty (Art. 106-6). Content stays in this service.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg
from kasane_shared.auth.tokens import Principal
from kasane_shared.contracts.codes import MeetingKind
from kasane_shared.http.problems import Conflict, Forbidden, NotFound

from kasane_coordination.consent import store as consents
from kasane_coordination.consent.sharing import covers
from kasane_coordination.meetings import store
from kasane_coordination.meetings.decisions import MaterialAccess, material_access
from kasane_coordination.rules import CoordinationRules
from kasane_coordination.timeline import store as timeline


@dataclass(frozen=True)
class MeetingAccess:
    meeting: asyncpg.Record
    role: str | None
    acknowledged: bool
    material: MaterialAccess

    @property
    def kind(self) -> MeetingKind:
        return MeetingKind(self.meeting["kind"])

    def require_material(self) -> None:
        """403 unless the caller may see the meeting's material."""
        if self.material is MaterialAccess.not_member:
            raise Forbidden("only the meeting's members see it", slug="not-a-member")
        if self.material is MaterialAccess.not_acknowledged:
            raise Forbidden("acknowledge the 支援会議's confidentiality duty (守秘義務) before seeing its material",
                            slug="confidentiality-not-acknowledged")

    def require_scheduled(self) -> None:
        if self.meeting["status"] != "scheduled":
            raise Conflict("the meeting has been held; its record is closed", slug="meeting-held")

    def require_chair(self) -> None:
        if self.role != "chair":
            raise Forbidden("only the chairing agency does this", slug="chair-only")


async def meeting_access(conn: asyncpg.Connection, principal: Principal, meeting_id: UUID, *,
                         lock: bool = False, members_only: bool = True) -> MeetingAccess:
    """The caller's standing at the meeting: 404 if there is none, 403 for a non-member."""
    meeting = await store.get(conn, meeting_id, lock=lock)
    if meeting is None:
        raise NotFound("no such meeting")
    role = await store.member_role(conn, meeting_id, principal.agency_id)
    if role is None and members_only:
        raise Forbidden("only the meeting's members see it", slug="not-a-member")
    acknowledged = role is not None and await store.acknowledged(conn, meeting_id, principal.agency_id,
                                                                 principal.subject)
    kind = MeetingKind(meeting["kind"])
    return MeetingAccess(meeting=meeting, role=role, acknowledged=acknowledged,
                         material=material_access(kind, member=role is not None, acknowledged=acknowledged))


async def consent_covers_members(conn: asyncpg.Connection, case: asyncpg.Record, meeting_id: UUID,
                                 rules: CoordinationRules) -> bool:
    """Whether the household's consent lets the case be shared with every member of the meeting."""
    facts = await consents.for_household(conn, case["household_id"], case["subject_person_id"])
    members = [m["agency_id"] for m in await store.members(conn, meeting_id)]
    return covers(facts, members, rules.today())


def consent_required(case_id: UUID) -> Conflict:
    return Conflict(
        "a 重層的支援会議 handles only cases whose consent covers its members; discuss it at a 支援会議 "
        "or wait for the person's consent", slug="consent-required", case_id=str(case_id),
    )


async def check_may_take_up(conn: asyncpg.Connection, principal: Principal, meeting_id: UUID) -> MeetingAccess:
    """A member who may see the material can put a case before a meeting not yet held."""
    access = await meeting_access(conn, principal, meeting_id, lock=True)
    access.require_material()
    access.require_scheduled()
    return access


async def put_on_agenda(conn: asyncpg.Connection, principal: Principal, meeting_id: UUID, case_id: UUID,
                        rules: CoordinationRules, *, kind: MeetingKind | None = None) -> None:
    """Put the case on the agenda (the caller is on its team, the case row is locked)."""
    access = await check_may_take_up(conn, principal, meeting_id)
    if kind is not None and access.kind is not kind:
        raise Conflict("support plans are put to a 重層的支援会議", slug="meeting-kind")
    case = await conn.fetchrow("SELECT * FROM cases WHERE id = $1", case_id)
    if access.kind is MeetingKind.jusou_shien_kaigi and not await consent_covers_members(conn, case, meeting_id,
                                                                                         rules):
        raise consent_required(case_id)
    if await store.add_to_agenda(conn, meeting_id, case_id, principal.agency_id):
        await timeline.add(conn, source="/kasane/coordination", event_id=f"agenda:{meeting_id}",
                           type_="coordination.meeting.case_on_agenda", case_id=case_id,
                           agency_id=principal.agency_id,
                           data={"meeting_id": str(meeting_id), "kind": access.kind.value})
