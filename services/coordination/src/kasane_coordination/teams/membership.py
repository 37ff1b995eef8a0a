"""Case team rules (pure): invitations, acceptance, leaving and handing the lead (主担当) over.
A case has at most one lead; while it has none, the no-lead flag counts the days."""

from __future__ import annotations

from kasane_shared.contracts.codes import TeamRole


class TeamRefused(Exception):
    """A team change that cannot happen now (409); ``slug`` names the problem type."""

    def __init__(self, slug: str, message: str) -> None:
        super().__init__(message)
        self.slug = slug


def check_invite(*, current_state: str | None, role: TeamRole, case_has_lead: bool) -> None:
    """An agency is invited unless it is on the team or invited already; a lead invitation
    needs a case without a lead (otherwise the lead is handed over)."""
    if current_state in ("active", "invited"):
        raise TeamRefused("already-on-team", f"the agency is {current_state} on this case already")
    if role is TeamRole.lead and case_has_lead:
        raise TeamRefused("lead-exists", "the case has a lead; hand the lead over instead")


def check_accept(*, current_state: str | None, role: TeamRole, case_has_lead: bool) -> None:
    """Only a pending invitation is accepted; a lead invitation lapses once another agency leads."""
    if current_state != "invited":
        raise TeamRefused("no-invitation", "the agency has no pending invitation to this case")
    if role is TeamRole.lead and case_has_lead:
        raise TeamRefused("lead-exists", "another agency took the lead meanwhile; ask to be invited again")


def check_leave(*, role: TeamRole) -> None:
    """The lead hands over before leaving, so a case is never left without one by accident."""
    if role is TeamRole.lead:
        raise TeamRefused("lead-must-hand-over", "hand the lead over before leaving the case")


def check_lead_change(
    *, caller_role: TeamRole | None, current_lead: str | None, target: str, target_state: str | None,
) -> None:
    """The lead hands over; while there is no lead any working member may name one. The new
    lead must be an active member."""
    if current_lead is not None and caller_role is not TeamRole.lead:
        raise TeamRefused("lead-only", "only the current lead hands the lead over")
    if current_lead is None and caller_role not in (TeamRole.lead, TeamRole.field_supporter):
        raise TeamRefused("team-role", "naming a lead needs a working member of the team")
    if target_state != "active":
        raise TeamRefused("not-on-team", "the new lead must be an active member of the case team")
    if target == current_lead:
        raise TeamRefused("already-lead", "the agency is the lead already")
