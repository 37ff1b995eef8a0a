"""API shapes of matches: ranked suggestions, proposals, acceptance."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from kasane_shared.contracts.codes import Code
from pydantic import BaseModel, ConfigDict, Field


class ScorePart(BaseModel):
    value: float = Field(description="How well this part fits, 0 to 1")
    weight: float = Field(description="Its weight in the score (rules.participation.weights)")
    points: float = Field(description="value x weight: what it adds to the score")


class ReasonRead(BaseModel):
    code: str
    part: str | None = Field(description="The score part it explains; null for a hard constraint met")
    text: str
    text_ja: str


class OpportunityBrief(BaseModel):
    id: UUID
    kind: str
    title: str | None
    area_code: str
    capacity: int
    free_seats: int
    accommodations: list[str]
    languages: list[str]
    activities: list[str]


class MatchSuggestion(BaseModel):
    rank: int
    opportunity: OpportunityBrief
    score: float
    distance_km: float
    parts: dict[str, ScorePart]
    reasons: list[ReasonRead]
    proposed_match_id: UUID | None = Field(None, description="The live proposal of this opportunity, if any")


class MatchList(BaseModel):
    request_id: UUID
    rules_version: str
    hard_constraints: list[str]
    matches: list[MatchSuggestion]


class ProposalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    opportunity_id: UUID


class AcceptBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    started_on: date | None = Field(None, description="Defaults to today")


class DeclineBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason_code: Code = Field(description="e.g. not_now, too_far, not_interested, host_declined")


class MatchRead(BaseModel):
    id: UUID
    request_id: UUID
    opportunity_id: UUID
    status: Literal["proposed", "accepted", "declined", "withdrawn"]
    proposed_by: str
    score: float
    distance_km: float
    parts: dict[str, ScorePart]
    reasons: list[ReasonRead]
    rules_version: str
    decline_reason: str | None
    proposed_at: datetime
    decided_at: datetime | None
