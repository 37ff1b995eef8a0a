"""Events coordination publishes on ``kasane.coordination.v1`` (programs 4-6).

Keyed by case, so a case's story stays in order (meetings by meeting, outreach by
engagement). Ids and decision codes only: no names, free text or meeting content — the
substance of a 支援会議 never leaves the service.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from kasane_shared.contracts.codes import (
    AgencyId,
    AreaCode,
    CaseStatus,
    Code,
    MeetingDecision,
    MeetingKind,
    ParticipationStep,
    RelationshipStage,
    TeamRole,
)
from kasane_shared.events.base import Event
from kasane_shared.events.streams import COORDINATION


class CaseOpened(Event, type="kasane.coordination.case.opened.v1", stream=COORDINATION, key="case_id"):
    case_id: UUID
    origin: Code  # referral | meeting | direct
    household_id: UUID | None = None
    consultation_id: UUID | None = None
    referral_id: UUID | None = None
    area_code: AreaCode | None = None
    concern_codes: list[Code] = []
    patterns: list[Code] = []


class CaseStatusChanged(Event, type="kasane.coordination.case.status_changed.v1", stream=COORDINATION,
                        key="case_id"):
    case_id: UUID
    from_status: CaseStatus
    to_status: CaseStatus
    reason_code: Code
    by_agency_id: AgencyId


class CaseEnded(Event, type="kasane.coordination.case.ended.v1", stream=COORDINATION, key="case_id"):
    case_id: UUID
    outcome_code: Code  # resolved | moved_away | declined | deceased | other
    ended_on: date
    area_code: AreaCode | None = None


class TeamMemberJoined(Event, type="kasane.coordination.team.member_joined.v1", stream=COORDINATION,
                       key="case_id"):
    case_id: UUID
    agency_id: AgencyId
    role: TeamRole
    household_id: UUID | None = None


class TeamMemberLeft(Event, type="kasane.coordination.team.member_left.v1", stream=COORDINATION, key="case_id"):
    case_id: UUID
    agency_id: AgencyId
    household_id: UUID | None = None


class LeadChanged(Event, type="kasane.coordination.team.lead_changed.v1", stream=COORDINATION, key="case_id"):
    case_id: UUID
    from_agency_id: AgencyId | None = None
    to_agency_id: AgencyId


class AssessmentRecorded(Event, type="kasane.coordination.assessment.recorded.v1", stream=COORDINATION,
                         key="case_id"):
    case_id: UUID
    assessment_id: UUID
    version: int
    person_id: UUID | None = None
    fields: list[Code] = []  # elderly, disability, children, poverty, ...


class PlanProposed(Event, type="kasane.coordination.plan.proposed.v1", stream=COORDINATION, key="case_id"):
    case_id: UUID
    plan_id: UUID
    version: int
    meeting_id: UUID | None = None
    responsible_agency_ids: list[AgencyId] = []


class PlanApproved(Event, type="kasane.coordination.plan.approved.v1", stream=COORDINATION, key="case_id"):
    case_id: UUID
    plan_id: UUID
    version: int
    meeting_id: UUID
    review_due: date


class PlanReturned(Event, type="kasane.coordination.plan.returned.v1", stream=COORDINATION, key="case_id"):
    case_id: UUID
    plan_id: UUID
    version: int
    meeting_id: UUID
    reason_code: Code


class PlanReviewOverdue(Event, type="kasane.coordination.plan.review_overdue.v1", stream=COORDINATION,
                        key="case_id"):
    case_id: UUID
    plan_id: UUID
    version: int
    review_due: date


class CaseDecision(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    case_id: UUID
    decision: MeetingDecision


class MeetingHeld(Event, type="kasane.coordination.meeting.held.v1", stream=COORDINATION, key="meeting_id"):
    """A meeting took place: who attended and the decision codes, never its content."""

    meeting_id: UUID
    kind: MeetingKind
    held_on: date
    attendee_agency_ids: list[AgencyId]
    decisions: list[CaseDecision] = []
    area_code: AreaCode | None = None


class OutreachStarted(Event, type="kasane.coordination.outreach.started.v1", stream=COORDINATION,
                      key="engagement_id", aggregate="outreach"):
    engagement_id: UUID
    case_id: UUID | None = None
    referral_id: UUID | None = None
    agency_id: AgencyId
    area_code: AreaCode | None = None


class OutreachContactLogged(Event, type="kasane.coordination.outreach.contact_logged.v1",
                            stream=COORDINATION, key="engagement_id", aggregate="outreach"):
    engagement_id: UUID
    case_id: UUID | None = None
    contact_id: UUID
    method: Code
    outcome_code: Code  # reached | not_reached | refused | letter_left | ...
    stage: RelationshipStage
    contacted_on: date
    area_code: AreaCode | None = None


class OutreachOverdue(Event, type="kasane.coordination.outreach.overdue.v1", stream=COORDINATION,
                      key="engagement_id", aggregate="outreach"):
    engagement_id: UUID
    case_id: UUID | None = None
    last_contact_on: date | None = None
    days_without_contact: int


class Availability(BaseModel):
    """When a person can take part: weekdays 0=Mon..6=Sun and hours [start, end)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    weekdays: list[int]
    start_hour: int
    end_hour: int


class ParticipationRequested(Event, type="kasane.coordination.participation.requested.v1",
                             stream=COORDINATION, key="case_id"):
    """Participation support is asked for a person; ``participant_id`` is a pseudonym made by
    coordination for this request, not the person's intake id."""

    request_id: UUID
    case_id: UUID
    participant_id: UUID
    needs: list[Code] = []
    preferences: list[Code] = []  # opportunity kinds or activity codes liked
    required_accommodations: list[Code] = []
    languages: list[Code] = []  # ja, pt, en, zh, vi, tl, ...
    area_code: AreaCode
    travel_km: float
    current_step: ParticipationStep | None = None
    max_step: ParticipationStep | None = None  # never propose beyond this step
    availability: list[Availability] = []
    age_band: str | None = None
