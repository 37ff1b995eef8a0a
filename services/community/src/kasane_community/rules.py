"""Community's section of the municipality profile (``rules.statistics``)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from kasane_shared.profile import MunicipalityProfile
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

SECTION = "statistics"


class StatisticsRules(BaseModel):
    """How area statistics are cut and protected (小さな数の秘匿)."""

    model_config = ConfigDict(extra="forbid")

    version: str = Field(min_length=1)
    # counts under this show as "<N"; 3 is the least that still hides anything when 0 shows
    suppression_threshold: int = Field(ge=2, le=100)
    # false: a zero shows as 0 (it names no one); true: zeros show as "<N" like 1..N-1
    suppress_zero: bool = False
    max_months: int = Field(default=24, ge=1, le=120)  # the longest span one request may ask
    # months are cut at midnight in the municipality's zone (profile.municipality.timezone),
    # set by statistics_rules
    _timezone: str = PrivateAttr(default="Asia/Tokyo")

    @model_validator(mode="after")
    def _threshold_hides_something(self) -> StatisticsRules:
        # With zeros shown, "<2" could only mean 1: the threshold would hide nothing.
        if not self.suppress_zero and self.suppression_threshold < 3:
            raise ValueError("suppression_threshold must be at least 3 when zeros are shown")
        return self

    @property
    def timezone(self) -> str:
        return self._timezone

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self._timezone)


def statistics_rules(profile: MunicipalityProfile) -> StatisticsRules:
    """The validated statistics section of ``profile``, in the municipality's time zone."""
    rules = profile.rules_section(SECTION, StatisticsRules)
    rules._timezone = profile.municipality.timezone
    return rules
