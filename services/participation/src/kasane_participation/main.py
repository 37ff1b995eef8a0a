"""Participation: matching people to places, trials and work (参加支援事業).

Program 2: opportunities, participation requests, matches, placements and gap needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import files

from fastapi import APIRouter
from kasane_shared.service import ServiceSpec
from kasane_shared.service import main as run

from kasane_participation.settings import ParticipationSettings


def routers() -> Sequence[APIRouter]:
    return []


SPEC = ServiceSpec(
    name="participation",
    title="Kasane Participation: matching people to places, trials and work (参加支援事業)",
    description="Program 2: opportunities, participation requests, matches, placements and gap needs.",
    version="0.1.0",
    settings_class=ParticipationSettings,
    routers=routers,
    migrations=files("kasane_participation") / "migrations",
)


def main() -> None:
    run(SPEC)
