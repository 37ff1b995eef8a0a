"""Assessment API schemas: needs by field, strengths, the person's wishes in their own words
(本人の意向), risks. Free text stays in coordination."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from kasane_shared.contracts.codes import Code
from pydantic import BaseModel, ConfigDict, Field


class NeedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field: Code = Field(description="elderly, disability, children, poverty, health, ...")
    codes: list[Code] = Field(default_factory=list, max_length=20)
    note: str | None = Field(default=None, max_length=2000)


class RiskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Code
    level: Literal["low", "medium", "high"]
    note: str | None = Field(default=None, max_length=2000)


class AssessmentCreate(BaseModel):
    """A new version for one household member (``person_id``) or the household as a whole."""

    model_config = ConfigDict(extra="forbid")
    person_id: UUID | None = None
    needs: list[NeedIn] = Field(default_factory=list, max_length=20)
    strengths: list[str] = Field(default_factory=list, max_length=20)
    wishes: str | None = Field(default=None, max_length=4000, description="本人の意向, kept word for word")
    wishes_language: Code | None = Field(default=None, description="the language the wishes were said in")
    risks: list[RiskIn] = Field(default_factory=list, max_length=20)


class AssessmentRead(BaseModel):
    id: UUID
    case_id: UUID
    person_id: UUID | None
    version: int
    fields: list[str]
    recorded_by_agency_id: str
    recorded_at: datetime
    detail: Literal["shown", "withheld"]
    needs: list[NeedIn] | None
    strengths: list[str] | None
    wishes: str | None
    wishes_language: str | None
    risks: list[RiskIn] | None
