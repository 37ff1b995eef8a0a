"""Coordinators (生活支援コーディネーター, CSW, area directors) and the areas they cover."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from kasane_community.shapes import AreaCodeIn, ContactPoint, ShortText


class CoordinatorRole(StrEnum):
    seikatsu_shien_coordinator = "seikatsu_shien_coordinator"  # 生活支援コーディネーター (介護保険法)
    csw = "csw"  # コミュニティソーシャルワーカー (社協)
    area_director = "area_director"  # エリアディレクター (名張市)


class CoordinatorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    display_name: ShortText = Field(description="how colleagues know the coordinator; stays in community")
    role: CoordinatorRole
    agency_id: str | None = Field(default=None, description="their agency; the caller's when left out")
    area_codes: list[AreaCodeIn] = Field(min_length=1, max_length=50)
    contact: ContactPoint = ContactPoint()


class AreasAssignment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    area_codes: list[AreaCodeIn] = Field(min_length=1, max_length=50)


class CoordinatorRead(BaseModel):
    id: UUID
    display_name: str
    role: CoordinatorRole
    agency_id: str
    area_codes: list[str]
    contact: ContactPoint
    registered_by_agency: str
    created_at: datetime
    updated_at: datetime
