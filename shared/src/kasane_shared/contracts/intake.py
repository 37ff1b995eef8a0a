"""Events intake publishes on ``kasane.intake.v1`` (program 1, 包括的相談支援事業).

Ids, codes, area and age band only: no names, kana, addresses, phones, birth dates or
free text. Consultation and referral facts are keyed by the consultation, so one
consultation's story stays in order; consent by the person; household links by the
household.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from kasane_shared.contracts.codes import (
    AgeBand,
    AgencyId,
    AreaCode,
    Code,
    ConsentMethod,
    ConsentScope,
    ReferralStatus,
    ReferralTarget,
)
from kasane_shared.events.base import Event
from kasane_shared.events.streams import INTAKE


class ScreeningSummary(BaseModel):
    """A screening's result as it travels in events."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    screening_id: UUID
    score: int
    fields_involved: list[Code]
    patterns: list[Code]
    recommendation: Code
    rules_version: str


class ConsultationReceived(Event, type="kasane.intake.consultation.received.v1", stream=INTAKE,
                           key="consultation_id"):
    """A desk accepted a consultation (相談受付), however little was known."""

    consultation_id: UUID
    agency_id: AgencyId
    received_at: datetime
    channel: Code
    consulted_by: Code
    anonymous: bool
    household_id: UUID | None = None
    person_id: UUID | None = None
    area_code: AreaCode | None = None
    age_band: AgeBand | None = None
    concern_codes: list[Code] = []
    unknown_concern_codes: list[str] = []  # kept and flagged, never refused
    via: Code = "api"  # api | partner_event


class ConsultationScreened(Event, type="kasane.intake.consultation.screened.v1", stream=INTAKE,
                           key="consultation_id"):
    """The whole household was screened; advice for people, not a decision."""

    consultation_id: UUID
    household_id: UUID | None = None
    area_code: AreaCode | None = None
    screening: ScreeningSummary


class ConsultationReferred(Event, type="kasane.intake.consultation.referred.v1", stream=INTAKE,
                           key="consultation_id"):
    """The receiving agency referred the consultation on (to collaboration, outreach or an agency)."""

    referral_id: UUID
    consultation_id: UUID
    from_agency_id: AgencyId
    target: ReferralTarget
    to_agency_id: AgencyId | None = None
    reason_code: Code
    household_id: UUID | None = None
    person_id: UUID | None = None
    area_code: AreaCode | None = None
    concern_codes: list[Code] = []
    screening: ScreeningSummary | None = None
    consent_to_share: bool = False  # the person consented to sharing with the collaboration


class ReferralStatusChanged(Event, type="kasane.intake.referral.status_changed.v1", stream=INTAKE,
                            key="consultation_id"):
    """A referral moved (FHIR Task-like); ``flagged`` marks one bounced too often (たらい回し)."""

    referral_id: UUID
    consultation_id: UUID
    status: ReferralStatus
    by_agency_id: AgencyId
    reason_code: Code | None = None
    bounce_count: int = 0
    flagged: bool = False
    household_id: UUID | None = None


class OutreachRequested(Event, type="kasane.intake.outreach.requested.v1", stream=INTAKE,
                        key="consultation_id"):
    """Someone cannot or will not come; the desk asks for outreach."""

    referral_id: UUID
    consultation_id: UUID
    from_agency_id: AgencyId
    reason_code: Code
    household_id: UUID | None = None
    person_id: UUID | None = None
    area_code: AreaCode | None = None
    age_band: AgeBand | None = None
    concern_codes: list[Code] = []


class ConsentGranted(Event, type="kasane.intake.consent.granted.v1", stream=INTAKE, key="person_id"):
    """The person consented to share their information (同意)."""

    consent_id: UUID
    person_id: UUID
    household_id: UUID | None = None
    scope: ConsentScope
    agency_ids: list[AgencyId] = []  # for scope named_agencies
    method: ConsentMethod
    granted_on: date
    expires_on: date | None = None


class ConsentWithdrawn(Event, type="kasane.intake.consent.withdrawn.v1", stream=INTAKE, key="person_id"):
    consent_id: UUID
    person_id: UUID
    withdrawn_on: date


class HouseholdMemberLinked(Event, type="kasane.intake.household.member_linked.v1", stream=INTAKE,
                            key="household_id"):
    household_id: UUID
    person_id: UUID
    relationship: Code  # head, spouse, child, parent, sibling, grandchild, other
    lives_together: bool
    age_band: AgeBand | None = None
    area_code: AreaCode | None = None


class PersonsMerged(Event, type="kasane.intake.persons.merged.v1", stream=INTAKE, key="surviving_person_id",
                    aggregate="person"):
    """Two records were found to be one person and merged by staff (reversible)."""

    merge_id: UUID
    surviving_person_id: UUID
    merged_person_id: UUID


class PersonsUnlinked(Event, type="kasane.intake.persons.unlinked.v1", stream=INTAKE, key="surviving_person_id",
                      aggregate="person"):
    """A merge was undone: the merged record stands on its own again."""

    merge_id: UUID
    surviving_person_id: UUID
    restored_person_id: UUID
