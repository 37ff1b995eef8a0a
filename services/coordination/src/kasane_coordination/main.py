"""Coordination: multi-agency collaboration, support plans, meetings and outreach (多機関協働・支援プラン・アウトリーチ).

Programs 4-6: cases, case teams, assessments, support plans, 重層的支援会議 and 支援会議, outreach engagements.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib.resources import files

from fastapi import APIRouter
from kasane_shared.access import break_glass_router
from kasane_shared.contracts.intake import (
    ConsentGranted,
    ConsentWithdrawn,
    ConsultationReceived,
    ConsultationReferred,
    ConsultationScreened,
    HouseholdMemberLinked,
    OutreachRequested,
    ReferralStatusChanged,
)
from kasane_shared.contracts.participation import (
    MatchProposed,
    PlacementEnded,
    PlacementFollowedUp,
    PlacementStarted,
)
from kasane_shared.events.consumer import Handler
from kasane_shared.events.streams import COORDINATION, INTAKE, PARTICIPATION
from kasane_shared.service import PeriodicJob, ServiceSpec, WorkerContext
from kasane_shared.service import main as run

from kasane_coordination import access
from kasane_coordination.assessments.views import router as assessments
from kasane_coordination.cases.handlers import IntakeFacts
from kasane_coordination.cases.views import router as cases
from kasane_coordination.consent import handlers as consent
from kasane_coordination.flags.jobs import between_agencies
from kasane_coordination.flags.views import router as flags
from kasane_coordination.meetings.views import router as meetings
from kasane_coordination.outreach import service as outreach_service
from kasane_coordination.outreach.handlers import OutreachRequests
from kasane_coordination.outreach.jobs import outreach_overdue
from kasane_coordination.outreach.views import router as outreach
from kasane_coordination.participation import handlers as participation
from kasane_coordination.participation.views import router as participation_requests
from kasane_coordination.plans.jobs import plan_reviews
from kasane_coordination.plans.views import router as plans
from kasane_coordination.rules import CoordinationRules, rules_for
from kasane_coordination.settings import CoordinationSettings, JobSchedule
from kasane_coordination.teams.views import router as teams


def routers() -> Sequence[APIRouter]:
    return [
        cases, teams, assessments, plans, meetings, outreach, participation_requests, flags,
        break_glass_router({access.RESOURCE, outreach_service.RESOURCE}),
    ]


def handlers(ctx: WorkerContext) -> Mapping[str, Handler]:
    """Every event coordination acts on, and what it does with it."""
    rules = rules_for(ctx.profile)  # a broken coordination section stops the worker at start
    intake = IntakeFacts(ctx.profile, rules)
    outreach_requests = OutreachRequests(ctx.profile, rules)
    return {
        # intake (kasane.intake.v1)
        ConsultationReceived.event_type: intake.received,  # → household timeline
        ConsultationScreened.event_type: intake.screened,  # → household timeline
        ConsultationReferred.event_type: intake.referred,  # target=collaboration opens a case, once
        ReferralStatusChanged.event_type: intake.referral_status,  # flagged=True: bounced (たらい回し)
        HouseholdMemberLinked.event_type: intake.member_linked,  # who belongs to the household
        OutreachRequested.event_type: outreach_requests.requested,  # opens an outreach engagement
        ConsentGranted.event_type: consent.granted,  # gates 重層的支援会議 and personal detail
        ConsentWithdrawn.event_type: consent.withdrawn,
        # participation (kasane.participation.v1) → case timeline
        MatchProposed.event_type: participation.placement_fact,
        PlacementStarted.event_type: participation.placement_fact,
        PlacementFollowedUp.event_type: participation.placement_fact,
        PlacementEnded.event_type: participation.placement_fact,
    }


def jobs(schedule: JobSchedule) -> tuple[PeriodicJob, ...]:
    """Overdue plan reviews, silent outreach, and the between-agencies flags."""
    return (
        PeriodicJob("plan_reviews", schedule.plan_reviews_every_seconds, plan_reviews),
        PeriodicJob("outreach_overdue", schedule.outreach_overdue_every_seconds, outreach_overdue),
        PeriodicJob("between_agencies", schedule.flags_every_seconds, between_agencies),
    )


SPEC = ServiceSpec(
    name="coordination",
    title="Kasane Coordination: multi-agency collaboration, support plans, meetings and outreach (多機関協働・支援プラン・アウトリーチ)",
    description="Programs 4-6: cases, case teams, assessments, support plans, 重層的支援会議 and 支援会議, outreach engagements.",
    version="0.1.0",
    settings_class=CoordinationSettings,
    routers=routers,
    migrations=files("kasane_coordination") / "migrations",
    stream=COORDINATION,
    consumes=(INTAKE, PARTICIPATION),
    handlers=handlers,
    jobs=jobs(JobSchedule()),
    rules={"coordination": CoordinationRules},
)


def main() -> None:
    run(SPEC)
