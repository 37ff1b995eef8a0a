"""Places where residents meet (居場所・通いの場・サロン・子ども食堂 ...) and their activities."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from kasane_shared.contracts.codes import Accommodation, Code, PlaceKind
from pydantic import BaseModel, ConfigDict, Field

from kasane_community.shapes import (
    Address,
    AgeFor,
    AreaCodeIn,
    ContactPoint,
    ForField,
    LanguageCode,
    LongText,
    OpenStatus,
    ShortText,
    WeeklySlot,
)


class PlaceCreate(BaseModel):
    """A place to publish. Its name, address and contact point stay in community's
    directory; the event carries only its facts (kind, area, schedule, who it is for)."""

    model_config = ConfigDict(extra="forbid")
    name: ShortText
    kind: PlaceKind
    description: LongText | None = None
    organisation_id: UUID | None = Field(default=None, description="the organisation that runs it")
    area_code: AreaCodeIn
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    address: Address | None = None
    schedule: list[WeeklySlot] = Field(default=[], max_length=50)
    for_ages: list[AgeFor] = Field(default=["all"], max_length=25)
    for_fields: list[ForField] = Field(default=[ForField.everyone], max_length=10)
    accessibility: list[Accommodation] = Field(default=[], description="accommodations the place offers")
    languages: list[LanguageCode] = Field(default=["ja"], max_length=20)
    capacity: int | None = Field(default=None, ge=1, le=10000)
    contact: ContactPoint = ContactPoint()
    status: OpenStatus = OpenStatus.open


class PlaceUpdate(BaseModel):
    """Fields to change; those left out stay. Closing is ``POST /v1/places/{id}/close``."""

    model_config = ConfigDict(extra="forbid")
    name: ShortText | None = None
    kind: PlaceKind | None = None
    description: LongText | None = None
    organisation_id: UUID | None = None
    area_code: AreaCodeIn | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    address: Address | None = None
    schedule: list[WeeklySlot] | None = Field(default=None, max_length=50)
    for_ages: list[AgeFor] | None = Field(default=None, max_length=25)
    for_fields: list[ForField] | None = Field(default=None, max_length=10)
    accessibility: list[Accommodation] | None = None
    languages: list[LanguageCode] | None = Field(default=None, max_length=20)
    capacity: int | None = Field(default=None, ge=1, le=10000)
    contact: ContactPoint | None = None
    status: OpenStatus | None = None


class PlaceRead(BaseModel):
    id: UUID
    name: str
    kind: PlaceKind
    description: str | None
    organisation_id: UUID | None
    area_code: str
    lat: float | None
    lon: float | None
    address: Address | None
    schedule: list[WeeklySlot]
    for_ages: list[str]
    for_fields: list[ForField]
    accessibility: list[Accommodation]
    languages: list[str]
    capacity: int | None
    contact: ContactPoint
    status: str  # open | paused | closed
    development_id: UUID | None
    registered_by_agency: str
    version: int
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class ActivityCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    place_id: UUID
    name: ShortText
    kind: Code = Field(description="salon, meal, exercise, study, farming, crafts, consultation, ...")
    description: LongText | None = None
    schedule: list[WeeklySlot] = Field(default=[], max_length=50)
    for_ages: list[AgeFor] = Field(default=["all"], max_length=25)
    status: OpenStatus = OpenStatus.open


class ActivityUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: ShortText | None = None
    kind: Code | None = None
    description: LongText | None = None
    schedule: list[WeeklySlot] | None = Field(default=None, max_length=50)
    for_ages: list[AgeFor] | None = Field(default=None, max_length=25)
    status: OpenStatus | None = None


class ActivityRead(BaseModel):
    id: UUID
    place_id: UUID
    name: str
    kind: str
    description: str | None
    schedule: list[WeeklySlot]
    for_ages: list[str]
    status: str
    registered_by_agency: str
    created_at: datetime
    updated_at: datetime
