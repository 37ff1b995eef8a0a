"""A referral from intake opens a case, exactly once; other agencies cannot see it."""

from __future__ import annotations

import json
from uuid import uuid4

import pytest
from kasane_coordination.main import SPEC
from kasane_shared.contracts.codes import ReferralTarget
from kasane_shared.contracts.coordination import CaseOpened, TeamMemberJoined
from kasane_shared.contracts.intake import ConsentGranted, HouseholdMemberLinked
from kasane_shared.events.streams import COORDINATION

from tests.coordination.support import (
    DESK,
    ELDERLY,
    OUTSIDER,
    auth,
    case_of_referral,
    consent,
    ok,
    problem,
    referral,
)
from tests.support.kafka import eventually
from tests.support.service_env import service_env
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration


async def test_a_referral_opens_a_case_once_and_a_redelivery_changes_nothing(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "coord_referral") as svc, svc.worker():
        event = referral()
        ce_id = await svc.publish(event)
        case_id = await case_of_referral(svc, event.referral_id)

        case = ok(await svc.client.get(f"/v1/cases/{case_id}", headers=auth(stack, ELDERLY)))
        assert case["status"] == "referred" and case["origin"] == "referral"
        assert case["referral_id"] == str(event.referral_id)
        assert case["household_id"] == str(event.household_id)
        assert case["concern_codes"] == ["elderly_care", "withdrawal"] and case["patterns"] == ["8050"]
        assert case["screening"]["score"] == 7 and case["consent_in_force"] is True
        assert case["detail"] == "shown" and case["detail_basis"] == "referring_agency"
        # the referring desk and the collaboration desk, no lead yet
        assert {(m["agency_id"], m["role"]) for m in case["team"]} == {
            (ELDERLY, "field_supporter"), (DESK, "field_supporter")}
        assert case["lead_agency_id"] is None

        records = await svc.read(COORDINATION.name, at_least=3)
        mine = [r for r in records if r.key == str(case_id).encode()]
        types = [dict(r.headers)["ce_type"].decode() for r in mine]
        assert types == [CaseOpened.event_type, TeamMemberJoined.event_type, TeamMemberJoined.event_type]
        opened = json.loads(mine[0].value)
        assert opened["referral_id"] == str(event.referral_id) and opened["household_id"] == str(event.household_id)
        assert opened["origin"] == "referral"
        assert all(json.loads(r.value)["household_id"] == str(event.household_id) for r in mine[1:])

        async def state() -> tuple:
            return (
                await svc.pool.fetchval("SELECT count(*) FROM cases"),
                await svc.pool.fetchval("SELECT count(*) FROM case_team"),
                await svc.pool.fetchval("SELECT count(*) FROM timeline"),
                await svc.pool.fetchval("SELECT count(*) FROM outbox"),
                await svc.pool.fetchval("SELECT count(*) FROM consents"),
            )

        before = await state()
        # the same event delivered again (same ce_id), then re-sent under a new id
        await svc.publish(event, event_id=ce_id)
        await svc.publish(event)
        marker = referral(target=ReferralTarget.agency, to_agency_id=DESK)
        await svc.publish(marker, key=str(event.consultation_id))  # same partition, after both
        await eventually(lambda: svc.pool.fetchval(
            "SELECT count(*) FROM timeline WHERE consultation_id = $1", marker.consultation_id),
            lambda n: n == 1, what="the marker event", timeout=60)
        after = await state()
        assert after[0:2] == before[0:2] and after[3:] == before[3:]
        assert after[2] == before[2] + 1  # only the marker landed on a timeline
        assert await svc.pool.fetchval(
            "SELECT count(*) FROM inbox WHERE event_id = $1", ce_id) == 1


async def test_only_referrals_to_the_collaboration_open_cases(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "coord_referral_targets") as svc, svc.worker():
        to_agency = referral(target=ReferralTarget.agency, to_agency_id="sk-jiritsu")
        collab = referral()
        await svc.publish(to_agency)
        await svc.publish(collab)
        await case_of_referral(svc, collab.referral_id)
        await eventually(lambda: svc.pool.fetchval(
            "SELECT count(*) FROM timeline WHERE consultation_id = $1", to_agency.consultation_id),
            lambda n: n == 1, what="the agency referral on the household timeline", timeout=60)
        assert await svc.pool.fetchval("SELECT count(*) FROM cases") == 1


async def test_a_referral_without_consent_opens_a_case_that_shares_nothing_beyond_the_desks(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "coord_referral_noconsent") as svc, svc.worker():
        event = referral(from_agency="sk-school-kita", consent=False)
        await svc.publish(event)
        case_id = await case_of_referral(svc, event.referral_id)
        desk = ok(await svc.client.get(f"/v1/cases/{case_id}", headers=auth(stack, DESK)))
        assert desk["consent_in_force"] is False
        assert desk["detail"] == "shown" and desk["detail_basis"] == "collaboration_desk"
        # a third agency invited to the case sees the case but not the household's detail
        ok(await svc.client.post(f"/v1/cases/{case_id}/team/invitations",
                                 json={"agency_id": "sk-kosodate", "role": "field_supporter"},
                                 headers=auth(stack, DESK)), 201)
        ok(await svc.client.post(f"/v1/cases/{case_id}/team/accept", headers=auth(stack, "sk-kosodate")))
        third = ok(await svc.client.get(f"/v1/cases/{case_id}", headers=auth(stack, "sk-kosodate")))
        assert third["detail"] == "withheld" and third["detail_basis"] is None
        assert third["household_id"] is None and third["concern_codes"] is None and third["screening"] is None
        timeline = ok(await svc.client.get(f"/v1/cases/{case_id}/timeline", headers=auth(stack, "sk-kosodate")))
        assert timeline["items"] and str(event.household_id) not in json.dumps(timeline)
        assert str(event.person_id) not in json.dumps(timeline)
        assert all("concern_codes" not in i["data"] and "screening" not in i["data"] for i in timeline["items"])
        desk_view = ok(await svc.client.get(f"/v1/cases/{case_id}/timeline", headers=auth(stack, DESK)))
        referred = next(i for i in desk_view["items"] if i["type"] == "intake.consultation.referred")
        assert referred["data"]["concern_codes"] == ["elderly_care", "withdrawal"]


async def test_another_agency_gets_404_for_a_case_it_is_not_on(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "coord_referral_404") as svc, svc.worker():
        event = referral()
        await svc.publish(event)
        case_id = await case_of_referral(svc, event.referral_id)
        outsider = auth(stack, OUTSIDER)
        missing = uuid4()
        for path in ("", "/timeline", "/transitions", "/team", "/plans", "/assessments", "/participation-requests"):
            hidden = problem(await svc.client.get(f"/v1/cases/{case_id}{path}", headers=outsider), 404)
            absent = problem(await svc.client.get(f"/v1/cases/{missing}{path}", headers=outsider), 404)
            assert hidden["detail"] == absent["detail"]  # hidden and missing look alike
        for path, body in [("/status", {"to": "assessing", "reason_code": "x"}),
                           ("/team/lead", {"agency_id": OUTSIDER}),
                           ("/team/invitations", {"agency_id": OUTSIDER, "role": "lead"}),
                           ("/assessments", {"wishes": "x"}),
                           ("/plans", {"goals": [{"text": "x"}], "actions": [
                               {"description": "x", "responsible_agency_id": OUTSIDER, "start_on": "2026-01-01"}],
                               "start_on": "2026-01-01"})]:
            problem(await svc.client.post(f"/v1/cases/{case_id}{path}", json=body, headers=outsider), 404)
        listed = ok(await svc.client.get("/v1/cases", headers=outsider))
        assert listed["items"] == []
        mine = ok(await svc.client.get("/v1/cases", headers=auth(stack, ELDERLY)))
        assert [i["id"] for i in mine["items"]] == [str(case_id)]
        # nothing changed on the case, and no access of the outsider's to it was logged as done
        assert (await svc.pool.fetchval("SELECT status FROM cases WHERE id = $1", case_id)) == "referred"
        assert await svc.pool.fetchval(
            "SELECT count(*) FROM audit_log WHERE agency_id = $1 AND resource_id = $2", OUTSIDER, str(case_id)) == 0
        assert await svc.pool.fetchval(  # while the team member's listing was
            "SELECT count(*) FROM audit_log WHERE agency_id = $1 AND resource_id = $2 AND action = 'list'",
            ELDERLY, str(case_id)) == 1


async def test_consent_and_household_facts_re_sent_are_kept_once(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "coord_consent_once") as svc, svc.worker():
        household, person = uuid4(), uuid4()
        granted = consent(household, person_id=person)
        link = HouseholdMemberLinked(household_id=household, person_id=person, relationship="head",
                                     lives_together=True, age_band="80-84")
        for fact in (granted, granted, link, link):
            await svc.publish(fact)  # each under a new event id
        marker = consent(household, person_id=person)  # keyed by person: behind both consents
        await svc.publish(marker)
        await eventually(lambda: svc.pool.fetchval("SELECT count(*) FROM consents"), lambda n: n == 2,
                         what="the marker consent", timeout=60)
        await eventually(lambda: svc.pool.fetchval("SELECT count(*) FROM household_members"), lambda n: n == 1,
                         what="the household link", timeout=60)
        marker_link = HouseholdMemberLinked(household_id=household, person_id=uuid4(), relationship="child",
                                            lives_together=True)
        await svc.publish(marker_link)  # keyed by household: behind both links
        await eventually(lambda: svc.pool.fetchval("SELECT count(*) FROM household_members"), lambda n: n == 2,
                         what="the marker link", timeout=60)
        types = [r["type"] for r in await svc.pool.fetch("SELECT type FROM timeline ORDER BY id")]
        assert types.count(ConsentGranted.event_type) == 2  # the consent once, the marker once
        assert types.count(HouseholdMemberLinked.event_type) == 2  # the link once, the marker once
