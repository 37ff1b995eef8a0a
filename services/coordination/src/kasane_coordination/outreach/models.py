"""Outreach API schemas. Contact notes are free text and stay in coordination."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from kasane_shared.contracts.codes import AgeBand, AreaCode, Code, ContactMethod, RelationshipStage
from pydantic import BaseModel, ConfigDict, Field, model_validator


class EngagementCreate(BaseModel):
    """Start outreach for someone hard to reach; with ``case_id`` it belongs to that case."""

    model_config = ConfigDict(extra="forbid")
    case_id: UUID | None = None
    household_id: UUID | None = None
    person_id: UUID | None = None
    area_code: AreaCode | None = None
    age_band: AgeBand | None = None
    reason_code: Code
    stage: RelationshipStage = RelationshipStage.not_reached
    started_on: date | None = Field(default=None, description="default today")


class ContactCreate(BaseModel):
    """A contact made (``done``) or planned; a done contact names its outcome."""

    model_config = ConfigDict(extra="forbid")
    status: Literal["done", "planned"] = "done"
    method: ContactMethod
    contacted_on: date | None = None
    planned_on: date | None = None
    outcome_code: Code | None = Field(default=None, description="reached, not_reached, refused, letter_left, ...")
    stage: RelationshipStage | None = Field(default=None, description="the relationship after this contact")
    note: str | None = Field(default=None, max_length=4000)
    next_contact_on: date | None = None
    next_contact_method: ContactMethod | None = None

    @model_validator(mode="after")
    def _shape(self) -> ContactCreate:
        if self.status == "done":
            if self.contacted_on is None:
                raise ValueError("contacted_on is required for a contact made")
            if self.outcome_code is None:
                raise ValueError("outcome_code is required for a contact made")
        elif self.planned_on is None:
            raise ValueError("planned_on is required for a planned contact")
        return self


class ContactDone(BaseModel):
    """A planned contact took place."""

    model_config = ConfigDict(extra="forbid")
    contacted_on: date
    outcome_code: Code
    stage: RelationshipStage | None = None
    note: str | None = Field(default=None, max_length=4000)
    next_contact_on: date | None = None
    next_contact_method: ContactMethod | None = None


class EngagementStatusChange(BaseModel):
    """Pause, resume or close; nothing forces closure."""

    model_config = ConfigDict(extra="forbid")
    status: Literal["active", "paused", "closed"]
    reason_code: Code


class CaseLink(BaseModel):
    """Link to a case your agency works on, or (no ``case_id``) open a case from the engagement."""

    model_config = ConfigDict(extra="forbid")
    case_id: UUID | None = None


class ContactRead(BaseModel):
    id: UUID
    status: Literal["done", "planned"]
    method: ContactMethod
    planned_on: date | None
    contacted_on: date | None
    outcome_code: str | None
    stage_after: RelationshipStage | None
    by_agency_id: str
    recorded_at: datetime
    note: str | None = Field(description="shown with personal detail only")


class EngagementRead(BaseModel):
    id: UUID
    case_id: UUID | None
    referral_id: UUID | None
    consultation_id: UUID | None
    agency_id: str
    requested_by_agency_id: str | None
    reason_code: str
    stage: RelationshipStage
    status: Literal["active", "paused", "closed"]
    started_on: date
    last_contact_on: date | None
    days_without_contact: int
    overdue: bool
    next_contact_on: date | None
    next_contact_method: str | None
    closed_on: date | None
    close_reason_code: str | None
    area_code: str | None
    age_band: str | None
    detail: Literal["shown", "withheld"]
    household_id: UUID | None
    person_id: UUID | None
    contacts: list[ContactRead]
