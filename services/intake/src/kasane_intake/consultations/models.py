"""API schemas for consultations (相談受付)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from kasane_shared.contracts.codes import AreaCode, Channel, ConsultedBy
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from kasane_intake.calendar import JST  # an offset-less partner timestamp is Japan time
from kasane_intake.persons.models import MatchProposalRead, PersonCreate, Relationship
from kasane_intake.referrals.models import ReferralRead
from kasane_intake.screening.models import ScreeningRead

SUMMARY_MAX_CHARS = 4000  # about two pages of Japanese; longer records belong in the agency's own system
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
CLOCK_SKEW = timedelta(minutes=10)

# Any well-formed code is kept; unknown ones are flagged, never refused. Codes travel in
# events, so they must look like codes (lower-case ASCII), never like words about a person.
ConcernCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_]{0,63}$")]
ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")]


def received_time(value: datetime | None) -> datetime | None:
    """Naive times are Japan time; the future (beyond clock skew) and before 1990 are impossible."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=JST)
    if value > datetime.now(UTC) + CLOCK_SKEW:
        raise ValueError("a consultation cannot be received in the future")
    if value < EARLIEST:
        raise ValueError("a consultation before 1990 is not possible")
    return value


class MemberIn(BaseModel):
    """A household member the consultation is about or mentions."""

    model_config = ConfigDict(extra="forbid")

    person_id: uuid.UUID | None = Field(None, description="a person the caller may read")
    person: PersonCreate | None = Field(None, description="new person data (proposed as a match, never merged)")
    relationship: Relationship | None = Field(
        None, description="to the head of the household (世帯主との続柄); new links default to other")
    lives_together: bool | None = Field(None, description="同居; new links default to true")
    subject: bool = Field(False, description="the consultation is about this person (本人)")
    concern_codes: list[ConcernCode] = Field([], max_length=30, description="this member's concerns")
    withdrawn_years: int | None = Field(None, ge=0, le=80, description="years withdrawn at home (ひきこもり)")
    no_outside_contact: bool = Field(False, description="no contact outside the home")

    @model_validator(mode="after")
    def _one_person(self) -> MemberIn:
        if (self.person_id is None) == (self.person is None):
            raise ValueError("give either person_id or person")
        return self


class ConsultationCreate(BaseModel):
    """A consultation as a desk received it. Only ``channel`` and ``consulted_by`` are
    required: anonymous, third-party and almost empty consultations are accepted (断らない)."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel
    consulted_by: ConsultedBy
    received_at: Annotated[datetime | None, AfterValidator(received_time)] = Field(
        None, description="default now; a time without offset is Japan time")
    external_id: ExternalId | None = Field(
        None, description="the partner system's own id: a retry with the same id returns the first result")
    summary: str | None = Field(None, max_length=SUMMARY_MAX_CHARS, description="free text, at most 4,000 characters")
    concern_codes: list[ConcernCode] = Field([], max_length=30, description="the consultation's concerns")
    area_code: AreaCode | None = Field(None, description="default: the subject's or the household's area")
    household_id: uuid.UUID | None = Field(None, description="an existing household the caller may read")
    members: list[MemberIn] = Field([], max_length=30)


class ConsultationMemberRead(BaseModel):
    person_id: uuid.UUID
    subject: bool
    concern_codes: list[str]
    withdrawn_years: int | None
    no_outside_contact: bool


class ConsultationRead(BaseModel):
    """A consultation as the caller may see it: ``full``, or ``limited`` (that it exists,
    who received it and when: for agencies related to the household)."""

    id: uuid.UUID
    access: Literal["full", "limited"]
    agency_id: str
    received_at: datetime
    status: str
    channel: str | None = None
    consulted_by: str | None = None
    anonymous: bool | None = None
    external_id: str | None = None
    via: str | None = None
    household_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    area_code: str | None = None
    age_band: str | None = None
    summary: str | None = None
    concern_codes: list[str] = []
    unknown_concern_codes: list[str] = Field([], description="kept and flagged, never refused")
    members: list[ConsultationMemberRead] = []
    match_proposals: list[MatchProposalRead] = Field(
        [], description="persons reported here that may already be known (proposed, never merged)")
    screening: ScreeningRead | None = None
    referrals: list[ReferralRead] = []


class ConsultationItem(BaseModel):
    """One line of the desk's list (no free text)."""

    id: uuid.UUID
    agency_id: str
    received_at: datetime
    status: str
    channel: str
    consulted_by: str
    anonymous: bool
    via: str
    household_id: uuid.UUID | None
    person_id: uuid.UUID | None
    area_code: str | None
    concern_codes: list[str]
    unknown_concern_codes: list[str]
    recommendation: str | None
    patterns: list[str]


class ConcernRead(BaseModel):
    code: str
    label_ja: str
    label_en: str
    field: str
