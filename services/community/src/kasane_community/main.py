"""Community: places, the platform of local actors, and resource development (地域づくり事業).

Program 3: places and activities, organisations, coordinators, resource development and anonymous area statistics.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from importlib.resources import files
from typing import Any

import asyncpg
from fastapi import APIRouter
from kasane_shared.contracts.coordination import CaseEnded, CaseOpened, OutreachStarted
from kasane_shared.contracts.intake import ConsultationReceived, ConsultationReferred
from kasane_shared.contracts.participation import (
    GapNeedRecorded,
    MatchProposed,
    OpportunityChanged,
    OpportunityClosed,
    OpportunityPublished,
    PlacementEnded,
    PlacementStarted,
)
from kasane_shared.events.consumer import EventContext, Handler
from kasane_shared.events.streams import COMMUNITY, COORDINATION, INTAKE, PARTICIPATION
from kasane_shared.service import ServiceSpec, WorkerContext
from kasane_shared.service import main as run

from kasane_community.developments import handlers as development
from kasane_community.rules import SECTION, StatisticsRules
from kasane_community.settings import CommunitySettings
from kasane_community.statistics.handlers import StatisticsCounter


def routers() -> Sequence[APIRouter]:
    from kasane_community.coordinators.views import router as coordinators
    from kasane_community.developments.views import router as developments
    from kasane_community.directory.views import router as directory
    from kasane_community.organisations.views import router as organisations
    from kasane_community.places.views import router as places
    from kasane_community.statistics.views import router as statistics

    return [places, organisations, coordinators, developments, statistics, directory]


def when_new(record: Callable[[asyncpg.Connection, Any, EventContext], Awaitable[bool]], then: Handler) -> Handler:
    """``record`` the fact, and only if it was new to us, ``then`` count it."""

    async def handle(conn: asyncpg.Connection, event: object, ctx: EventContext) -> None:
        if await record(conn, event, ctx):
            await then(conn, event, ctx)

    return handle


def both(*steps: Handler) -> Handler:
    """One handler running ``steps`` in order, in the event's one inbox transaction."""

    async def handle(conn: asyncpg.Connection, event: object, ctx: EventContext) -> None:
        for step in steps:
            await step(conn, event, ctx)

    return handle


def handlers(ctx: WorkerContext) -> Mapping[str, Handler]:
    """Every event community acts on, and what it does with it."""
    stats = StatisticsCounter(ctx.profile)
    gaps = development.DevelopmentHandlers(ctx.profile)
    return {
        # intake: statistics
        ConsultationReceived.event_type: stats.count,
        ConsultationReferred.event_type: stats.count,
        # coordination: statistics
        CaseOpened.event_type: stats.count,
        CaseEnded.event_type: stats.count,
        OutreachStarted.event_type: stats.count,
        # participation: gap needs for resource development, opportunities made of our
        # places and how they are used, and statistics
        GapNeedRecorded.event_type: when_new(gaps.gap_need_recorded, then=stats.count),
        OpportunityPublished.event_type: development.opportunity_published,
        OpportunityChanged.event_type: development.opportunity_published,
        OpportunityClosed.event_type: development.opportunity_closed,
        MatchProposed.event_type: development.match_proposed,
        PlacementStarted.event_type: both(development.placement_started, stats.count),
        PlacementEnded.event_type: stats.count,
    }


SPEC = ServiceSpec(
    name="community",
    title="Kasane Community: places, the platform of local actors, and resource development (地域づくり事業)",
    description="Program 3: places and activities, organisations, coordinators, resource development and anonymous area statistics.",
    version="0.1.0",
    settings_class=CommunitySettings,
    routers=routers,
    migrations=files("kasane_community") / "migrations",
    stream=COMMUNITY,
    consumes=(PARTICIPATION, INTAKE, COORDINATION),
    handlers=handlers,
    rules={SECTION: StatisticsRules},
    openapi_tags=[
        {"name": "places", "description": "Places where residents meet (居場所・通いの場・サロン・子ども食堂 ...)"},
        {"name": "activities", "description": "What happens at a place"},
        {"name": "organisations", "description": "The platform of local actors"},
        {"name": "coordinators", "description": "生活支援コーディネーター, CSW and area directors, by area"},
        {"name": "developments", "description": "Resource development from gap needs (資源開発)"},
        {"name": "areas and statistics", "description": "Anonymous counts per area, concern and month"},
        {"name": "directory", "description": "The directory in Open Referral HSDS 3"},
    ],
)


def main() -> None:
    run(SPEC)
