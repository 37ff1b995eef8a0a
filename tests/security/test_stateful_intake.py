"""Issue 12 (b), intake: agencies take random sequences of actions on the people and
households intake keeps, and after every step every agency reads every household and person
it knows the id of, as staff and as a member of staff holding a break-glass grant; any read
beyond the model of the rules is a leak.

The actions, composed in any order: a desk posts a consultation about new people; a desk
posts one naming a person it may read (it joins that person's household only when it may
name the household, else the consultation gets a household of its own: reading a person
never opens their family); a desk records a consent naming another agency; coordination's
facts (a case team joined, left, a case ended) applied through intake's handlers; break
glass on a household, then the same member of staff trying to turn it into standing access
(a consultation on it, a consent naming its own agency).

The model, from docs/intake.md "Access": a household is full to its desks (it created it,
or received a consultation on it), limited to the team of an open case on it, full to a
break-glass holder; a person is full to the agency that registered them, took a consultation
naming them, is a desk of one of their households, or is named by their consent, limited to
the team of an open case on one of their households, full to a break-glass holder of the
person or one of their households. Bounded and derandomized as the coordination suite is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from uuid import UUID, uuid4

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from kasane_intake.main import SPEC as INTAKE
from kasane_shared.contracts.coordination import CaseEnded, CaseOpened, TeamMemberJoined, TeamMemberLeft

from tests.security.support import Runner, Tally, explore
from tests.support.clock import today
from tests.support.stack import TestStack

# every agency reads every household and person twice after each step: 40 sequences take
# about two minutes here
EXAMPLES = int(os.environ.get("KASANE_SECURITY_EXAMPLES", "40"))
STEPS = int(os.environ.get("KASANE_SECURITY_STEPS", "14"))
AGENCIES = ("sk-houkatsu-kita", "sk-shogai-soudan", "sk-jiritsu", "sk-kosodate")
SCOPES = ("consultations:read", "consultations:write", "persons:read", "persons:write", "consents:write",
          "break-glass")
GLASS_REASON = "本人と連絡が取れず安否確認が必要なため"

agencies = st.sampled_from(AGENCIES)


@dataclass
class Model:
    created_household: dict[UUID, str] = field(default_factory=dict)
    desk_of: set[tuple[str, UUID]] = field(default_factory=set)  # received a consultation on it
    members: dict[UUID, list[UUID]] = field(default_factory=dict)  # household -> persons
    links: list[tuple[UUID, UUID]] = field(default_factory=list)  # (person, household), in link order
    registered_by: dict[UUID, str] = field(default_factory=dict)
    consulted: set[tuple[str, UUID]] = field(default_factory=set)  # took a consultation naming the person
    named_consent: set[tuple[str, UUID]] = field(default_factory=set)
    teams: dict[UUID, tuple[UUID, set[str], bool]] = field(default_factory=dict)  # case -> household, team, open
    glass: set[tuple[str, str, UUID]] = field(default_factory=set)  # agency, "household"|"person", id

    def households_of(self, person: UUID) -> list[UUID]:
        return [h for p, h in self.links if p == person]

    def primary(self, person: UUID) -> UUID | None:
        mine = self.households_of(person)
        return mine[-1] if mine else None

    def household_desk(self, agency: str, household: UUID) -> bool:
        return self.created_household.get(household) == agency or (agency, household) in self.desk_of

    def on_team(self, agency: str, household: UUID) -> bool:
        return any(h == household and still and agency in team for h, team, still in self.teams.values())

    def household(self, agency: str, household: UUID, *, glass: bool) -> str | None:
        if self.household_desk(agency, household):
            return "full"
        if glass and (agency, "household", household) in self.glass:
            return "full"
        return "limited" if self.on_team(agency, household) else None

    def person_standing(self, agency: str, person: UUID) -> bool:
        return (self.registered_by.get(person) == agency or (agency, person) in self.consulted
                or any(self.household_desk(agency, h) for h in self.households_of(person))
                or (agency, person) in self.named_consent)

    def person(self, agency: str, person: UUID, *, glass: bool) -> str | None:
        if self.person_standing(agency, person):
            return "full"
        if glass and ((agency, "person", person) in self.glass or any(
                (agency, "household", h) in self.glass for h in self.households_of(person))):
            return "full"
        return "limited" if any(self.on_team(agency, h) for h in self.households_of(person)) else None


TALLY = Tally()
RUNNER: Runner | None = None


class Intake(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        assert RUNNER is not None
        self.r = RUNNER
        self.model = Model()
        TALLY.sequences += 1

    def _link(self, person: UUID, household: UUID) -> None:
        if (person, household) in self.model.links:
            return  # re-describing a member moves nothing
        self.model.links.append((person, household))
        self.model.members.setdefault(household, []).append(person)

    @rule(agency=agencies, people=st.integers(min_value=1, max_value=2))
    def a_desk_takes_a_consultation_about_new_people(self, agency: str, people: int) -> None:
        TALLY.steps += 1
        members = [{"person": {"given_name": f"P{i}", "age_estimate": 40 + i}, "subject": i == 0,
                    "lives_together": True} for i in range(people)]
        r = self.r.call("POST", "/v1/consultations", agency,
                        {"channel": "phone", "consulted_by": "self", "members": members})
        assert r.status_code == 201, r.text
        household = UUID(r.json()["household_id"])
        self.model.created_household[household] = agency
        self.model.desk_of.add((agency, household))
        for m in r.json()["members"]:
            person = UUID(m["person_id"])
            self.model.registered_by[person] = agency
            self.model.consulted.add((agency, person))
            self._link(person, household)

    def _people(self) -> list[UUID]:
        return sorted(self.model.registered_by)

    @precondition(lambda self: bool(self.model.registered_by))
    @rule(data=st.data(), agency=agencies)
    def a_desk_takes_a_consultation_naming_a_person(self, data: st.DataObject, agency: str) -> None:
        TALLY.steps += 1
        person = data.draw(st.sampled_from(self._people()))
        r = self.r.call("POST", "/v1/consultations", agency, {
            "channel": "phone", "consulted_by": "agency", "members": [{"person_id": str(person), "subject": True}]})
        if not self.model.person_standing(agency, person):
            assert r.status_code == 422, f"LEAK: {agency} named {person} it may not read: {r.status_code}"
            return
        assert r.status_code == 201, r.text
        household = UUID(r.json()["household_id"])
        primary = self.model.primary(person)
        if primary is not None and self.model.household_desk(agency, primary):
            assert household == primary, "the consultation should join the household the caller may name"
        else:
            assert household != primary, f"LEAK: naming {person} made {agency} a desk of their household"
            self.model.created_household[household] = agency
        self.model.desk_of.add((agency, household))
        self.model.consulted.add((agency, person))
        self._link(person, household)

    @precondition(lambda self: bool(self.model.registered_by))
    @rule(data=st.data(), agency=agencies, named=agencies)
    def a_desk_records_a_consent_naming_an_agency(self, data: st.DataObject, agency: str, named: str) -> None:
        TALLY.steps += 1
        person = data.draw(st.sampled_from(self._people()))
        r = self.r.call("POST", "/v1/consents", agency, {
            "person_id": str(person), "scope": "named_agencies", "agency_ids": [named], "method": "written",
            "granted_on": (today() - timedelta(days=1)).isoformat()})
        if not self.model.person_standing(agency, person):
            assert r.status_code == 422, f"LEAK: {agency} recorded a consent of {person}: {r.status_code}"
            return
        assert r.status_code == 201, r.text
        self.model.named_consent.add((named, person))

    def _households(self) -> list[UUID]:
        return sorted(self.model.members)

    @precondition(lambda self: bool(self.model.members))
    @rule(data=st.data(), agency=agencies)
    def coordination_puts_an_agency_on_a_case_team(self, data: st.DataObject, agency: str) -> None:
        TALLY.steps += 1
        household = data.draw(st.sampled_from(self._households()))
        case_id = uuid4()
        self.r.apply(CaseOpened(case_id=case_id, origin="direct", household_id=household))
        self.r.apply(TeamMemberJoined(case_id=case_id, agency_id=agency, role="field_supporter",
                                      household_id=household))
        self.model.teams[case_id] = (household, {agency}, True)

    def _teams(self) -> list[UUID]:
        return sorted(c for c, (_, team, still) in self.model.teams.items() if still and team)

    @precondition(lambda self: bool(self._teams()))
    @rule(data=st.data())
    def a_member_leaves_the_team(self, data: st.DataObject) -> None:
        TALLY.steps += 1
        case_id = data.draw(st.sampled_from(self._teams()))
        household, team, _ = self.model.teams[case_id]
        agency = data.draw(st.sampled_from(sorted(team)))
        self.r.apply(TeamMemberLeft(case_id=case_id, agency_id=agency, household_id=household))
        team.discard(agency)

    @precondition(lambda self: bool(self._teams()))
    @rule(data=st.data())
    def the_case_ends(self, data: st.DataObject) -> None:
        TALLY.steps += 1
        case_id = data.draw(st.sampled_from(self._teams()))
        household, team, _ = self.model.teams[case_id]
        self.r.apply(CaseEnded(case_id=case_id, outcome_code="resolved", ended_on=today()))
        self.model.teams[case_id] = (household, team, False)

    @precondition(lambda self: bool(self.model.members))
    @rule(data=st.data(), agency=agencies)
    def a_member_of_staff_breaks_the_glass_then_tries_to_keep_it(self, data: st.DataObject, agency: str) -> None:
        TALLY.steps += 1
        household = data.draw(st.sampled_from(self._households()))
        r = self.r.call("POST", "/v1/break-glass", agency, {
            "resource_type": "household", "resource_id": str(household), "reason": GLASS_REASON}, subject="glass")
        assert r.status_code == 201, r.text
        self.model.glass.add((agency, "household", household))
        # the same member of staff, under the grant, names the household and its first member
        person = self.model.members[household][0]
        standing_household = self.model.household_desk(agency, household)
        named = self.r.call("POST", "/v1/consultations", agency, {
            "channel": "phone", "consulted_by": "agency", "household_id": str(household)}, subject="glass")
        if not standing_household:
            assert named.status_code == 422, f"LEAK: break glass made {agency} a desk of {household}"
        else:
            assert named.status_code == 201, named.text
            self.model.desk_of.add((agency, household))
        consent = self.r.call("POST", "/v1/consents", agency, {
            "person_id": str(person), "scope": "named_agencies", "agency_ids": [agency], "method": "oral",
            "granted_on": today().isoformat()}, subject="glass")
        if not self.model.person_standing(agency, person):
            assert consent.status_code in (403, 422), f"LEAK: break glass let {agency} name itself in a consent"
        else:
            assert consent.status_code == 201, consent.text
            self.model.named_consent.add((agency, person))

    @invariant()
    def every_agency_reads_exactly_what_the_model_allows(self) -> None:
        if RUNNER is None:
            return
        for agency in AGENCIES:
            for subject, glass in (("staff", False), ("glass", True)):
                for household in self._households():
                    TALLY.reads += 1
                    r = self.r.call("GET", f"/v1/households/{household}", agency, subject=subject)
                    expected = self.model.household(agency, household, glass=glass)
                    got = r.json()["access"] if r.status_code == 200 else None
                    assert got == expected, f"{agency}/{subject} household {household}: {got}, model {expected}"
                for person in self._people():
                    TALLY.reads += 1
                    r = self.r.call("GET", f"/v1/persons/{person}", agency, subject=subject)
                    expected = self.model.person(agency, person, glass=glass)
                    got = r.json()["access"] if r.status_code == 200 else None
                    assert got == expected, (f"{agency}/{subject} person {person}: {got}, model {expected}")


def test_no_sequence_of_intake_actions_reads_beyond_the_model(stack: TestStack) -> None:
    global RUNNER
    RUNNER = Runner(stack, INTAKE, "security_stateful_intake", SCOPES)
    try:
        explore(Intake, examples=EXAMPLES, steps=STEPS)
    finally:
        RUNNER.close()
        RUNNER = None
    print(f"\n[stateful access: intake] {TALLY.sequences} sequences, {TALLY.steps} steps, {TALLY.reads} reads: "
          "no read beyond the model")
