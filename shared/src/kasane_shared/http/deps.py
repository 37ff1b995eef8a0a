"""Dependencies every route can ask for: the municipality profile and the settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kasane_shared.profile import MunicipalityProfile
from kasane_shared.settings import ServiceSettings


def _profile(request: Request) -> MunicipalityProfile:
    return request.app.state.profile


def _settings(request: Request) -> ServiceSettings:
    return request.app.state.settings


Profile = Annotated[MunicipalityProfile, Depends(_profile)]
Settings = Annotated[ServiceSettings, Depends(_settings)]
