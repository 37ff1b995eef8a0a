"""API shapes of participation requests."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from kasane_shared.contracts.codes import AgeBand, AreaCode, Code, ParticipationStep
from pydantic import BaseModel, ConfigDict, Field, model_validator

RequestStatus = Literal["open", "waiting", "proposed", "placed", "closed"]


class AvailabilityIn(BaseModel):
    """When the person can take part: weekdays 0=Mon..6=Sun, hours [start_hour, end_hour)."""

    model_config = ConfigDict(extra="forbid")
    weekdays: list[int] = Field(min_length=1, max_length=7)
    start_hour: int = Field(ge=0, le=23)
    end_hour: int = Field(ge=1, le=24)

    @model_validator(mode="after")
    def _valid(self) -> AvailabilityIn:
        if any(not 0 <= d <= 6 for d in self.weekdays):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        if self.end_hour <= self.start_hour:
            raise ValueError("end_hour must be after start_hour")
        return self


class RequestCreate(BaseModel):
    """A participation request made directly (coordination's requests arrive as events).

    Codes only: no name, no free text. ``participant_id`` is the requesting agency's own
    pseudonym for the person; one is made when it is left out."""

    model_config = ConfigDict(extra="forbid")
    case_id: UUID | None = None
    participant_id: UUID | None = None
    needs: list[Code] = Field([], max_length=30)
    preferences: list[Code] = Field([], max_length=30, description="Opportunity kinds or activity codes liked")
    required_accommodations: list[Code] = Field([], max_length=20)
    languages: list[Code] = Field([], max_length=10, description="Languages the person can take part in")
    area_code: AreaCode
    travel_km: float = Field(gt=0, description="How far from the home area's centre the person can travel")
    current_step: ParticipationStep | None = None
    max_step: ParticipationStep | None = Field(None, description="Never propose beyond this step")
    availability: list[AvailabilityIn] = Field([], max_length=21, description="Empty means any time")
    age_band: AgeBand | None = None


class RequestClose(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason_code: Code


class AvailabilityRead(BaseModel):
    weekdays: list[int]
    start_hour: int
    end_hour: int


class RequestRead(BaseModel):
    id: UUID
    case_id: UUID | None
    participant_id: UUID
    origin: Literal["event", "api"]
    owner_agency_id: str | None
    needs: list[str]
    preferences: list[str]
    required_accommodations: list[str]
    languages: list[str]
    area_code: str
    travel_km: float
    current_step: ParticipationStep | None
    max_step: ParticipationStep | None
    availability: list[AvailabilityRead]
    age_band: str | None
    allowed_kinds: list[str] = Field(description="Kinds the step rule lets this request be offered")
    status: RequestStatus
    close_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime
