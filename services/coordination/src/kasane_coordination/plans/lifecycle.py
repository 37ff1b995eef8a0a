"""Support plan versions (pure). A version's content never changes; its status moves
draft → proposed (to a 重層的支援会議) → approved or returned, and an approved version goes
under review and is finally revised (superseded by the next approved version). Only an
approved version (approved or under review) is active, one per case."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from enum import StrEnum

from kasane_shared.contracts.codes import CaseStatus


class PlanStatus(StrEnum):
    draft = "draft"
    proposed = "proposed"  # put to a meeting, awaiting its decision
    approved = "approved"  # active
    returned = "returned"  # the meeting sent it back with reasons; a new version follows
    under_review = "under_review"  # still active while it is reviewed (モニタリング・評価)
    revised = "revised"  # replaced by a newer version


class ActionStatus(StrEnum):
    planned = "planned"
    in_progress = "in_progress"
    done = "done"
    stopped = "stopped"


P = PlanStatus

TRANSITIONS: dict[PlanStatus, frozenset[PlanStatus]] = {
    P.draft: frozenset({P.proposed, P.revised}),  # revised: replaced by a newer draft before proposal
    P.proposed: frozenset({P.approved, P.returned}),  # only a meeting decides
    P.approved: frozenset({P.under_review, P.revised}),
    P.under_review: frozenset({P.revised}),
    P.returned: frozenset(),
    P.revised: frozenset(),
}

ACTIVE = frozenset({P.approved, P.under_review})

# a plan is put to a meeting once the case is being planned or supported
PROPOSABLE_CASE_STATUSES = frozenset({
    CaseStatus.planning, CaseStatus.in_support, CaseStatus.monitoring, CaseStatus.light_contact,
})


class PlanRefused(Exception):
    """A plan change that cannot happen now (409)."""

    def __init__(self, slug: str, message: str) -> None:
        super().__init__(message)
        self.slug = slug


def check_transition(from_status: PlanStatus, to_status: PlanStatus) -> None:
    """Raise :class:`PlanRefused` unless a version may move from one status to the other."""
    if to_status not in TRANSITIONS[from_status]:
        raise PlanRefused("illegal-plan-transition", f"a {from_status} plan version cannot become {to_status}")


def check_new_version(existing: Iterable[PlanStatus], case_status: CaseStatus) -> None:
    """A new version is drafted unless the case ended or a version awaits a meeting's decision."""
    if case_status is CaseStatus.ended:
        raise PlanRefused("case-ended", "the case has ended; reopen it first")
    if P.proposed in set(existing):
        raise PlanRefused("plan-before-meeting", "a version awaits a meeting's decision; wait for it first")


def check_proposal(plan_status: PlanStatus, case_status: CaseStatus) -> None:
    """Only a draft is proposed, and only while the case is planned or supported."""
    check_transition(plan_status, P.proposed)
    if case_status not in PROPOSABLE_CASE_STATUSES:
        raise PlanRefused("case-not-planning", f"a case in {case_status} is not ready for a plan; move it to planning")


def review_due(approved_on: date, review_on: date | None, interval_days: int) -> date:
    """When the approved plan is to be reviewed: the plan's own date, else after the interval."""
    return review_on if review_on is not None else approved_on + timedelta(days=interval_days)


def review_overdue(status: PlanStatus, due: date | None, today: date) -> bool:
    """An approved plan whose review date has passed and whose review has not started."""
    return status is P.approved and due is not None and due < today
