"""Case team API schemas."""

from __future__ import annotations

from datetime import datetime

from kasane_shared.contracts.codes import AgencyId, TeamRole
from pydantic import BaseModel, ConfigDict

from kasane_coordination.cases.models import TeamMemberRead


class InvitationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agency_id: AgencyId
    role: TeamRole


class LeadChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agency_id: AgencyId


class TeamHistoryRead(BaseModel):
    agency_id: str
    action: str
    role: str | None
    by_agency_id: str
    at: datetime


class TeamRead(BaseModel):
    case_id: str
    lead_agency_id: str | None
    members: list[TeamMemberRead]
    history: list[TeamHistoryRead]
