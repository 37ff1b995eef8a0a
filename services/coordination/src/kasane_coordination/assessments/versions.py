"""Assessment versions (pure): one line of versions per household member, never overwritten."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

HOUSEHOLD = "household"


def subject_key(person_id: UUID | None) -> str:
    """Whose line of versions an assessment belongs to."""
    return str(person_id) if person_id is not None else HOUSEHOLD


def fields_of(need_fields: Iterable[str]) -> list[str]:
    """The fields an assessment touches, once each, sorted (what the event carries)."""
    return sorted(set(need_fields))
