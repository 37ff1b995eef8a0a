"""Coordination: multi-agency collaboration, support plans, meetings and outreach (多機関協働・支援プラン・アウトリーチ).

Programs 4-6: cases, case teams, assessments, support plans, 重層的支援会議 and 支援会議, outreach engagements.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import files

from fastapi import APIRouter
from kasane_shared.service import ServiceSpec
from kasane_shared.service import main as run

from kasane_coordination.settings import CoordinationSettings


def routers() -> Sequence[APIRouter]:
    return []


SPEC = ServiceSpec(
    name="coordination",
    title="Kasane Coordination: multi-agency collaboration, support plans, meetings and outreach (多機関協働・支援プラン・アウトリーチ)",
    description="Programs 4-6: cases, case teams, assessments, support plans, 重層的支援会議 and 支援会議, outreach engagements.",
    version="0.1.0",
    settings_class=CoordinationSettings,
    routers=routers,
    migrations=files("kasane_coordination") / "migrations",
)


def main() -> None:
    run(SPEC)
