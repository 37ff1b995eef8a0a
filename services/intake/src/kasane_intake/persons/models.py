"""API schemas for persons (本人) and their match proposals and merges."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from kasane_shared.contracts.codes import AreaCode, ConsentMethod, ConsentScope
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from kasane_intake.calendar import japan_today
from kasane_intake.persons.matching import is_kana

EARLIEST_BIRTH_DATE = date(1900, 1, 1)


class Sex(StrEnum):
    female = "female"
    male = "male"
    other = "other"
    unknown = "unknown"


class Relationship(StrEnum):
    """世帯主との続柄: the member's relationship to the head of the household."""

    head = "head"  # 世帯主
    spouse = "spouse"  # 配偶者
    child = "child"  # 子
    child_in_law = "child_in_law"  # 子の配偶者
    parent = "parent"  # 父母
    parent_in_law = "parent_in_law"  # 配偶者の父母
    grandparent = "grandparent"  # 祖父母
    grandchild = "grandchild"  # 孫
    sibling = "sibling"  # 兄弟姉妹
    other = "other"  # その他・不明


def _kana(value: str | None) -> str | None:
    if value is not None and not is_kana(value):
        raise ValueError("must be written in kana (katakana or hiragana)")
    return value


def _not_future_birth(value: date | None) -> date | None:
    if value is None:
        return value
    if value > japan_today():
        raise ValueError("a birth date cannot be in the future")
    if value < EARLIEST_BIRTH_DATE:
        raise ValueError("a birth date before 1900 is not possible")
    return value


Kana = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_kana)]
BirthDate = Annotated[date, AfterValidator(_not_future_birth)]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9０-９][0-9０-９()（）\-－ ]{1,23}$")]
Language = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", description="BCP 47, e.g. ja, pt-BR")]


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prefecture: str | None = Field(None, max_length=20)
    municipality: str | None = Field(None, max_length=50)
    area_code: AreaCode | None = Field(None, description="an area of the municipality profile")
    street: str | None = Field(None, max_length=200, description="町名・番地・建物")


class PersonCreate(BaseModel):
    """New person data; everything is optional (a baby of unknown name is still a member)."""

    model_config = ConfigDict(extra="forbid")

    family_name: str | None = Field(None, min_length=1, max_length=100)
    given_name: str | None = Field(None, min_length=1, max_length=100)
    family_name_kana: Kana | None = None
    given_name_kana: Kana | None = None
    birth_date: BirthDate | None = None
    age_estimate: int | None = Field(None, ge=0, le=120, description="when the birth date is unknown")
    sex: Sex | None = None
    address: Address | None = None
    phone: Phone | None = None
    preferred_language: Language | None = None
    contact_notes: str | None = Field(None, max_length=1000, description="how to make contact")


class PersonUpdate(PersonCreate):
    """Fields to change; those left out stay as they are, an explicit null clears one."""


class HouseholdLink(BaseModel):
    household_id: uuid.UUID
    relationship: str
    lives_together: bool


class MatchProposalRead(BaseModel):
    id: uuid.UUID
    person_id: uuid.UUID
    candidate_person_id: uuid.UUID
    reasons: list[str]
    status: str
    created_at: datetime


class ConsentRead(BaseModel):
    id: uuid.UUID
    person_id: uuid.UUID
    scope: ConsentScope
    agency_ids: list[str]
    method: ConsentMethod
    proxy_relationship: str | None
    granted_on: date
    expires_on: date | None
    note: str | None
    recorded_by: str
    recorded_at: datetime
    withdrawn_on: date | None
    withdrawal_reason: str | None
    active: bool


class PersonRead(BaseModel):
    """A person as the caller may see them: ``access`` is ``full``, or ``limited`` (a case
    team without the person's consent: ids, age band and area only)."""

    id: uuid.UUID
    access: Literal["full", "limited"]
    family_name: str | None = None
    given_name: str | None = None
    family_name_kana: str | None = None
    given_name_kana: str | None = None
    birth_date: date | None = None
    age_estimate: int | None = None
    age_band: str | None = None
    sex: Sex | None = None
    address: Address | None = None
    area_code: str | None = None
    phone: str | None = None
    preferred_language: str | None = None
    contact_notes: str | None = None
    merged_into: uuid.UUID | None = None
    merged_person_ids: list[uuid.UUID] = []
    households: list[HouseholdLink] = []
    consents: list[ConsentRead] = []
    match_proposals: list[MatchProposalRead] = []
    created_by: str | None = None
    created_at: datetime | None = None


class PersonSearch(BaseModel):
    """A search by kana (and optionally birth date or phone): in the body, never the URL."""

    model_config = ConfigDict(extra="forbid")

    kana: Kana
    birth_date: BirthDate | None = None


class PersonFound(BaseModel):
    id: uuid.UUID
    family_name: str | None
    given_name: str | None
    family_name_kana: str | None
    given_name_kana: str | None
    birth_date: date | None
    age_band: str | None
    area_code: str | None
    reasons: list[str]


class MergeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    merged_person_id: uuid.UUID = Field(description="the record that folds into the one in the path")
    proposal_id: uuid.UUID | None = None
    reason: str | None = Field(None, max_length=500)


class UnlinkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(None, max_length=500)


class MergeRead(BaseModel):
    id: uuid.UUID
    surviving_person_id: uuid.UUID
    merged_person_id: uuid.UUID
    proposal_id: uuid.UUID | None
    merged_by: str
    merged_at: datetime
    unlinked_by: str | None
    unlinked_at: datetime | None
