"""API shapes of placements and their follow-ups (定着支援)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from kasane_shared.contracts.codes import Code, PlacementOutcome
from pydantic import BaseModel, ConfigDict, Field


class FollowUpCreate(BaseModel):
    """A follow-up done. Without ``follow_up_id`` it completes the earliest scheduled one
    still open (or is recorded as an extra one when none is left)."""

    model_config = ConfigDict(extra="forbid")
    followed_up_on: date
    status_code: Code = Field(description="e.g. going_well, struggling, absent, considering_next_step")
    note: str | None = Field(None, max_length=4000, description="Kept in participation only; never in events")
    follow_up_id: UUID | None = None
    next_due_on: date | None = Field(None, description="Schedule one more follow-up")


class PauseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason_code: Code


class EndBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: PlacementOutcome
    ended_on: date | None = Field(None, description="Defaults to today")


class FollowUpRead(BaseModel):
    id: UUID
    due_on: date | None
    done_on: date | None
    status_code: str | None
    note: str | None = Field(description="Shown to coordinators, the requesting agency and its author only")
    recorded_by: str | None


class PlacementRead(BaseModel):
    id: UUID
    match_id: UUID
    request_id: UUID
    opportunity_id: UUID
    kind: str
    area_code: str
    status: Literal["active", "paused", "ended"]
    started_on: date
    ended_on: date | None
    outcome: PlacementOutcome | None
    pause_reason: str | None
    follow_ups: list[FollowUpRead]
    version: int
    created_at: datetime
    updated_at: datetime


class DueFollowUp(BaseModel):
    follow_up_id: UUID
    placement_id: UUID
    request_id: UUID
    opportunity_id: UUID
    due_on: date
