"""Dependencies every route can ask for: the municipality profile, the settings, and the
service's rules (built once from the profile when the process starts; each service names
its own type: ``Rules = Annotated[IntakeRules, Depends(current_rules)]``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from kasane_shared.profile import MunicipalityProfile
from kasane_shared.settings import ServiceSettings


def _profile(request: Request) -> MunicipalityProfile:
    profile: MunicipalityProfile = request.app.state.profile
    return profile


def _settings(request: Request) -> ServiceSettings:
    settings: ServiceSettings = request.app.state.settings
    return settings


Profile = Annotated[MunicipalityProfile, Depends(_profile)]
Settings = Annotated[ServiceSettings, Depends(_settings)]


def current_rules(request: Request) -> Any:
    """The service's rules object (``ServiceSpec.build_rules``), validated at start."""
    return request.app.state.rules
