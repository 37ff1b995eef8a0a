"""Referral statuses (FHIR Task-like) and the たらい回し flag: pure logic, no I/O.

    requested --accept--> accepted --complete--> completed
        |  \\--reject (with a reason)--> rejected
        \\-----cancel------> cancelled  <--cancel-- accepted

The agency answering the referral accepts, rejects and completes it; the referring
agency cancels it. A referral that is rejected or forwarded counts as a bounce for the
consultation; more bounces than the profile allows, or a consultation that every agency
it went to rejected, is flagged for the coordination desk.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kasane_shared.contracts.codes import ReferralStatus as S


class Party(StrEnum):
    handler = "handler"  # the agency answering the referral
    referrer = "referrer"  # the agency that made it


TRANSITIONS: dict[S, dict[S, Party]] = {
    S.requested: {S.accepted: Party.handler, S.rejected: Party.handler, S.cancelled: Party.referrer},
    S.accepted: {S.completed: Party.handler, S.cancelled: Party.referrer},
}
OPEN = frozenset({S.requested, S.accepted})
TAKEN = frozenset({S.requested, S.accepted, S.completed})

BOUNCED_TOO_OFTEN = "bounced_too_often"
REJECTED_BY_ALL = "rejected_by_all"


class TransitionError(Exception):
    """Why a status change cannot happen: ``kind`` is ``state`` (not from this status)
    or ``party`` (not by this agency)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def check_transition(current: S, wanted: S, *, parties: set[Party]) -> None:
    """Raise :class:`TransitionError` unless ``parties`` may move ``current`` to ``wanted``."""
    allowed = TRANSITIONS.get(current, {})
    if wanted not in allowed:
        raise TransitionError("state", f"a {current.value} referral cannot become {wanted.value}")
    if allowed[wanted] not in parties:
        raise TransitionError("party", f"only the {allowed[wanted].value} may make it {wanted.value}")


@dataclass(frozen=True)
class Flag:
    flagged: bool
    reason: str | None = None


def bounce_flag(*, rejected: int, taken: int, max_bounces: int) -> Flag:
    """The flag after a rejection: ``rejected`` referrals of the consultation so far
    (this one included), ``taken`` still requested, accepted or completed."""
    if rejected > max_bounces:
        return Flag(True, BOUNCED_TOO_OFTEN)
    if rejected > 0 and taken == 0:
        return Flag(True, REJECTED_BY_ALL)
    return Flag(False)
