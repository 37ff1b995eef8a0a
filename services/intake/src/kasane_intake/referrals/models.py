"""API schemas for referrals (つなぎ), modelled on FHIR Task."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from kasane_shared.contracts.codes import AgencyId, ReferralStatus, ReferralTarget
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

ReasonCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_]{0,63}$")]


class ReferralCreate(BaseModel):
    """Refer to multi-agency collaboration, request outreach, or refer to another agency."""

    model_config = ConfigDict(extra="forbid")

    target: ReferralTarget
    to_agency_id: AgencyId | None = Field(None, description="required when target is agency")
    reason_code: ReasonCode = Field(description="e.g. complex_needs, needs_outreach, outside_expertise")
    reason: str | None = Field(None, max_length=1000, description="in words (stays in intake)")


class StatusChange(BaseModel):
    """accepted / completed by the agency answering; rejected (with a reason) by it;
    cancelled by the referring agency."""

    model_config = ConfigDict(extra="forbid")

    status: Literal[ReferralStatus.accepted, ReferralStatus.rejected, ReferralStatus.cancelled,
                    ReferralStatus.completed]
    reason_code: ReasonCode | None = None
    reason: str | None = Field(None, max_length=1000)


class Forward(BaseModel):
    """The agency answering hands the referral on to another agency (counted as a bounce)."""

    model_config = ConfigDict(extra="forbid")

    to_agency_id: AgencyId
    reason_code: ReasonCode
    reason: str | None = Field(None, max_length=1000)


class HistoryEntry(BaseModel):
    status: str
    by_agency_id: str
    reason_code: str | None
    at: datetime


class ReferralRead(BaseModel):
    id: uuid.UUID
    consultation_id: uuid.UUID
    from_agency_id: str
    target: str
    to_agency_id: str | None
    handler_agency_id: str = Field(description="the agency that answers it")
    reason_code: str
    reason: str | None = None
    status: str
    status_reason_code: str | None
    status_reason: str | None = None
    bounce_count: int
    flagged: bool
    flag_reason: str | None
    previous_referral_id: uuid.UUID | None
    case_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    history: list[HistoryEntry] = []
