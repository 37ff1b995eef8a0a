"""Coordination's settings: environment variables prefixed ``COORDINATION_``."""

from __future__ import annotations

from typing import ClassVar

from kasane_shared.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class CoordinationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="COORDINATION_", extra="ignore")

    service: ClassVar[str] = "coordination"
    http_port: int = 8002
    worker_port: int = 8102
