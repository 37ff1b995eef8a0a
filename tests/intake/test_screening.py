"""The household screening, as pure logic: each named pattern, the score, the
recommendation, and the profile's rules (no servers)."""

from __future__ import annotations

from datetime import date

import pytest
from kasane_intake.rules import ReferralRules, ScreeningRules, intake_rules
from kasane_intake.screening.screening import HouseholdFacts, MemberFacts, age_on, fields_of, screen
from kasane_shared.profile import load_profile
from pydantic import ValidationError

from tests.support.stack import PROFILE

RULES = intake_rules(load_profile(PROFILE)).screening


def m(key: str, age: int | None, relationship: str = "other", *concerns: str, **kw) -> MemberFacts:
    return MemberFacts(key=key, age=age, relationship=relationship, concerns=frozenset(concerns), **kw)


def facts(*members: MemberFacts, concerns: tuple[str, ...] = (), agencies: tuple[str, ...] = ("a",)) -> HouseholdFacts:
    every = set(concerns).union(*(x.concerns for x in members)) if members else set(concerns)
    return HouseholdFacts(members=members, concerns=frozenset(every), agencies=frozenset(agencies))


def test_the_sample_profile_carries_versioned_rules() -> None:
    assert RULES.version == "2026.11-1"
    assert RULES.elder_age == 75 and (RULES.middle_age_min, RULES.middle_age_max) == (40, 64)
    referrals = intake_rules(load_profile(PROFILE)).referrals
    assert referrals.collaboration_desk == "sk-jusou-suishin" and referrals.max_bounces == 2


def test_rules_without_a_pattern_weight_or_with_inverted_ages_are_refused() -> None:
    data = RULES.model_dump(mode="json")
    del data["pattern_weights"]["young_carer"]
    with pytest.raises(ValidationError, match="young_carer"):
        ScreeningRules.model_validate(data)
    data = RULES.model_dump(mode="json")
    data["middle_age_min"] = 70
    with pytest.raises(ValidationError, match="middle_age_min"):
        ScreeningRules.model_validate(data)
    with pytest.raises(ValidationError):
        ReferralRules.model_validate({"version": "x", "max_bounces": -1, "collaboration_desk": "a",
                                      "outreach_desk": "a"})


def test_8050_parent_and_withdrawn_child_living_together() -> None:
    result = screen(facts(m("mother", 82, "head", "elderly_care"),
                          m("son", 52, "child", "withdrawal", withdrawn_years=10)), RULES)
    assert result.patterns == ["8050"]
    # fields elderly + other: 2 x 1; two members with concerns: 1 x 1; 8050: 4
    assert result.score == 2 + 1 + 4
    assert result.recommendation == "refer_to_collaboration"
    assert result.rules_version == "2026.11-1"
    assert any("8050" in r.text_ja for r in result.reasons)


def test_8050_also_with_the_son_as_head_and_out_of_work() -> None:
    result = screen(facts(m("son", 45, "head", "employment"), m("father", 79, "parent")), RULES)
    assert "8050" in result.patterns


@pytest.mark.parametrize("variant", ["apart", "too_young_parent", "child_working", "not_parent_and_child"])
def test_8050_needs_every_condition(variant: str) -> None:
    mother = m("mother", 82, "head", "elderly_care")
    son = m("son", 52, "child", "withdrawal")
    if variant == "apart":
        son = MemberFacts(key="son", age=52, relationship="child", concerns=frozenset({"withdrawal"}),
                          lives_together=False)
    elif variant == "too_young_parent":
        mother = m("mother", 70, "head", "elderly_care")
    elif variant == "child_working":
        son = m("son", 52, "child", "health")
    else:
        son = m("brother", 52, "sibling", "withdrawal")
    assert "8050" not in screen(facts(mother, son), RULES).patterns


def test_8050_without_relationships_uses_a_plausible_age_gap() -> None:
    assert "8050" in screen(facts(m("a", 80), m("b", 50, "other", "withdrawal")), RULES).patterns
    assert "8050" not in screen(facts(m("a", 80), m("b", 75, "other", "withdrawal")), RULES).patterns


def test_double_care_a_carer_between_a_young_child_and_an_elder() -> None:
    result = screen(facts(m("mum", 42, "head", "child_rearing"), m("kid", 3, "child"),
                          m("grandma", 80, "parent", "dementia")), RULES)
    assert "double_care" in result.patterns
    assert "double_care" not in screen(facts(m("kid", 3, "child"), m("grandma", 80, "parent", "dementia")),
                                       RULES).patterns


def test_double_care_when_one_member_reports_both_burdens() -> None:
    assert screen(facts(m("mum", 40, "head", "caregiving_burden", "child_rearing")), RULES).patterns == ["double_care"]


def test_young_carer_reported_or_inferred() -> None:
    assert "young_carer" in screen(facts(m("girl", 15, "child", "young_carer")), RULES).patterns
    # the school's journey: a child out of school, a baby, a mother who struggles
    school = facts(m("boy", 10, "child", "school_non_attendance"), m("baby", 0, "child"),
                   m("mum", 36, "head", "mental_health"))
    result = screen(school, RULES)
    assert "young_carer" in result.patterns
    assert result.recommendation == "refer_to_collaboration"
    # out of school, but nobody at home needs care
    assert "young_carer" not in screen(facts(m("boy", 10, "child", "school_non_attendance"),
                                             m("mum", 36, "head")), RULES).patterns


def test_long_term_withdrawal_with_no_contact_recommends_outreach() -> None:
    result = screen(facts(m("man", 33, "child", "withdrawal", withdrawn_years=15, no_outside_contact=True),
                          m("mother", 60, "head")), RULES)
    assert result.patterns == ["long_term_withdrawal"]
    assert result.score == 3
    assert result.recommendation == "request_outreach"
    short = screen(facts(m("man", 33, "child", "withdrawal", withdrawn_years=1, no_outside_contact=True)), RULES)
    assert short.patterns == [] and short.recommendation == "handle_at_desk"
    in_contact = screen(facts(m("man", 33, "child", "withdrawal", withdrawn_years=15)), RULES)
    assert in_contact.patterns == []


def test_suspected_abuse_alone_reaches_referral() -> None:
    result = screen(facts(concerns=("abuse_dv",)), RULES)
    assert result.patterns == ["suspected_abuse"]
    assert result.score == 5 and result.recommendation == "refer_to_collaboration"


def test_known_to_three_agencies() -> None:
    result = screen(facts(m("a", 40, "head", "poverty"), agencies=("x", "y", "z")), RULES)
    assert result.patterns == ["known_to_many_agencies"]
    assert screen(facts(m("a", 40, "head", "poverty"), agencies=("x", "y")), RULES).patterns == []


def test_fields_and_members_count_and_unknown_codes_do_not() -> None:
    result = screen(facts(m("a", 40, "head", "poverty", "debt", "made_up_code"), m("b", 12, "child", "disability"),
                          concerns=("housing",)), RULES)
    assert result.fields_involved == ["disability", "poverty"]
    assert result.members_with_concerns == 2
    assert result.score == 2 * 1 + 1 * 1
    assert result.recommendation == "handle_at_desk"
    assert fields_of(["made_up_code"]) == []


def test_an_empty_consultation_is_screened_too() -> None:
    result = screen(HouseholdFacts(), RULES)
    assert (result.score, result.patterns, result.recommendation) == (0, [], "handle_at_desk")


def test_ages_from_birth_dates_and_estimates() -> None:
    on = date(2026, 11, 2)
    assert age_on(date(1944, 11, 3), None, None, on) == 81
    assert age_on(date(1944, 11, 2), None, None, on) == 82
    assert age_on(None, 50, date(2023, 11, 2), on) == 53
    assert age_on(None, None, None, on) is None
