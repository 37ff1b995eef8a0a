"""Meeting rules (pure): who sees a meeting's material, and which decisions a meeting may take.

A 重層的支援会議 handles only cases whose consent covers its members, and it alone approves
or returns support plans. A 支援会議 (Art. 106-6) may discuss people who have not consented;
each member's staff acknowledge the confidentiality duty before seeing anything of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from kasane_shared.contracts.codes import MeetingDecision, MeetingKind


class MaterialAccess(StrEnum):
    allowed = "allowed"
    not_member = "not_member"
    not_acknowledged = "not_acknowledged"


def material_access(kind: MeetingKind, *, member: bool, acknowledged: bool) -> MaterialAccess:
    """Members see a meeting's material; at a 支援会議 only once they acknowledged confidentiality."""
    if not member:
        return MaterialAccess.not_member
    if kind is MeetingKind.shien_kaigi and not acknowledged:
        return MaterialAccess.not_acknowledged
    return MaterialAccess.allowed


@dataclass(frozen=True)
class Decision:
    case_id: UUID
    decision: MeetingDecision
    plan_id: UUID | None = None
    reason_code: str | None = None
    outcome_code: str | None = None


PLAN_DECISIONS = frozenset({MeetingDecision.approve_plan, MeetingDecision.return_plan})


def decision_errors(
    kind: MeetingKind, decisions: Sequence[Decision], proposed: Mapping[UUID, frozenset[UUID]],
) -> list[tuple[str, str]]:
    """(field, problem) for each decision the meeting cannot take. ``proposed`` maps each case on
    the agenda to the plan versions proposed to this meeting for it."""
    errors: list[tuple[str, str]] = []
    seen: set[UUID] = set()
    for i, d in enumerate(decisions):
        at = f"decisions.{i}"
        if d.case_id not in proposed:
            errors.append((f"{at}.case_id", "the case is not on this meeting's agenda"))
            continue
        if d.case_id in seen:
            errors.append((f"{at}.case_id", "one decision per case"))
        seen.add(d.case_id)
        if d.decision in PLAN_DECISIONS:
            if kind is not MeetingKind.jusou_shien_kaigi:
                errors.append((f"{at}.decision", "only a 重層的支援会議 approves or returns a support plan"))
            elif d.plan_id is None or d.plan_id not in proposed[d.case_id]:
                errors.append((f"{at}.plan_id", "not a plan version proposed to this meeting for this case"))
        elif d.plan_id is not None:
            errors.append((f"{at}.plan_id", "only plan decisions name a plan"))
        if d.decision is MeetingDecision.return_plan and d.reason_code is None:
            errors.append((f"{at}.reason_code", "a returned plan needs a reason"))
        if d.decision is MeetingDecision.end_case and d.outcome_code is None:
            errors.append((f"{at}.outcome_code", "ending a case needs an outcome"))
    return errors
