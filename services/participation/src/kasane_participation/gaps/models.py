"""API shapes of gap needs and their summary."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field


class GapNeedRead(BaseModel):
    id: UUID
    area_code: str
    need_codes: list[str]
    wanted_kinds: list[str]
    accommodations: list[str]
    languages: list[str]
    recorded_at: datetime
    resolved_at: datetime | None
    resolution: str | None = Field(description="matched | request_closed")


class GapNeedCount(BaseModel):
    area_code: str
    area_name: str | None
    need: str
    recorded: int = Field(description="Gap needs recorded for this area and need")
    waiting: int = Field(description="Of them, still unmet")
    matched: int = Field(description="Of them, matched later to a new or changed opportunity")
    waiting_since: datetime | None = Field(description="When the oldest unmet one was recorded")


class GapNeedSummary(BaseModel):
    items: list[GapNeedCount]


def gap_read(row: Mapping[str, Any]) -> GapNeedRead:
    return GapNeedRead(
        id=row["id"], area_code=row["area_code"], need_codes=row["need_codes"], wanted_kinds=row["wanted_kinds"],
        accommodations=row["accommodations"], languages=row["languages"], recorded_at=row["recorded_at"],
        resolved_at=row["resolved_at"], resolution=row["resolution"],
    )
