"""API schema of a screening result."""

from __future__ import annotations

import uuid
from datetime import datetime

from kasane_shared.contracts.intake import ScreeningSummary
from pydantic import BaseModel


class ReasonRead(BaseModel):
    code: str
    text_ja: str
    text_en: str


class ScreeningRead(BaseModel):
    """Advice for the people at the desk, never a decision about the person."""

    id: uuid.UUID
    consultation_id: uuid.UUID
    household_id: uuid.UUID | None
    score: int
    fields_involved: list[str]
    members_with_concerns: int
    patterns: list[str]
    reasons: list[ReasonRead]
    recommendation: str
    rules_version: str
    screened_at: datetime
    advisory: bool = True

    def summary(self) -> ScreeningSummary:
        """The result as it travels in events (no reasons: ids and codes only)."""
        return ScreeningSummary(
            screening_id=self.id, score=self.score, fields_involved=self.fields_involved,
            patterns=self.patterns, recommendation=self.recommendation, rules_version=self.rules_version,
        )
