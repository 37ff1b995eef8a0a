"""Meeting API schemas. Minutes and material are free text: they never leave the service."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from kasane_shared.contracts.codes import AgencyId, AreaCode, Code, MeetingDecision, MeetingKind
from pydantic import BaseModel, ConfigDict, Field


class MeetingCreate(BaseModel):
    """A meeting your agency chairs; ``member_agency_ids`` are the other member agencies (構成員)."""

    model_config = ConfigDict(extra="forbid")
    kind: MeetingKind
    scheduled_on: date
    area_code: AreaCode | None = None
    member_agency_ids: list[AgencyId] = Field(default_factory=list, max_length=60)


class MemberAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agency_id: AgencyId


class AgendaAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")
    case_id: UUID


class MaterialCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    case_id: UUID | None = None
    content: str = Field(min_length=1, max_length=20000)


class Attendee(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agency_id: AgencyId
    role: Literal["chair", "member", "advisor"] = "member"


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    case_id: UUID
    decision: MeetingDecision
    plan_id: UUID | None = None
    reason_code: Code | None = Field(default=None, description="why a plan is returned")
    outcome_code: Code | None = Field(default=None, description="how a case ends (end_case)")


class MeetingHeldIn(BaseModel):
    """The meeting took place: who attended, a decision per case, the minutes."""

    model_config = ConfigDict(extra="forbid")
    held_on: date
    attendees: list[Attendee] = Field(min_length=1, max_length=60)
    decisions: list[DecisionIn] = Field(default_factory=list, max_length=100)
    minutes: str | None = Field(default=None, max_length=50000)


class MemberRead(BaseModel):
    agency_id: str
    role: str
    attended_role: str | None


class ProposedPlanRead(BaseModel):
    plan_id: UUID
    version: int
    status: str


class AgendaItemRead(BaseModel):
    case_id: UUID
    added_by_agency_id: str
    decision: MeetingDecision | None
    plan_id: UUID | None
    reason_code: str | None
    outcome_code: str | None
    proposed_plans: list[ProposedPlanRead]


class AcknowledgementRead(BaseModel):
    agency_id: str
    actor: str
    acknowledged_at: datetime


class MeetingRead(BaseModel):
    """A meeting as a member sees it; at a 支援会議 the agenda and minutes need the acknowledgement."""

    id: UUID
    kind: MeetingKind
    status: Literal["scheduled", "held"]
    scheduled_on: date
    held_on: date | None
    area_code: str | None
    chair_agency_id: str
    my_role: str
    confidential: bool
    acknowledged: bool
    members: list[MemberRead]
    acknowledgements: list[AcknowledgementRead] | None
    agenda: list[AgendaItemRead] | None
    minutes: str | None


class MeetingSummary(BaseModel):
    id: UUID
    kind: MeetingKind
    status: str
    scheduled_on: date
    held_on: date | None
    chair_agency_id: str
    my_role: str


class MaterialRead(BaseModel):
    id: UUID
    case_id: UUID | None
    content: str
    by_agency_id: str
    added_at: datetime
