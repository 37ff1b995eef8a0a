"""Intake: the comprehensive consultation desk (包括的相談支援事業).

Program 1: every agency's desk accepts any consultation (断らない), screens the whole household and refers complex cases on.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import files

from fastapi import APIRouter
from kasane_shared.service import ServiceSpec
from kasane_shared.service import main as run

from kasane_intake.settings import IntakeSettings


def routers() -> Sequence[APIRouter]:
    return []


SPEC = ServiceSpec(
    name="intake",
    title="Kasane Intake: the comprehensive consultation desk (包括的相談支援事業)",
    description="Program 1: every agency's desk accepts any consultation (断らない), screens the whole household and refers complex cases on.",
    version="0.1.0",
    settings_class=IntakeSettings,
    routers=routers,
    migrations=files("kasane_intake") / "migrations",
)


def main() -> None:
    run(SPEC)
