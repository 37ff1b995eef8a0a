"""Cases falling between agencies (pure): no lead after N days, a plan review overdue, a
referral bounced between desks (たらい回し, intake's flag), no activity for N days."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID

from kasane_shared.contracts.codes import CaseStatus

from kasane_coordination.plans.lifecycle import PlanStatus, review_overdue
from kasane_coordination.rules import CoordinationRules


class FlagCode(StrEnum):
    no_lead = "no_lead"
    review_overdue = "review_overdue"
    referral_bounced = "referral_bounced"
    no_contact = "no_contact"


@dataclass(frozen=True)
class CaseFacts:
    case_id: UUID
    status: CaseStatus
    opened_on: date
    has_lead: bool
    last_activity_on: date | None = None
    plan_id: UUID | None = None
    plan_status: PlanStatus | None = None
    review_due: date | None = None
    bounced_referrals: tuple[UUID, ...] = ()


@dataclass(frozen=True)
class Flag:
    code: FlagCode
    case_id: UUID | None
    ref_id: UUID | None = None
    household_id: UUID | None = None
    detail: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def key(self) -> tuple[str, UUID | None, UUID | None]:
        return (self.code.value, self.case_id, self.ref_id)


def case_flags(facts: CaseFacts, today: date, rules: CoordinationRules) -> list[Flag]:
    """The flags an open case raises today (an ended case raises none)."""
    if facts.status is CaseStatus.ended:
        return []
    flags: list[Flag] = []
    days_open = (today - facts.opened_on).days
    if not facts.has_lead and days_open >= rules.no_lead_days:
        flags.append(Flag(FlagCode.no_lead, facts.case_id, detail={"days_without_lead": days_open}))
    if facts.plan_status is not None and review_overdue(facts.plan_status, facts.review_due, today):
        assert facts.review_due is not None
        flags.append(Flag(FlagCode.review_overdue, facts.case_id, ref_id=facts.plan_id,
                          detail={"review_due": facts.review_due.isoformat(),
                                  "days_overdue": (today - facts.review_due).days}))
    last = facts.last_activity_on or facts.opened_on
    if (today - last).days >= rules.no_contact_days:
        flags.append(Flag(FlagCode.no_contact, facts.case_id, detail={"days_without_contact": (today - last).days}))
    for referral_id in facts.bounced_referrals:
        flags.append(Flag(FlagCode.referral_bounced, facts.case_id, ref_id=referral_id))
    return flags


def unassigned_bounces(bounces: Iterable[tuple[UUID, UUID | None, int]], on_cases: set[UUID]) -> list[Flag]:
    """Bounced referrals no open case holds: the desk sees them before anyone takes them on.
    ``bounces`` are (referral_id, household_id, bounce_count)."""
    return [Flag(FlagCode.referral_bounced, None, ref_id=referral_id, household_id=household_id,
                 detail={"bounce_count": count})
            for referral_id, household_id, count in bounces if referral_id not in on_cases]
