"""API schemas for consent (同意) to share a person's information."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from kasane_shared.contracts.codes import AgencyId, ConsentMethod, ConsentScope
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from kasane_intake.calendar import japan_today

EARLIEST = date(2000, 1, 1)


def _not_future(value: date) -> date:
    if value > japan_today():
        raise ValueError("cannot be in the future")
    if value < EARLIEST:
        raise ValueError("a date before 2000 is not possible here")
    return value


PastDate = Annotated[date, AfterValidator(_not_future)]


class ConsentCreate(BaseModel):
    """The person's consent: to named agencies, or to the whole multi-agency collaboration."""

    model_config = ConfigDict(extra="forbid")

    person_id: uuid.UUID
    scope: ConsentScope
    agency_ids: list[AgencyId] = Field([], max_length=50, description="for scope named_agencies")
    method: ConsentMethod = Field(description="written, oral, or by a proxy (代理人)")
    proxy_relationship: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_]{0,63}$")] | None = Field(
        None, description="for method proxy: e.g. guardian, parent, spouse, child")
    granted_on: PastDate
    expires_on: date | None = None
    note: str | None = Field(None, max_length=1000, description="how it was obtained, in words")


class ConsentWithdraw(BaseModel):
    model_config = ConfigDict(extra="forbid")

    withdrawn_on: PastDate
    reason: str | None = Field(None, max_length=1000)
