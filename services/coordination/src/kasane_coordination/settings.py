"""Coordination's settings: environment variables prefixed ``COORDINATION_``."""

from __future__ import annotations

from typing import ClassVar

from kasane_shared.settings import ServiceSettings
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CoordinationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="COORDINATION_", extra="ignore")

    service: ClassVar[str] = "coordination"
    http_port: int = 8002
    worker_port: int = 8102


class JobSchedule(BaseSettings):
    """How often the worker looks for overdue reviews, silent outreach and cases between
    agencies. Jobs are fixed when the spec is built, so this is read once, apart from the
    settings a process needs to run."""

    model_config = SettingsConfigDict(env_prefix="COORDINATION_", extra="ignore")

    plan_reviews_every_seconds: float = Field(default=3600.0, gt=0)
    outreach_overdue_every_seconds: float = Field(default=3600.0, gt=0)
    flags_every_seconds: float = Field(default=600.0, gt=0)
