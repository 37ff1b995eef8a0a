"""Intake: the comprehensive consultation desk (包括的相談支援事業).

Program 1: every agency's desk accepts any consultation (断らない), screens the whole household and refers complex cases on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib.resources import files

from fastapi import APIRouter
from kasane_shared.access import break_glass_router
from kasane_shared.contracts.coordination import (
    CaseEnded,
    CaseOpened,
    CaseStatusChanged,
    OutreachStarted,
    TeamMemberJoined,
    TeamMemberLeft,
)
from kasane_shared.contracts.partner import PartnerConsultationSubmitted
from kasane_shared.events.consumer import Handler
from kasane_shared.events.streams import COORDINATION, INTAKE, PARTNER_CONSULTATIONS
from kasane_shared.service import ServiceSpec, WorkerContext
from kasane_shared.service import main as run

from kasane_intake.consents.views import router as consents
from kasane_intake.consultations.handlers import partner_consultation_handler
from kasane_intake.consultations.views import router as consultations
from kasane_intake.households.handlers import case_reopened, team_member_joined, team_member_left
from kasane_intake.households.views import router as households
from kasane_intake.persons.views import router as persons
from kasane_intake.referrals.handlers import case_ended_handler, case_opened_handler, outreach_started_handler
from kasane_intake.referrals.views import router as referrals
from kasane_intake.rules import ReferralRules, ScreeningRules, intake_rules
from kasane_intake.settings import IntakeSettings

# records that emergency access (break glass) can open
BREAK_GLASS_TYPES = {"person", "household", "consultation"}


def routers() -> Sequence[APIRouter]:
    return [consultations, persons, households, consents, referrals, break_glass_router(BREAK_GLASS_TYPES)]


def handlers(ctx: WorkerContext) -> Mapping[str, Handler]:
    """Every event intake acts on, in one place (the rules are validated here at start)."""
    rules = intake_rules(ctx.profile)
    return {
        # inbound: consultations posted as events by partner systems
        PartnerConsultationSubmitted.event_type: partner_consultation_handler(ctx.profile, rules),
        # coordination: referrals taken and finished, case teams that open households
        CaseOpened.event_type: case_opened_handler(rules),
        OutreachStarted.event_type: outreach_started_handler(rules),
        CaseEnded.event_type: case_ended_handler(rules),
        TeamMemberJoined.event_type: team_member_joined,
        TeamMemberLeft.event_type: team_member_left,
        CaseStatusChanged.event_type: case_reopened,
    }


SPEC = ServiceSpec(
    name="intake",
    title="Kasane Intake: the comprehensive consultation desk (包括的相談支援事業)",
    description="Program 1: every agency's desk accepts any consultation (断らない), screens the whole household and refers complex cases on.",
    version="0.1.0",
    settings_class=IntakeSettings,
    routers=routers,
    migrations=files("kasane_intake") / "migrations",
    stream=INTAKE,
    consumes=(PARTNER_CONSULTATIONS, COORDINATION),
    handlers=handlers,
    strict_topics=(PARTNER_CONSULTATIONS,),
    rules={"screening": ScreeningRules, "referrals": ReferralRules},
    openapi_tags=[
        {"name": "consultations", "description": "相談受付: accept any consultation, the desk's list, the concern catalogue"},
        {"name": "persons", "description": "本人: register, read, correct, search; proposed matches, merge and unlink"},
        {"name": "households", "description": "世帯: members, and the whole household at a glance"},
        {"name": "consent", "description": "同意: to named agencies or the whole collaboration, and its withdrawal"},
        {"name": "referrals", "description": "つなぎ: to multi-agency collaboration, outreach or another agency"},
        {"name": "emergency access", "description": "Break glass: a stated reason opens one record for a few hours"},
    ],
)


def main() -> None:
    run(SPEC)
