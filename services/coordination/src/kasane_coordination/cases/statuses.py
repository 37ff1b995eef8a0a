"""The case status machine (pure): referred → assessing → planning → in support →
monitoring → ended (終結), with light contact (緩やかな見守り) as a resting state and
reopening from ended."""

from __future__ import annotations

from kasane_shared.contracts.codes import CaseStatus, TeamRole

S = CaseStatus

# from -> the statuses a case may move to; anything else is 409
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.referred: frozenset({S.assessing, S.light_contact, S.ended}),
    S.assessing: frozenset({S.planning, S.light_contact, S.ended}),
    S.planning: frozenset({S.assessing, S.in_support, S.light_contact, S.ended}),
    S.in_support: frozenset({S.monitoring, S.planning, S.light_contact, S.ended}),
    S.monitoring: frozenset({S.in_support, S.planning, S.light_contact, S.ended}),
    # a resting state, not an ending: support can pick up again from here
    S.light_contact: frozenset({S.assessing, S.planning, S.in_support, S.ended}),
    # reopening starts again from an assessment
    S.ended: frozenset({S.assessing}),
}

# statuses that need an approved (active) support plan
NEEDS_ACTIVE_PLAN = frozenset({S.in_support, S.monitoring})

OPEN_STATUSES = frozenset(s for s in CaseStatus if s is not S.ended)


class TransitionRefused(Exception):
    """The move is not allowed; ``slug`` names why (problem type), the message says it."""

    def __init__(self, slug: str, message: str) -> None:
        super().__init__(message)
        self.slug = slug


def is_allowed(from_status: CaseStatus, to_status: CaseStatus) -> bool:
    """Whether the table has an edge from ``from_status`` to ``to_status``."""
    return to_status in TRANSITIONS[from_status]


def check_transition(from_status: CaseStatus, to_status: CaseStatus, *, has_active_plan: bool) -> None:
    """Raise :class:`TransitionRefused` unless the case may move from one status to the other."""
    if not is_allowed(from_status, to_status):
        allowed = ", ".join(sorted(TRANSITIONS[from_status]))
        raise TransitionRefused(
            "illegal-transition",
            f"a case cannot move from {from_status} to {to_status} (from {from_status}: {allowed})",
        )
    if to_status in NEEDS_ACTIVE_PLAN and not has_active_plan:
        raise TransitionRefused(
            "no-active-plan",
            f"{to_status} needs a support plan approved by a 重層的支援会議",
        )


def may_change_status(role: TeamRole | None, to_status: CaseStatus, *, case_has_lead: bool) -> bool:
    """Working members (lead, field supporters) move a case; only the lead ends it, when there is one."""
    if role not in (TeamRole.lead, TeamRole.field_supporter):
        return False
    if to_status is S.ended and case_has_lead:
        return role is TeamRole.lead
    return True
