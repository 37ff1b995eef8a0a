"""API schemas for households (世帯) and their members."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from kasane_shared.contracts.codes import AreaCode
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kasane_intake.consultations.models import ConsultationRead
from kasane_intake.persons.models import PersonCreate, PersonRead, Relationship
from kasane_intake.referrals.models import ReferralRead
from kasane_intake.screening.models import ScreeningRead


class HouseholdMemberIn(BaseModel):
    """A member: an existing person by id, or new person data."""

    model_config = ConfigDict(extra="forbid")

    person_id: uuid.UUID | None = Field(None, description="a person the caller may read")
    person: PersonCreate | None = Field(None, description="new person data")
    relationship: Relationship | None = Field(
        None, description="to the head of the household (世帯主との続柄); new links default to other")
    lives_together: bool | None = Field(None, description="同居; new links default to true")

    @model_validator(mode="after")
    def _one_person(self) -> HouseholdMemberIn:
        if (self.person_id is None) == (self.person is None):
            raise ValueError("give either person_id or person")
        return self


class HouseholdCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    area_code: AreaCode | None = None
    members: list[HouseholdMemberIn] = Field(min_length=1, max_length=30)


class MemberRead(BaseModel):
    person: PersonRead
    relationship: str
    lives_together: bool
    linked_at: datetime


class HouseholdRead(BaseModel):
    """The whole household: members, the consultations the caller may see (``limited``
    ones say only who received them and when), open referrals, the latest screening."""

    id: uuid.UUID
    access: Literal["full", "limited"]
    area_code: str | None
    members: list[MemberRead]
    consultations: list[ConsultationRead] = []
    open_referrals: list[ReferralRead] = []
    latest_screening: ScreeningRead | None = None
