"""Coordination's thresholds: the ``coordination`` section of the municipality profile."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from kasane_shared.contracts.codes import AgencyId
from kasane_shared.profile import MunicipalityProfile
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr


class CoordinationRules(BaseModel):
    """Days after which a case or an engagement is surfaced as falling between agencies."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    # 多機関協働事業's desk: on every case opened from a referral, and sees every flag
    collaboration_desk: AgencyId = "sk-jusou-suishin"
    # who carries outreach asked for by intake (アウトリーチ); the desk unless named
    outreach_agency: AgencyId | None = None
    no_lead_days: int = Field(default=14, ge=1, le=365)
    no_contact_days: int = Field(default=30, ge=1, le=730)
    outreach_overdue_days: int = Field(default=30, ge=1, le=730)
    plan_review_days: int = Field(default=90, ge=1, le=730)  # モニタリング interval after approval
    # the municipality's zone (profile.municipality.timezone), set by rules_for: days are
    # a municipality-wide fact, not a coordination threshold
    _timezone: str = PrivateAttr(default="Asia/Tokyo")

    @property
    def timezone(self) -> str:
        return self._timezone

    @property
    def outreach_agency_id(self) -> str:
        return self.outreach_agency or self.collaboration_desk

    def today(self) -> date:
        """The municipality's calendar day now."""
        return datetime.now(ZoneInfo(self._timezone)).date()


def rules_for(profile: MunicipalityProfile) -> CoordinationRules:
    """The validated ``coordination`` rules of ``profile``; its agencies must exist."""
    # validating a handful of fields costs microseconds: no cache to go stale
    rules = profile.rules_section("coordination", CoordinationRules)
    rules._timezone = profile.municipality.timezone
    for agency in (rules.collaboration_desk, rules.outreach_agency):
        if agency is not None and profile.agency(agency) is None:
            raise ValueError(f"rules.coordination: agency {agency} is not in the profile")
    return rules
