"""Participation: matching people to places, trials and work (参加支援事業).

Program 2: opportunities, participation requests, matches, placements and gap needs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from importlib.resources import files

from fastapi import APIRouter
from kasane_shared.contracts.community import PlaceChanged, PlaceClosed, PlacePublished
from kasane_shared.contracts.coordination import ParticipationRequested
from kasane_shared.events.consumer import Handler
from kasane_shared.events.streams import COMMUNITY, COORDINATION, PARTICIPATION
from kasane_shared.service import ServiceSpec, WorkerContext
from kasane_shared.service import main as run

from kasane_participation.opportunities import handlers as opportunity_handlers
from kasane_participation.requests import handlers as request_handlers
from kasane_participation.rules import ParticipationRules, load_rules
from kasane_participation.settings import ParticipationSettings


def routers() -> Sequence[APIRouter]:
    from kasane_participation.gaps.views import router as gap_needs
    from kasane_participation.matching.views import router as matching
    from kasane_participation.opportunities.views import router as opportunities
    from kasane_participation.placements.views import router as placements
    from kasane_participation.requests.views import router as requests

    return [opportunities, requests, matching, placements, gap_needs]


def handlers(ctx: WorkerContext) -> Mapping[str, Handler]:
    """Every event participation acts on; other coordination and community events are skipped."""
    deps = {"profile": ctx.profile, "rules": load_rules(ctx.profile)}
    return {
        ParticipationRequested.event_type: partial(request_handlers.participation_requested, **deps),
        PlacePublished.event_type: partial(opportunity_handlers.place_published, **deps),
        PlaceChanged.event_type: partial(opportunity_handlers.place_changed, **deps),
        PlaceClosed.event_type: partial(opportunity_handlers.place_closed, **deps),
    }


SPEC = ServiceSpec(
    name="participation",
    title="Kasane Participation: matching people to places, trials and work (参加支援事業)",
    description="Program 2: opportunities, participation requests, matches, placements and gap needs.",
    version="0.1.0",
    settings_class=ParticipationSettings,
    routers=routers,
    migrations=files("kasane_participation") / "migrations",
    stream=PARTICIPATION,
    consumes=(COORDINATION, COMMUNITY),
    handlers=handlers,
    rules={"participation": ParticipationRules},
    openapi_tags=[
        {"name": "opportunities", "description": "Places to be, volunteering, trials and work offered by providers"},
        {"name": "requests", "description": "Participation requests (pseudonymous, codes only)"},
        {"name": "matching", "description": "Ranked matches with reasons; proposals; acceptance"},
        {"name": "placements", "description": "Placements and follow-ups (定着支援)"},
        {"name": "gap needs", "description": "Needs nothing fitted, by area and need"},
    ],
)


def main() -> None:
    run(SPEC)
