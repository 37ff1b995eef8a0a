"""Resource-development projects: the API's shapes."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from kasane_shared.contracts.codes import Code, DevelopmentStatus, PlaceKind
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kasane_community.organisations.models import OrganisationKind
from kasane_community.shapes import AreaCodeIn, LongText, ShortText


class GapNeedGroupRef(BaseModel):
    """Take up every open gap need of one group (as ``GET /v1/gap-needs/groups`` lists them)."""

    model_config = ConfigDict(extra="forbid")
    area_code: AreaCodeIn
    need_code: Code


class DevelopmentCreate(BaseModel):
    """Open a project from gap needs: name them, or name a group and take all its open ones."""

    model_config = ConfigDict(extra="forbid")
    title: ShortText
    description: LongText | None = None
    area_code: AreaCodeIn = Field(description="the project's area; its gap needs are in it or below it")
    need_codes: list[Code] = Field(default=[], max_length=20,
                                   description="what the project answers; from its gap needs when left out")
    gap_need_ids: list[UUID] = Field(default=[], max_length=500)
    from_group: GapNeedGroupRef | None = None
    organisation_ids: list[UUID] = Field(default=[], max_length=50, description="the organisations involved")
    coordinator_id: UUID | None = None


class DevelopmentUpdate(BaseModel):
    """Fields to change; those left out stay. No event: the contract carries the opening,
    stage changes and what the project produced."""

    model_config = ConfigDict(extra="forbid")
    title: ShortText | None = None
    description: LongText | None = None
    coordinator_id: UUID | None = None
    organisation_ids: list[UUID] | None = Field(default=None, max_length=50)


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: DevelopmentStatus
    reason_code: Code | None = Field(default=None, description="why, as a code (e.g. no_host, funding_ended)")


class ResourceLink(BaseModel):
    """A place already in the directory, or an opportunity participation published."""

    model_config = ConfigDict(extra="forbid")
    place_id: UUID | None = None
    opportunity_id: UUID | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ResourceLink:
        if (self.place_id is None) == (self.opportunity_id is None):
            raise ValueError("give exactly one of place_id and opportunity_id")
        return self


class GapNeedRead(BaseModel):
    id: UUID
    area_code: str
    need_codes: list[str]
    wanted_kinds: list[str]
    accommodations: list[str]
    languages: list[str]
    recorded_at: datetime
    development_id: UUID | None = Field(description="the live project that took it up")


class OrganisationSummary(BaseModel):
    id: UUID
    name: str
    kind: OrganisationKind


class StatusStep(BaseModel):
    from_status: DevelopmentStatus | None
    to_status: DevelopmentStatus
    reason_code: str | None
    by_agency: str
    at: datetime


class OpportunityRead(BaseModel):
    """An opportunity as participation's events described it, with how it is used (counts only)."""

    id: UUID
    kind: str | None
    area_code: str | None
    status: str | None
    matches_proposed: int
    placements_started: int


class PlaceSummary(BaseModel):
    id: UUID
    name: str
    kind: PlaceKind
    area_code: str
    status: str


class Produced(BaseModel):
    """One thing the project produced, and what became of it in participation."""

    place: PlaceSummary | None = None
    opportunity_id: UUID | None = None
    opportunities: list[OpportunityRead] = Field(
        description="the opportunities participation made of it (for a place) or the opportunity itself")
    produced_at: datetime


class DevelopmentRead(BaseModel):
    id: UUID
    title: str
    description: str | None
    area_code: str
    need_codes: list[str]
    status: DevelopmentStatus
    next_statuses: list[DevelopmentStatus]
    coordinator_id: UUID | None
    opened_by_agency: str
    opened_at: datetime
    updated_at: datetime
    organisations: list[OrganisationSummary]
    gap_needs: list[GapNeedRead]
    history: list[StatusStep]
    produced: list[Produced]


class DevelopmentSummary(BaseModel):
    id: UUID
    title: str
    area_code: str
    need_codes: list[str]
    status: DevelopmentStatus
    coordinator_id: UUID | None
    opened_at: datetime
    updated_at: datetime
    gap_needs: int
    produced: int
