"""Pure rules of coordination, no servers: the status machine, plan versions, the team,
consent, meeting decisions, outreach silence, the between-agencies flags, the profile section."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from uuid import uuid4

import pytest
from kasane_coordination.assessments.versions import HOUSEHOLD, fields_of, subject_key
from kasane_coordination.cases.statuses import (
    TRANSITIONS,
    TransitionRefused,
    check_transition,
    is_allowed,
    may_change_status,
)
from kasane_coordination.consent.sharing import ConsentFact, any_active, covers
from kasane_coordination.flags.detect import CaseFacts, FlagCode, case_flags, unassigned_bounces
from kasane_coordination.meetings.decisions import Decision, MaterialAccess, decision_errors, material_access
from kasane_coordination.outreach.stages import (
    days_without_contact,
    is_overdue,
    later,
    needs_overdue_event,
    stage_after,
)
from kasane_coordination.participation.pace import pace_error
from kasane_coordination.plans.lifecycle import (
    PlanRefused,
    PlanStatus,
    check_new_version,
    check_proposal,
    review_due,
    review_overdue,
)
from kasane_coordination.plans.lifecycle import check_transition as check_plan
from kasane_coordination.rules import CoordinationRules, rules_for
from kasane_coordination.teams.membership import (
    TeamRefused,
    check_accept,
    check_invite,
    check_lead_change,
    check_leave,
)
from kasane_shared.contracts.codes import (
    CaseStatus,
    ConsentScope,
    MeetingDecision,
    MeetingKind,
    ParticipationStep,
    RelationshipStage,
    TeamRole,
)
from kasane_shared.profile import load_profile
from pydantic import ValidationError

from tests.support.stack import PROFILE

S = CaseStatus
LEGAL = {
    (S.referred, S.assessing), (S.referred, S.light_contact), (S.referred, S.ended),
    (S.assessing, S.planning), (S.assessing, S.light_contact), (S.assessing, S.ended),
    (S.planning, S.assessing), (S.planning, S.in_support), (S.planning, S.light_contact), (S.planning, S.ended),
    (S.in_support, S.monitoring), (S.in_support, S.planning), (S.in_support, S.light_contact),
    (S.in_support, S.ended),
    (S.monitoring, S.in_support), (S.monitoring, S.planning), (S.monitoring, S.light_contact),
    (S.monitoring, S.ended),
    (S.light_contact, S.assessing), (S.light_contact, S.planning), (S.light_contact, S.in_support),
    (S.light_contact, S.ended),
    (S.ended, S.assessing),
}
RULES = CoordinationRules(version="t", no_lead_days=14, no_contact_days=30, outreach_overdue_days=30)


# --- case status machine ---

@pytest.mark.parametrize(("a", "b"), list(itertools.product(CaseStatus, CaseStatus)), ids=lambda s: s.value)
def test_the_table_allows_exactly_the_documented_moves(a: CaseStatus, b: CaseStatus) -> None:
    assert is_allowed(a, b) == ((a, b) in LEGAL)
    if (a, b) not in LEGAL:
        with pytest.raises(TransitionRefused) as exc:
            check_transition(a, b, has_active_plan=True)
        assert exc.value.slug == "illegal-transition"


def test_every_status_has_a_way_on_and_ended_only_reopens() -> None:
    assert all(TRANSITIONS[s] for s in CaseStatus)
    assert TRANSITIONS[S.ended] == {S.assessing}
    assert S.ended in TRANSITIONS[S.light_contact]  # a resting state, not a dead end


@pytest.mark.parametrize("frm", [S.planning, S.light_contact, S.monitoring])
def test_support_needs_an_approved_plan(frm: CaseStatus) -> None:
    with pytest.raises(TransitionRefused) as exc:
        check_transition(frm, S.in_support, has_active_plan=False)
    assert exc.value.slug == "no-active-plan"
    check_transition(frm, S.in_support, has_active_plan=True)


def test_who_may_move_a_case() -> None:
    assert may_change_status(TeamRole.field_supporter, S.assessing, case_has_lead=True)
    assert not may_change_status(TeamRole.information_only, S.assessing, case_has_lead=False)
    assert not may_change_status(None, S.assessing, case_has_lead=False)
    assert not may_change_status(TeamRole.field_supporter, S.ended, case_has_lead=True)
    assert may_change_status(TeamRole.field_supporter, S.ended, case_has_lead=False)
    assert may_change_status(TeamRole.lead, S.ended, case_has_lead=True)


# --- plan versions ---

def test_plan_versions_move_forward_only_through_their_table() -> None:
    P = PlanStatus
    check_plan(P.draft, P.proposed)
    check_plan(P.proposed, P.approved)
    check_plan(P.proposed, P.returned)
    check_plan(P.approved, P.under_review)
    check_plan(P.under_review, P.revised)
    for frm, to in [(P.draft, P.approved), (P.returned, P.approved), (P.revised, P.approved),
                    (P.approved, P.proposed), (P.under_review, P.approved), (P.approved, P.approved)]:
        with pytest.raises(PlanRefused):
            check_plan(frm, to)


def test_a_new_version_waits_for_the_meeting_and_for_an_open_case() -> None:
    check_new_version([PlanStatus.approved, PlanStatus.draft], S.in_support)
    with pytest.raises(PlanRefused) as exc:
        check_new_version([PlanStatus.proposed], S.planning)
    assert exc.value.slug == "plan-before-meeting"
    with pytest.raises(PlanRefused):
        check_new_version([], S.ended)


def test_only_a_draft_of_a_case_in_planning_or_support_is_proposed() -> None:
    check_proposal(PlanStatus.draft, S.planning)
    with pytest.raises(PlanRefused):
        check_proposal(PlanStatus.draft, S.assessing)
    with pytest.raises(PlanRefused):
        check_proposal(PlanStatus.returned, S.planning)


def test_review_dates() -> None:
    approved = date(2026, 4, 1)
    assert review_due(approved, None, 90) == date(2026, 6, 30)
    assert review_due(approved, date(2026, 5, 1), 90) == date(2026, 5, 1)
    assert review_overdue(PlanStatus.approved, date(2026, 5, 1), date(2026, 5, 2))
    assert not review_overdue(PlanStatus.approved, date(2026, 5, 1), date(2026, 5, 1))
    assert not review_overdue(PlanStatus.under_review, date(2026, 5, 1), date(2026, 6, 1))


# --- team ---

def test_team_rules() -> None:
    check_invite(current_state=None, role=TeamRole.lead, case_has_lead=False)
    check_invite(current_state="left", role=TeamRole.field_supporter, case_has_lead=True)
    for state in ("active", "invited"):
        with pytest.raises(TeamRefused):
            check_invite(current_state=state, role=TeamRole.field_supporter, case_has_lead=False)
    with pytest.raises(TeamRefused):
        check_invite(current_state=None, role=TeamRole.lead, case_has_lead=True)
    with pytest.raises(TeamRefused):
        check_accept(current_state=None, role=TeamRole.field_supporter, case_has_lead=False)
    with pytest.raises(TeamRefused):
        check_accept(current_state="invited", role=TeamRole.lead, case_has_lead=True)
    with pytest.raises(TeamRefused):
        check_leave(role=TeamRole.lead)
    check_leave(role=TeamRole.information_only)
    check_lead_change(caller_role=TeamRole.field_supporter, current_lead=None, target="a", target_state="active")
    with pytest.raises(TeamRefused) as exc:
        check_lead_change(caller_role=TeamRole.field_supporter, current_lead="b", target="a", target_state="active")
    assert exc.value.slug == "lead-only"
    with pytest.raises(TeamRefused):
        check_lead_change(caller_role=TeamRole.lead, current_lead="b", target="a", target_state="invited")
    with pytest.raises(TeamRefused):
        check_lead_change(caller_role=TeamRole.information_only, current_lead=None, target="a",
                          target_state="active")


# --- consent ---

def test_consent_covers_by_scope_and_time() -> None:
    today = date(2026, 11, 1)
    collab = ConsentFact(ConsentScope.collaboration, frozenset(), date(2026, 10, 1))
    named = ConsentFact(ConsentScope.named_agencies, frozenset({"a", "b"}), date(2026, 10, 1))
    assert covers([collab], ["x", "y"], today)
    assert covers([named], ["a", "b"], today)
    assert not covers([named], ["a", "c"], today)
    assert not covers([], ["a"], today)
    withdrawn = ConsentFact(ConsentScope.collaboration, frozenset(), date(2026, 10, 1), withdrawn_on=today)
    expired = ConsentFact(ConsentScope.collaboration, frozenset(), date(2026, 10, 1),
                          expires_on=today - timedelta(days=1))
    future = ConsentFact(ConsentScope.collaboration, frozenset(), today + timedelta(days=1))
    for fact in (withdrawn, expired, future):
        assert not covers([fact], ["a"], today)
        assert not any_active([fact], today)
    assert any_active([named], today)


# --- meetings ---

def test_material_needs_membership_and_at_a_shien_kaigi_the_acknowledgement() -> None:
    assert material_access(MeetingKind.shien_kaigi, member=False, acknowledged=False) is MaterialAccess.not_member
    assert (material_access(MeetingKind.shien_kaigi, member=True, acknowledged=False)
            is MaterialAccess.not_acknowledged)
    assert material_access(MeetingKind.shien_kaigi, member=True, acknowledged=True) is MaterialAccess.allowed
    assert (material_access(MeetingKind.jusou_shien_kaigi, member=True, acknowledged=False)
            is MaterialAccess.allowed)
    assert (material_access(MeetingKind.jusou_shien_kaigi, member=False, acknowledged=True)
            is MaterialAccess.not_member)


def test_meeting_decisions_are_checked() -> None:
    case, other, plan = uuid4(), uuid4(), uuid4()
    agenda = {case: frozenset({plan})}
    ok = [Decision(case, MeetingDecision.approve_plan, plan_id=plan)]
    assert decision_errors(MeetingKind.jusou_shien_kaigi, ok, agenda) == []
    fields = [f for f, _ in decision_errors(MeetingKind.shien_kaigi, ok, agenda)]
    assert fields == ["decisions.0.decision"]  # a 支援会議 never approves a plan
    bad = [
        Decision(other, MeetingDecision.continue_case),
        Decision(case, MeetingDecision.approve_plan, plan_id=uuid4()),
        Decision(case, MeetingDecision.return_plan, plan_id=plan),
        Decision(case, MeetingDecision.end_case),
    ]
    fields = [f for f, _ in decision_errors(MeetingKind.jusou_shien_kaigi, bad, agenda)]
    assert fields == ["decisions.0.case_id", "decisions.1.plan_id", "decisions.2.case_id",
                      "decisions.2.reason_code", "decisions.3.case_id", "decisions.3.outcome_code"]


# --- outreach ---

def test_outreach_silence() -> None:
    start, today = date(2026, 1, 1), date(2026, 3, 1)
    assert days_without_contact(None, start, today) == 59
    assert days_without_contact(date(2026, 2, 20), start, today) == 9
    assert is_overdue(status="active", last_contact_on=None, started_on=start, today=today, days=30)
    assert not is_overdue(status="paused", last_contact_on=None, started_on=start, today=today, days=30)
    assert not is_overdue(status="active", last_contact_on=date(2026, 2, 20), started_on=start, today=today,
                          days=30)
    assert needs_overdue_event(overdue=True, notified_on=None)
    assert not needs_overdue_event(overdue=True, notified_on=today)
    # stages move at the person's pace, back as well
    assert stage_after(RelationshipStage.building_relationship, RelationshipStage.contact_made) \
        is RelationshipStage.contact_made
    assert stage_after(RelationshipStage.contact_made, None) is RelationshipStage.contact_made
    assert later(date(2026, 2, 1), date(2026, 1, 1)) == date(2026, 2, 1)


# --- flags ---

def test_flags_of_an_open_case() -> None:
    today = date(2026, 6, 1)
    case, plan, referral = uuid4(), uuid4(), uuid4()
    facts = CaseFacts(case_id=case, status=S.in_support, opened_on=today - timedelta(days=20), has_lead=False,
                      last_activity_on=today - timedelta(days=31), plan_id=plan, plan_status=PlanStatus.approved,
                      review_due=today - timedelta(days=1), bounced_referrals=(referral,))
    flags = {(f.code, f.ref_id) for f in case_flags(facts, today, RULES)}
    assert flags == {(FlagCode.no_lead, None), (FlagCode.review_overdue, plan), (FlagCode.no_contact, None),
                     (FlagCode.referral_bounced, referral)}
    calm = CaseFacts(case_id=case, status=S.in_support, opened_on=today - timedelta(days=13), has_lead=False,
                     last_activity_on=today - timedelta(days=29))
    assert case_flags(calm, today, RULES) == []
    assert case_flags(CaseFacts(case_id=case, status=S.ended, opened_on=date(2020, 1, 1), has_lead=False),
                      today, RULES) == []


def test_bounces_no_case_holds_go_to_the_desk() -> None:
    held, loose, household = uuid4(), uuid4(), uuid4()
    flags = unassigned_bounces([(held, None, 3), (loose, household, 4)], {held})
    assert [(f.ref_id, f.case_id, f.household_id) for f in flags] == [(loose, None, household)]


# --- assessments, pace ---

def test_assessment_lines_and_fields() -> None:
    person = uuid4()
    assert subject_key(None) == HOUSEHOLD and subject_key(person) == str(person)
    assert fields_of(["poverty", "elderly", "poverty"]) == ["elderly", "poverty"]


def test_pace() -> None:
    assert pace_error(ParticipationStep.place_to_be, ParticipationStep.employment_trial) is None
    assert pace_error(ParticipationStep.employment, ParticipationStep.place_to_be) is not None
    assert pace_error(None, ParticipationStep.place_to_be) is None


# --- the profile section ---

def test_the_sample_profile_section_validates() -> None:
    rules = rules_for(load_profile(PROFILE))
    assert rules.collaboration_desk == "sk-jusou-suishin"
    assert (rules.no_lead_days, rules.no_contact_days, rules.outreach_overdue_days) == (14, 30, 30)
    assert rules.plan_review_days == 90


def test_a_broken_section_is_refused() -> None:
    profile = load_profile(PROFILE)
    broken = profile.model_copy(update={"rules": {**profile.rules, "coordination": {
        **profile.rules["coordination"], "collaboration_desk": "no-such-agency"}}})
    with pytest.raises(ValueError, match="no-such-agency"):
        rules_for(broken)
    with pytest.raises(ValidationError):
        CoordinationRules(version="x", no_lead_days=0)
    with pytest.raises(ValidationError):  # the zone is the municipality's, not a coordination rule
        CoordinationRules(version="x", timezone="Asia/Tokyo")
    elsewhere = profile.model_copy(update={"municipality": profile.municipality.model_copy(
        update={"timezone": "Pacific/Honolulu"})})
    assert rules_for(elsewhere).timezone == "Pacific/Honolulu"
