"""What an id passed in a request body lets the caller reach (関係のある世帯・本人・相談).

A case, an outreach engagement or a participation request opened on a household, a
person or a consultation puts that subject's facts from intake (consultations received,
concerns, screening, age bands) on the new record's timeline for its whole team. Ids travel
on Kafka and are not secret, so holding one proves nothing: the caller must stand in a
relationship to every subject it names, from facts coordination has consumed or keeps:

- **desk**: intake reported that the agency received a consultation on the subject
  (``consultation.received``), or referred one to it and the referral was not rejected or
  cancelled afterwards (the rule intake applies to the referral's handler);
- **team**: the agency is an active member of an open case on the subject (for a person:
  the case's subject, or a member of the case's household as intake linked them);
- **consent**: an active consent of the subject (or a member of its household) names the
  agency (``named_agencies``). A collaboration-wide consent opens the household to the
  collaboration's members, which an agency becomes by one of the two relationships above,
  so on its own it is not one.

Anything else is 404 with nothing written, the answer for an id that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

import asyncpg
from kasane_shared.contracts.codes import ConsentScope, ReferralStatus
from kasane_shared.contracts.intake import ConsultationReceived, ConsultationReferred, ReferralStatusChanged
from kasane_shared.policy import not_visible

from kasane_coordination.consent import store as consents

RECEIVED = ConsultationReceived.event_type
REFERRED = ConsultationReferred.event_type
REFERRAL_STATUS = ReferralStatusChanged.event_type
# a referral the handler turned down, or the sender withdrew, opens nothing to it
CLOSED_REFERRAL = [ReferralStatus.rejected.value, ReferralStatus.cancelled.value]


@dataclass(frozen=True)
class Subjects:
    """The ids a request names; each one given must be related to the caller."""

    household_id: UUID | None = None
    person_id: UUID | None = None
    consultation_id: UUID | None = None

    def named(self) -> list[tuple[str, UUID]]:
        return [(field, value) for field, value in (("household_id", self.household_id),
                                                    ("person_id", self.person_id),
                                                    ("consultation_id", self.consultation_id))
                if value is not None]


# desk facts, one predicate per subject column of the timeline; $1 the subject, $2 the agency
_DESK = """
    EXISTS (SELECT 1 FROM timeline t
             WHERE {subject} AND t.type = $3 AND t.agency_id = $2)
 OR EXISTS (SELECT 1 FROM timeline t
             WHERE {subject} AND t.type = $4 AND t.data->>'to_agency_id' = $2
               AND coalesce((SELECT s.data->>'status' FROM timeline s
                              WHERE s.type = $5 AND s.data->>'referral_id' = t.data->>'referral_id'
                              ORDER BY s.occurred_at DESC, s.id DESC LIMIT 1), 'requested') <> ALL($6))"""

_TEAM = """
    EXISTS (SELECT 1 FROM cases c JOIN case_team m ON m.case_id = c.id
             WHERE m.agency_id = $2 AND m.state = 'active' AND c.status <> 'ended' AND ({case}))"""

_QUERIES = {
    "household_id": (_DESK.format(subject="t.household_id = $1")
                     + " OR " + _TEAM.format(case="c.household_id = $1")),
    "consultation_id": (_DESK.format(subject="t.consultation_id = $1")
                        + " OR " + _TEAM.format(case="c.consultation_id = $1")),
    "person_id": (_DESK.format(subject="t.data->>'person_id' = ($1::uuid)::text")
                  + " OR " + _TEAM.format(case="c.subject_person_id = $1 OR c.household_id IN "
                                                "(SELECT household_id FROM household_members WHERE person_id = $1)")),
}


async def related(conn: asyncpg.Connection, agency_id: str, field: str, subject: UUID, today: date) -> bool:
    """Whether ``agency_id`` stands in a relationship to the subject ``field`` names."""
    if await conn.fetchval(f"SELECT {_QUERIES[field]}", subject, agency_id, RECEIVED, REFERRED,
                           REFERRAL_STATUS, CLOSED_REFERRAL):
        return True
    if field == "consultation_id":
        return False  # consent is a person's, given on households and people
    facts = await consents.for_household(conn, subject if field == "household_id" else None,
                                         subject if field == "person_id" else None)
    return any(f.active(today) and f.scope is ConsentScope.named_agencies and agency_id in f.agency_ids
               for f in facts)


async def require_related(conn: asyncpg.Connection, agency_id: str, subjects: Subjects, today: date) -> None:
    """404 naming the field (the answer for an id that does not exist) unless every named
    subject is related."""
    for field, value in subjects.named():
        if not await related(conn, agency_id, field, value, today):
            raise not_visible(field.removesuffix("_id"), field)


async def of_the_case(conn: asyncpg.Connection, case: asyncpg.Record, person_id: UUID) -> bool:
    """Whether the person is the case's own: its subject, or a member of its household as
    intake linked them."""
    if person_id == case["subject_person_id"]:
        return True
    return case["household_id"] is not None and bool(await conn.fetchval(
        "SELECT true FROM household_members WHERE household_id = $1 AND person_id = $2",
        case["household_id"], person_id))
