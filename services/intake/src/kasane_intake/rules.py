"""Intake's sections of the municipality profile: ``rules.screening`` and ``rules.referrals``.

Both are versioned; every screening result records the version of the rules that made it.
"""

from __future__ import annotations

from dataclasses import dataclass

from kasane_shared.contracts.codes import ScreeningPattern
from kasane_shared.profile import MunicipalityProfile
from pydantic import BaseModel, ConfigDict, Field, model_validator


class ScreeningRules(BaseModel):
    """Thresholds and weights of the household screening (``rules.screening``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    lookback_days: int = Field(ge=1, description="consultations older than this no longer count")
    adult_age: int = Field(ge=1, le=30, description="under this age a member is a child (young carer)")
    elder_age: int = Field(ge=50, le=110, description="8050: the parent's minimum age; double care: the elder")
    middle_age_min: int = Field(ge=18, le=80, description="8050: the child's age range")
    middle_age_max: int = Field(ge=18, le=90)
    double_care_child_age_max: int = Field(ge=0, le=20, description="double care: a child this age or under")
    long_term_withdrawal_years: int = Field(ge=1, le=50)
    many_agencies: int = Field(ge=2, le=20, description="known to this many agencies or more")
    field_weight: int = Field(ge=0, description="per distinct field beyond the first")
    member_weight: int = Field(ge=0, description="per member with concerns beyond the first")
    pattern_weights: dict[ScreeningPattern, int]
    refer_score: int = Field(ge=1, description="at or above: refer to multi-agency collaboration")
    outreach_patterns: list[ScreeningPattern] = Field(
        description="below refer_score, any of these recommends outreach")

    @model_validator(mode="after")
    def _consistent(self) -> ScreeningRules:
        if self.middle_age_min > self.middle_age_max:
            raise ValueError("middle_age_min is above middle_age_max")
        missing = set(ScreeningPattern) - set(self.pattern_weights)
        if missing:
            raise ValueError(f"pattern_weights lacks {sorted(missing)}")
        return self


class ReferralRules(BaseModel):
    """Referral settings (``rules.referrals``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    max_bounces: int = Field(ge=0, description="たらい回し: more rejections than this flag the referral")
    collaboration_desk: str = Field(description="the agency answering referrals to 多機関協働")
    outreach_desk: str = Field(description="the agency answering requests for outreach")


@dataclass(frozen=True)
class IntakeRules:
    screening: ScreeningRules
    referrals: ReferralRules


_CACHE: dict[int, tuple[MunicipalityProfile, IntakeRules]] = {}


def intake_rules(profile: MunicipalityProfile) -> IntakeRules:
    """Intake's rules from ``profile``, validated once per profile object."""
    cached = _CACHE.get(id(profile))
    if cached is not None and cached[0] is profile:
        return cached[1]
    rules = IntakeRules(
        screening=profile.rules_section("screening", ScreeningRules),
        referrals=profile.rules_section("referrals", ReferralRules),
    )
    for name in ("collaboration_desk", "outreach_desk"):
        agency = getattr(rules.referrals, name)
        if profile.agency(agency) is None:
            raise ValueError(f"rules.referrals.{name}: {agency} is not an agency of the profile")
    _CACHE[id(profile)] = (profile, rules)
    return rules
