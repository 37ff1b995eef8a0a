"""The pace of participation support (pure): first a place to be, then trials, then work."""

from __future__ import annotations

from kasane_shared.contracts.codes import ParticipationStep

LADDER: tuple[ParticipationStep, ...] = tuple(ParticipationStep)  # gentlest first


def rank(step: ParticipationStep) -> int:
    return LADDER.index(step)


def pace_error(current: ParticipationStep | None, ceiling: ParticipationStep | None) -> str | None:
    """Why the pace cannot be: the person's current step is above the step they agreed to go up to."""
    if current is not None and ceiling is not None and rank(current) > rank(ceiling):
        return f"current_step {current} is beyond max_step {ceiling}"
    return None
