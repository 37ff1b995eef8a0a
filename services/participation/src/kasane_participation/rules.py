"""Participation's rules: the ``participation`` section of the municipality profile.

Ranking weights, the step scores, who coordinates, and the follow-up schedule. Every match
records the ``version`` it was ranked with.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from kasane_shared.profile import MunicipalityProfile
from pydantic import BaseModel, ConfigDict, Field, model_validator


class Weights(BaseModel):
    """How much each part of a match's score counts; they sum to 1."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    step: float = Field(0.35, ge=0)
    distance: float = Field(0.25, ge=0)
    preference: float = Field(0.15, ge=0)
    schedule: float = Field(0.10, ge=0)
    comfort: float = Field(0.10, ge=0)
    audience: float = Field(0.05, ge=0)

    @model_validator(mode="after")
    def _sums_to_one(self) -> Weights:
        total = sum(self.model_dump().values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"weights must sum to 1, not {total:g}")
        return self


class StepScores(BaseModel):
    """The step part of the score: the next step from where the person is scores best."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    next: float = Field(1.0, ge=0, le=1)  # one step up (or the first step for someone not yet taking part)
    same: float = Field(0.6, ge=0, le=1)  # the step the person is on now
    back: float = Field(0.3, ge=0, le=1)  # a gentler step than now (allowed: pace may go back)
    jump_penalty: float = Field(0.5, ge=0, le=1)  # per step beyond the next one, below max_step
    floor: float = Field(0.1, ge=0, le=1)
    off_ladder: float = Field(0.5, ge=0, le=1)  # learning support, residential watch (when preferred)


class ParticipationRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    weights: Weights = Weights()
    steps: StepScores = StepScores()
    # agencies running 参加支援事業: they see every request, propose matches, follow up
    coordinator_agencies: list[str] = []
    # a community place published without a capacity gets this many seats for placements
    place_default_capacity: int = Field(10, ge=1)
    follow_up_days: list[int] = [7, 30, 90]  # 定着支援: follow-ups scheduled after a start
    max_travel_km: float = Field(50.0, gt=0)
    default_limit: int = Field(10, ge=1, le=50)

    def is_coordinator(self, agency_id: str) -> bool:
        return agency_id in self.coordinator_agencies


def load_rules(profile: MunicipalityProfile) -> ParticipationRules:
    """The validated ``participation`` section (raises when the profile's section is broken)."""
    rules = profile.rules_section("participation", ParticipationRules)
    unknown = [a for a in rules.coordinator_agencies if profile.agency(a) is None]
    if unknown:
        raise ValueError(f"rules.participation.coordinator_agencies: unknown agencies {unknown}")
    return rules


def _rules(request: Request) -> ParticipationRules:
    state = request.app.state
    cached = getattr(state, "participation_rules", None)
    if cached is None:
        cached = state.participation_rules = load_rules(state.profile)
    return cached


Rules = Annotated[ParticipationRules, Depends(_rules)]
