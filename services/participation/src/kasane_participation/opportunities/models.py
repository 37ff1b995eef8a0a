"""API shapes of opportunities (居場所, 就労体験, ...)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from kasane_shared.contracts.codes import AgeBand, AreaCode, Code, OpportunityKind
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

AgesFor = list[AgeBand | Literal["all"]]


KIND_CODES = frozenset(k.value for k in OpportunityKind)


def _not_kinds(activities: list[str]) -> list[str]:
    # matching relies on it: a preference for a kind matches the kind, never an activity
    if KIND_CODES & set(activities):
        raise ValueError("an activity is not an opportunity kind: the kind says that")
    return activities


class SlotIn(BaseModel):
    """One weekly slot: weekday 0=Mon..6=Sun, hours [start_hour, end_hour)."""

    model_config = ConfigDict(extra="forbid")
    weekday: int = Field(ge=0, le=6)
    start_hour: int = Field(ge=0, le=23)
    end_hour: int = Field(ge=1, le=24)

    @model_validator(mode="after")
    def _ordered(self) -> SlotIn:
        if self.end_hour <= self.start_hour:
            raise ValueError("end_hour must be after start_hour")
        return self


class OpportunityCreate(BaseModel):
    """A provider's opportunity. ``schedule`` empty means times are arranged with the host."""

    model_config = ConfigDict(extra="forbid")
    kind: OpportunityKind
    title: str | None = Field(None, min_length=1, max_length=200,
                              description="The provider's own title; stays here, never in events")
    area_code: AreaCode
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    capacity: int = Field(ge=1, le=10_000, description="Places for people placed through participation support")
    schedule: list[SlotIn] = Field([], max_length=50)
    accommodations: list[Code] = Field([], max_length=20)
    languages: list[Code] = Field([], max_length=20, description="Empty means Japanese only")
    activities: list[Code] = Field([], max_length=20, description="Activity codes preferences can name")
    for_ages: AgesFor = Field([], max_length=25)
    status: Literal["draft", "open"] = "open"

    @model_validator(mode="after")
    def _both_coordinates(self) -> OpportunityCreate:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither")
        return self

    @field_validator("activities")
    @classmethod
    def _activities_are_not_kinds(cls, value: list[str]) -> list[str]:
        return _not_kinds(value)


class OpportunityUpdate(BaseModel):
    """Fields to change; ``status`` moves draft -> open <-> paused, or to closed (final)."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(None, min_length=1, max_length=200)
    area_code: AreaCode | None = None
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    capacity: int | None = Field(None, ge=1, le=10_000)
    schedule: list[SlotIn] | None = Field(None, max_length=50)
    accommodations: list[Code] | None = Field(None, max_length=20)
    languages: list[Code] | None = Field(None, max_length=20)
    activities: list[Code] | None = Field(None, max_length=20)
    for_ages: AgesFor | None = Field(None, max_length=25)
    status: Literal["open", "paused", "closed"] | None = None

    @model_validator(mode="after")
    def _both_coordinates(self) -> OpportunityUpdate:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither")
        return self

    @field_validator("activities")
    @classmethod
    def _activities_are_not_kinds(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _not_kinds(value)


class SlotRead(BaseModel):
    weekday: int
    start_hour: int
    end_hour: int


class OpportunityRead(BaseModel):
    id: UUID
    kind: OpportunityKind
    title: str | None
    source: Literal["provider", "community"]
    owner_agency_id: str | None
    source_place_id: UUID | None
    development_id: UUID | None
    area_code: str
    lat: float
    lon: float
    located_by: Literal["coordinates", "area_centroid"]
    capacity: int
    seats_taken: int
    free_seats: int
    status: Literal["draft", "open", "full", "paused", "closed"]
    schedule: list[SlotRead]
    flexible_hours: bool
    accommodations: list[str]
    languages: list[str]
    activities: list[str]
    for_ages: list[str]
    version: int
    created_at: datetime
    updated_at: datetime
