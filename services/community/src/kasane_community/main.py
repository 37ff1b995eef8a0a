"""Community: places, the platform of local actors, and resource development (地域づくり事業).

Program 3: places and activities, organisations, coordinators, resource development and anonymous area statistics.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import files

from fastapi import APIRouter
from kasane_shared.service import ServiceSpec
from kasane_shared.service import main as run

from kasane_community.settings import CommunitySettings


def routers() -> Sequence[APIRouter]:
    return []


SPEC = ServiceSpec(
    name="community",
    title="Kasane Community: places, the platform of local actors, and resource development (地域づくり事業)",
    description="Program 3: places and activities, organisations, coordinators, resource development and anonymous area statistics.",
    version="0.1.0",
    settings_class=CommunitySettings,
    routers=routers,
    migrations=files("kasane_community") / "migrations",
)


def main() -> None:
    run(SPEC)
