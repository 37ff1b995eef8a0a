"""Organisations on the platform: who they are and what they can offer."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from kasane_community.shapes import AreaCodeIn, ContactPoint, LongText, ShortText


class OrganisationKind(StrEnum):
    company = "company"
    shop = "shop"
    npo = "npo"
    residents_association = "residents_association"  # 自治会・町内会
    shakyo = "shakyo"  # 社会福祉協議会
    school = "school"
    university = "university"
    kominkan = "kominkan"  # 公民館
    social_welfare_corporation = "social_welfare_corporation"  # 社会福祉法人
    medical = "medical"
    religious = "religious"
    volunteer_group = "volunteer_group"
    municipal = "municipal"
    other = "other"


class Offer(StrEnum):
    """What an organisation can bring to the area."""

    space = "space"
    jobs = "jobs"
    volunteers = "volunteers"
    food = "food"
    transport = "transport"
    expertise = "expertise"


class OrganisationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: ShortText
    kind: OrganisationKind
    description: LongText | None = None
    area_code: AreaCodeIn | None = Field(default=None, description="where it is based; none for city-wide")
    offers: list[Offer] = Field(default=[], max_length=20)
    website: str | None = Field(default=None, pattern=r"^https?://\S+$", max_length=500)
    contact: ContactPoint = ContactPoint()
    agency_id: str | None = Field(default=None, description="when the organisation is an agency of the profile")


class OrganisationUpdate(BaseModel):
    """Fields to change; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")
    name: ShortText | None = None
    description: LongText | None = None
    area_code: AreaCodeIn | None = None
    offers: list[Offer] | None = Field(default=None, max_length=20)
    website: str | None = Field(default=None, pattern=r"^https?://\S+$", max_length=500)
    contact: ContactPoint | None = None


class OrganisationRead(BaseModel):
    id: UUID
    name: str
    kind: OrganisationKind
    description: str | None
    area_code: str | None
    offers: list[Offer]
    website: str | None
    contact: ContactPoint
    agency_id: str | None
    registered_by_agency: str
    joined_at: datetime
    updated_at: datetime
