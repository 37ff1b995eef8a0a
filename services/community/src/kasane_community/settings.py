"""Community's settings: environment variables prefixed ``COMMUNITY_``."""

from __future__ import annotations

from typing import ClassVar

from kasane_shared.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class CommunitySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="COMMUNITY_", extra="ignore")

    service: ClassVar[str] = "community"
    http_port: int = 8004
    worker_port: int = 8104
