"""A development project's stages (地域づくりの資源開発): idea → talks → trial → running, or dropped.

Pure rules, unit-tested without servers. A project may move forward by one stage or
skip ahead (an organisation ready to start at once goes from talks to running); a trial
that does not work out may go back to talks; any live project may be dropped, and a
dropped project stays dropped (open a new one when the idea comes back).
"""

from __future__ import annotations

from kasane_shared.contracts.codes import DevelopmentStatus

LADDER: tuple[DevelopmentStatus, ...] = (
    DevelopmentStatus.idea,
    DevelopmentStatus.talks,
    DevelopmentStatus.trial,
    DevelopmentStatus.running,
)
# stages in which a project can have produced something people can go to
PRODUCING = frozenset({DevelopmentStatus.trial, DevelopmentStatus.running})
_BACK = {(DevelopmentStatus.trial, DevelopmentStatus.talks)}


def can_move(current: DevelopmentStatus, to: DevelopmentStatus) -> bool:
    """Whether a project in ``current`` may move to ``to``."""
    if current == DevelopmentStatus.dropped or current == to:
        return False
    if to == DevelopmentStatus.dropped:
        return True
    if (current, to) in _BACK:
        return True
    return LADDER.index(to) > LADDER.index(current)


def allowed_moves(current: DevelopmentStatus) -> list[DevelopmentStatus]:
    """Every stage ``current`` may move to, in ladder order then dropped."""
    return [s for s in (*LADDER, DevelopmentStatus.dropped) if can_move(current, s)]


def can_produce(status: DevelopmentStatus) -> bool:
    """Whether a project in ``status`` may record a place or opportunity it produced."""
    return status in PRODUCING
