"""Participation request API schemas: needs, preferences and constraints as codes."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from kasane_shared.contracts.codes import AgeBand, AreaCode, Code, ParticipationStep
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class AvailabilityIn(BaseModel):
    """Weekdays 0=Mon..6=Sun and hours [start, end)."""

    model_config = ConfigDict(extra="forbid")
    weekdays: list[int] = Field(min_length=1, max_length=7)
    start_hour: int = Field(ge=0, le=23)
    end_hour: int = Field(ge=1, le=24)

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if any(d < 0 or d > 6 for d in value) or len(set(value)) != len(value):
            raise ValueError("weekdays are distinct numbers 0 (Monday) to 6 (Sunday)")
        return sorted(value)

    @model_validator(mode="after")
    def _hours(self) -> AvailabilityIn:
        if self.end_hour <= self.start_hour:
            raise ValueError("end_hour must be after start_hour")
        return self


class ParticipationRequestCreate(BaseModel):
    """Ask participation support for a person, from an action of the active plan."""

    model_config = ConfigDict(extra="forbid")
    plan_id: UUID
    action_id: UUID
    person_id: UUID | None = Field(default=None, description="kept here; participation sees a pseudonym")
    needs: list[Code] = Field(default_factory=list, max_length=20)
    preferences: list[Code] = Field(default_factory=list, max_length=20)
    required_accommodations: list[Code] = Field(default_factory=list, max_length=20)
    languages: list[Code] = Field(default_factory=list, max_length=10)
    area_code: AreaCode
    travel_km: float = Field(gt=0, le=100, description="how far the person can travel")
    current_step: ParticipationStep | None = None
    max_step: ParticipationStep | None = Field(default=None, description="never propose beyond this step")
    availability: list[AvailabilityIn] = Field(default_factory=list, max_length=14)
    age_band: AgeBand | None = None


class ParticipationRequestRead(BaseModel):
    id: UUID
    case_id: UUID
    plan_id: UUID
    action_id: UUID
    participant_id: UUID
    person_id: UUID | None = Field(description="shown with personal detail only")
    needs: list[str]
    preferences: list[str]
    required_accommodations: list[str]
    languages: list[str]
    area_code: str
    travel_km: float
    current_step: ParticipationStep | None
    max_step: ParticipationStep | None
    availability: list[AvailabilityIn]
    age_band: str | None
    requested_by_agency_id: str
    requested_at: datetime
