"""Household screening (世帯全体のスクリーニング): pure logic, no I/O.

Every consultation is screened on the whole household: how many fields (elderly,
disability, children, poverty, other) its concerns span, how many members have
concerns, and the named patterns of DOMAIN.md (8050, double care, young carer, long-term
withdrawal with no contact, suspected abuse, known to many agencies). The result is a
score, the patterns, reasons in plain words (Japanese and English) and a
recommendation. It is advice to the people at the desk, never a decision about a person.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from kasane_shared.contracts.codes import CONCERN_LABELS, Concern, Recommendation, ScreeningPattern

from kasane_intake.rules import ScreeningRules

# 世帯主との続柄 -> generation relative to the head (children are +1, parents -1)
GENERATION: dict[str, int] = {
    "head": 0, "spouse": 0, "sibling": 0, "child": 1, "child_in_law": 1, "grandchild": 2,
    "parent": -1, "parent_in_law": -1, "grandparent": -2,
}
# Concerns that mean a member needs care from others in the household.
CARE_NEEDS = frozenset({Concern.elderly_care, Concern.dementia, Concern.disability, Concern.mental_health})
ELDER_CARE = frozenset({Concern.elderly_care, Concern.dementia})
OUT_OF_WORK = frozenset({Concern.withdrawal, Concern.employment})
# A parent-child pair when relationships do not tell: a plausible gap in age.
PARENT_CHILD_AGE_GAP = (16, 50)
KNOWN_CONCERNS = frozenset(c.value for c in Concern)

FIELD_NAMES = {
    "elderly": ("高齢", "elderly care"),
    "disability": ("障害", "disability"),
    "children": ("子ども・子育て", "children"),
    "poverty": ("生活困窮", "poverty"),
    "other": ("その他", "other"),
}


@dataclass(frozen=True)
class MemberFacts:
    """What screening knows about one household member (one identity after merges)."""

    key: str  # the person id; only used to tell members apart
    age: int | None = None
    relationship: str = "other"
    lives_together: bool = True
    concerns: frozenset[str] = frozenset()
    withdrawn_years: int | None = None
    no_outside_contact: bool = False

    @property
    def generation(self) -> int | None:
        return GENERATION.get(self.relationship)


@dataclass(frozen=True)
class HouseholdFacts:
    """The household as screening sees it: its members, every concern reported on it
    within the look-back window, and how many agencies know it."""

    members: Sequence[MemberFacts] = ()
    concerns: frozenset[str] = frozenset()  # consultation-level and member-level codes
    agencies: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Reason:
    code: str
    text_ja: str
    text_en: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "text_ja": self.text_ja, "text_en": self.text_en}


@dataclass(frozen=True)
class ScreeningResult:
    score: int
    fields_involved: list[str]
    members_with_concerns: int
    patterns: list[str]
    reasons: list[Reason]
    recommendation: str
    rules_version: str
    contributions: dict[str, int] = field(default_factory=dict)


def age_on(birth_date: date | None, estimate: int | None, estimated_on: date | None, on: date) -> int | None:
    """A person's age on ``on``: exact from the birth date, else the estimate aged since it was made."""
    if birth_date is not None:
        return max(on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day)), 0)
    if estimate is not None:
        since = estimated_on or on
        years = on.year - since.year - ((on.month, on.day) < (since.month, since.day))
        return estimate + max(years, 0)
    return None


def fields_of(concerns: Iterable[str]) -> list[str]:
    """The distinct fields (elderly, disability, children, poverty, other) of known concern codes."""
    found = set()
    for code in concerns:
        if code in KNOWN_CONCERNS:
            found.add(CONCERN_LABELS[Concern(code)][2])
    return [f for f in FIELD_NAMES if f in found]


def _parent_and_child(elder: MemberFacts, child: MemberFacts) -> bool:
    if elder.generation is not None and child.generation is not None:
        return child.generation - elder.generation == 1
    if elder.age is None or child.age is None:
        return False
    low, high = PARENT_CHILD_AGE_GAP
    return low <= elder.age - child.age <= high


def _together(members: Sequence[MemberFacts]) -> list[MemberFacts]:
    return [m for m in members if m.lives_together]


def match_8050(facts: HouseholdFacts, rules: ScreeningRules) -> Reason | None:
    """A parent 75+ and a child 40-64 living together, the child withdrawn or out of work."""
    together = _together(facts.members)
    for elder in together:
        if elder.age is None or elder.age < rules.elder_age:
            continue
        for child in together:
            if child is elder or child.age is None:
                continue
            if not rules.middle_age_min <= child.age <= rules.middle_age_max:
                continue
            withdrawn = bool(child.concerns & OUT_OF_WORK) or bool(child.withdrawn_years)
            if withdrawn and _parent_and_child(elder, child):
                return Reason(
                    ScreeningPattern.pattern_8050,
                    f"{rules.elder_age}歳以上の親と、ひきこもり・無職の{rules.middle_age_min}〜"
                    f"{rules.middle_age_max}歳の子が同居しています（8050問題）。",
                    f"A parent aged {rules.elder_age}+ lives with a child aged {rules.middle_age_min}-"
                    f"{rules.middle_age_max} who is withdrawn or out of work (the 8050 problem).",
                )
    return None


def match_double_care(facts: HouseholdFacts, rules: ScreeningRules) -> Reason | None:
    """Someone caring for a young child and an elder at once (ダブルケア)."""
    text = Reason(
        ScreeningPattern.double_care,
        "子育てと介護を同時に担っている世帯員がいます（ダブルケア）。",
        "Someone in the household is caring for a young child and an elder at once (double care).",
    )
    if any({Concern.caregiving_burden, Concern.child_rearing} <= m.concerns for m in facts.members):
        return text
    together = _together(facts.members)
    children = [m for m in together if m.age is not None and m.age <= rules.double_care_child_age_max]
    elders = [m for m in together
              if (m.age is not None and m.age >= rules.elder_age) or m.concerns & ELDER_CARE]
    for child in children:
        for elder in elders:
            if elder is child:
                continue
            carers = [m for m in together if m is not child and m is not elder
                      and (m.age is None or rules.adult_age <= m.age < rules.elder_age)]
            if carers:
                return text
    return None


def match_young_carer(facts: HouseholdFacts, rules: ScreeningRules) -> Reason | None:
    """A child who looks after family: reported as such, or not at school while living
    with someone who needs care."""
    if any(Concern.young_carer in m.concerns for m in facts.members) or Concern.young_carer in facts.concerns:
        return Reason(ScreeningPattern.young_carer, "ヤングケアラーとして相談されています。",
                      "A member was reported as a young carer.")
    together = _together(facts.members)
    for child in together:
        if child.age is None or child.age >= rules.adult_age:
            continue
        if not child.concerns & {Concern.school_non_attendance, Concern.caregiving_burden}:
            continue
        if any(m is not child and m.concerns & CARE_NEEDS for m in together):
            return Reason(
                ScreeningPattern.young_carer,
                f"{rules.adult_age}歳未満の子が学校に行けておらず、ケアの必要な家族と同居しています"
                "（ヤングケアラーの可能性）。",
                f"A child under {rules.adult_age} is out of school and lives with a family member who "
                "needs care (possibly a young carer).",
            )
    return None


def match_long_term_withdrawal(facts: HouseholdFacts, rules: ScreeningRules) -> Reason | None:
    """Withdrawn for years with no contact outside the home."""
    for m in facts.members:
        withdrawn = Concern.withdrawal in m.concerns or m.withdrawn_years is not None
        if (withdrawn and m.no_outside_contact and m.withdrawn_years is not None
                and m.withdrawn_years >= rules.long_term_withdrawal_years):
            return Reason(
                ScreeningPattern.long_term_withdrawal,
                f"{rules.long_term_withdrawal_years}年以上ひきこもり、外部との接触がない世帯員がいます。",
                f"A member has been withdrawn for {rules.long_term_withdrawal_years}+ years with no "
                "contact outside the home.",
            )
    return None


def match_suspected_abuse(facts: HouseholdFacts, rules: ScreeningRules) -> Reason | None:
    if Concern.abuse_dv in facts.concerns or any(Concern.abuse_dv in m.concerns for m in facts.members):
        return Reason(ScreeningPattern.suspected_abuse, "虐待・DVが疑われます。",
                      "Abuse or domestic violence is suspected.")
    return None


def match_known_to_many(facts: HouseholdFacts, rules: ScreeningRules) -> Reason | None:
    if len(facts.agencies) >= rules.many_agencies:
        n = len(facts.agencies)
        return Reason(ScreeningPattern.known_to_many_agencies,
                      f"すでに{n}つの機関がこの世帯に関わっています。",
                      f"{n} agencies already know this household.")
    return None


MATCHERS = (match_8050, match_double_care, match_young_carer, match_long_term_withdrawal,
            match_suspected_abuse, match_known_to_many)


def screen(facts: HouseholdFacts, rules: ScreeningRules) -> ScreeningResult:
    """Score the household and recommend what people might do next."""
    member_concerns = set().union(*(m.concerns for m in facts.members)) if facts.members else set()
    fields = fields_of(set(facts.concerns) | member_concerns)
    with_concerns = sum(1 for m in facts.members if m.concerns & KNOWN_CONCERNS)
    reasons: list[Reason] = []
    contributions: dict[str, int] = {}
    if len(fields) > 1:
        contributions["fields"] = rules.field_weight * (len(fields) - 1)
        ja = "・".join(FIELD_NAMES[f][0] for f in fields)
        en = ", ".join(FIELD_NAMES[f][1] for f in fields)
        reasons.append(Reason("fields", f"相談が{len(fields)}つの分野にまたがっています（{ja}）。",
                              f"The concerns span {len(fields)} fields ({en})."))
    if with_concerns > 1:
        contributions["members"] = rules.member_weight * (with_concerns - 1)
        reasons.append(Reason("members", f"世帯の{with_concerns}人に課題があります。",
                              f"{with_concerns} members of the household have concerns."))
    patterns: list[str] = []
    for matcher in MATCHERS:
        reason = matcher(facts, rules)
        if reason is not None:
            pattern = ScreeningPattern(reason.code)
            patterns.append(pattern.value)
            contributions[pattern.value] = rules.pattern_weights[pattern]
            reasons.append(reason)
    score = sum(contributions.values())
    if score >= rules.refer_score:
        recommendation = Recommendation.refer_to_collaboration
        reasons.append(Reason(
            "recommendation",
            f"点数{score}は基準{rules.refer_score}以上です。多機関協働への引継ぎを検討してください。",
            f"Score {score} reaches {rules.refer_score}: consider referring to multi-agency collaboration."))
    elif any(p in patterns for p in rules.outreach_patterns):
        recommendation = Recommendation.request_outreach
        reasons.append(Reason("recommendation", "本人が来所できないため、アウトリーチを検討してください。",
                              "The person cannot come themselves: consider requesting outreach."))
    else:
        recommendation = Recommendation.handle_at_desk
        reasons.append(Reason(
            "recommendation", f"点数{score}は基準{rules.refer_score}未満です。窓口での対応を続けてください。",
            f"Score {score} is below {rules.refer_score}: continue at the desk."))
    return ScreeningResult(
        score=score, fields_involved=fields, members_with_concerns=with_concerns, patterns=patterns,
        reasons=reasons, recommendation=recommendation.value, rules_version=rules.version,
        contributions=contributions,
    )
