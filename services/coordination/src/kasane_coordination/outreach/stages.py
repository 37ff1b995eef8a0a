"""Outreach rules (pure). Relationship stages move at the person's pace, back as well as
forward; an engagement may go on for years without closure. What is watched is silence:
no contact for the profile's number of days makes an engagement overdue, once per silence."""

from __future__ import annotations

from datetime import date

from kasane_shared.contracts.codes import RelationshipStage


def days_without_contact(last_contact_on: date | None, started_on: date, today: date) -> int:
    """Days since the last contact made (or since the engagement began, before any)."""
    return max((today - (last_contact_on or started_on)).days, 0)


def is_overdue(*, status: str, last_contact_on: date | None, started_on: date, today: date, days: int) -> bool:
    """An active engagement silent for ``days`` or more (a paused or closed one is never overdue)."""
    return status == "active" and days_without_contact(last_contact_on, started_on, today) >= days


def needs_overdue_event(*, overdue: bool, notified_on: date | None) -> bool:
    """Report a silence once; a contact clears the mark, so the next silence is reported again."""
    return overdue and notified_on is None


def stage_after(current: RelationshipStage, reported: RelationshipStage | None) -> RelationshipStage:
    """The stage a contact leaves the relationship in: what the worker reported, else unchanged
    (any move is allowed, including back)."""
    return reported if reported is not None else current


def later(current: date | None, new: date) -> date:
    """The most recent contact date (a contact logged late does not move the clock back)."""
    return new if current is None or new > current else current
