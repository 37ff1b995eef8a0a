"""Case API schemas."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from kasane_shared.contracts.codes import AreaCode, CaseStatus, Code, TeamRole
from pydantic import BaseModel, ConfigDict, Field


class CaseCreate(BaseModel):
    """A case opened by hand, or taken up directly by a meeting (``meeting_id``)."""

    model_config = ConfigDict(extra="forbid")
    household_id: UUID | None = None
    person_id: UUID | None = Field(default=None, description="intake's id of the person the case is about")
    consultation_id: UUID | None = None
    area_code: AreaCode | None = None
    concern_codes: list[Code] = Field(default_factory=list, max_length=30)
    meeting_id: UUID | None = Field(default=None, description="the meeting taking the case up (take_up_case)")
    reason_code: Code = "opened_directly"


class StatusChange(BaseModel):
    """Move the case; ``note`` (free text) stays in coordination."""

    model_config = ConfigDict(extra="forbid")
    to: CaseStatus
    reason_code: Code
    note: str | None = Field(default=None, max_length=4000)
    outcome_code: Code | None = Field(default=None, description="required when ending: resolved, moved_away, ...")
    ended_on: date | None = None


class TeamMemberRead(BaseModel):
    agency_id: str
    role: TeamRole
    state: Literal["invited", "active", "declined", "left"]
    since: datetime


class ActivePlanRef(BaseModel):
    plan_id: UUID
    version: int
    status: str
    review_due: date | None


class CaseRead(BaseModel):
    """A case as the calling agency may see it; personal detail is null when ``detail`` is withheld."""

    id: UUID
    origin: str
    status: CaseStatus
    opened_at: datetime
    opened_by_agency_id: str
    status_changed_at: datetime
    area_code: str | None
    referral_id: UUID | None
    consultation_id: UUID | None
    referring_agency_id: str | None
    ended_on: date | None
    outcome_code: str | None
    my_role: TeamRole | None
    detail: Literal["shown", "withheld"]
    detail_basis: str | None = Field(description="referring_agency, collaboration_desk, consent or break_glass")
    consent_in_force: bool
    household_id: UUID | None
    subject_person_id: UUID | None
    concern_codes: list[str] | None
    patterns: list[str] | None
    screening: dict[str, Any] | None
    lead_agency_id: str | None
    team: list[TeamMemberRead]
    active_plan: ActivePlanRef | None
    flags: list[str]


class CaseSummary(BaseModel):
    id: UUID
    origin: str
    status: CaseStatus
    area_code: str | None
    opened_at: datetime
    role: TeamRole
    membership: Literal["active", "invited"]


class TransitionRead(BaseModel):
    from_status: CaseStatus | None
    to_status: CaseStatus
    reason_code: str
    by_agency_id: str
    meeting_id: UUID | None
    at: datetime
    note: str | None = Field(description="shown with personal detail only")


class TimelineEntry(BaseModel):
    """One fact, ids and codes only; person and household ids and what the person's troubles are
    (concerns, screening, needs) are left out when personal detail is withheld."""

    seq: int
    at: datetime
    service: str
    type: str
    agency_id: str | None
    data: dict[str, Any]
