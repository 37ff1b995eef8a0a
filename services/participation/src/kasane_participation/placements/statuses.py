"""Placement lifecycle and 定着支援 (settling-in support) schedule: pure rules, no I/O.

active <-> paused, active|paused -> ended (with an outcome). Pausing keeps the person's
place; ending gives it back. After the end, the request moves on by the outcome:

* continuing: the person goes on there without support; the request closes;
* moved_to_next_step: the step reached becomes the current step and the request opens
  again, so matching offers the step after it;
* ended_by_person / ended_by_host: the request opens again at the same step.
"""

from __future__ import annotations

from datetime import date, timedelta

from kasane_shared.contracts.codes import PlacementOutcome

from kasane_participation.matching.matching import LADDER

ACTIONS: dict[str, tuple[frozenset[str], str]] = {
    "pause": (frozenset({"active"}), "paused"),
    "resume": (frozenset({"paused"}), "active"),
    "end": (frozenset({"active", "paused"}), "ended"),
}


class InvalidTransition(ValueError):
    pass


def next_status(current: str, action: str) -> str:
    """The status after ``action``; raises :class:`InvalidTransition` when it does not apply."""
    allowed_from, to = ACTIONS[action]
    if current not in allowed_from:
        raise InvalidTransition(f"a placement that is {current} cannot {action}")
    return to


def follow_up_dates(started_on: date, days: list[int]) -> list[date]:
    """When the scheduled follow-ups fall, in order, without repeats."""
    return sorted({started_on + timedelta(days=d) for d in days if d >= 0})


def request_after_end(outcome: PlacementOutcome, kind: str,
                      current_step: str | None) -> tuple[str, str | None, str | None]:
    """(request status, its current step, close reason) once a placement ends."""
    if outcome is PlacementOutcome.continuing:
        return "closed", current_step, "placement_continuing"
    if outcome is PlacementOutcome.moved_to_next_step and kind in LADDER:
        reached = kind
        if current_step in LADDER and LADDER.index(current_step) > LADDER.index(kind):
            reached = current_step  # never lower the step the person had already reached
        return "open", reached, None
    return "open", current_step, None
