"""Intake's settings: environment variables prefixed ``INTAKE_``."""

from __future__ import annotations

from typing import ClassVar

from kasane_shared.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")

    service: ClassVar[str] = "intake"
    http_port: int = 8001
    worker_port: int = 8101
