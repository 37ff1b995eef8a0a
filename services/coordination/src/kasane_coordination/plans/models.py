"""Support plan API schemas. Goals keep the person's own words (本人の言葉)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from kasane_shared.contracts.codes import AgencyId, Code
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kasane_coordination.plans.lifecycle import ActionStatus, PlanStatus


class GoalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=2000, description="in the person's own words where possible")
    in_persons_words: bool = True
    person_id: UUID | None = None


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = Field(min_length=1, max_length=2000)
    responsible_agency_id: AgencyId
    field: Code | None = None
    start_on: date
    review_on: date | None = None
    status: ActionStatus = ActionStatus.planned

    @model_validator(mode="after")
    def _dates(self) -> ActionIn:
        if self.review_on is not None and self.review_on < self.start_on:
            raise ValueError("review_on is before start_on")
        return self


class PlanCreate(BaseModel):
    """A new version; it never overwrites an earlier one."""

    model_config = ConfigDict(extra="forbid")
    goals: list[GoalIn] = Field(min_length=1, max_length=20)
    actions: list[ActionIn] = Field(min_length=1, max_length=50)
    start_on: date
    review_on: date | None = Field(default=None, description="review date; else approval + the profile's interval")
    based_on: UUID | None = Field(default=None, description="the version this one revises; default the latest")

    @model_validator(mode="after")
    def _dates(self) -> PlanCreate:
        if self.review_on is not None and self.review_on < self.start_on:
            raise ValueError("review_on is before start_on")
        return self


class PlanProposal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    meeting_id: UUID


class ActionStatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: ActionStatus


class GoalRead(BaseModel):
    text: str
    in_persons_words: bool
    person_id: UUID | None


class ActionRead(BaseModel):
    id: UUID
    responsible_agency_id: str
    field: str | None
    start_on: date
    review_on: date | None
    status: ActionStatus
    description: str | None = Field(description="withheld without personal detail")


class PlanHistoryRead(BaseModel):
    action_id: UUID | None
    from_status: str | None
    to_status: str
    reason_code: str | None
    meeting_id: UUID | None
    by_agency_id: str
    at: datetime


class PlanRead(BaseModel):
    id: UUID
    case_id: UUID
    version: int
    status: PlanStatus
    active: bool
    based_on: UUID | None
    start_on: date
    review_on: date | None
    review_due: date | None
    created_by_agency_id: str
    created_at: datetime
    proposed_meeting_id: UUID | None
    decided_meeting_id: UUID | None
    return_reason_code: str | None
    superseded_by: UUID | None
    detail: Literal["shown", "withheld"]
    goals: list[GoalRead] | None
    actions: list[ActionRead]
    history: list[PlanHistoryRead]
