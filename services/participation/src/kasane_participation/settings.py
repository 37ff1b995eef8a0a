"""Participation's settings: environment variables prefixed ``PARTICIPATION_``."""

from __future__ import annotations

from typing import ClassVar

from kasane_shared.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class ParticipationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PARTICIPATION_", extra="ignore")

    service: ClassVar[str] = "participation"
    http_port: int = 8003
    worker_port: int = 8103
