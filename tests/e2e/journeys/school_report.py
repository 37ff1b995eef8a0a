"""Journey 2: the school reports a child who stopped coming, a baby and a mother who
struggles; without her consent the case goes to a 支援会議 (Art. 106-6), whose material only
its acknowledged members see; once she consents (recorded at intake, carried to
coordination by its event) it goes to a 重層的支援会議 that approves a plan."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from tests.e2e.journeys.support import (
    CHILDREN,
    DESK,
    ELDERLY,
    HEALTH,
    SCHOOL,
    Journey,
    assert_one_trace,
    assert_ordered_per_key,
    assert_private,
    ce_id,
    data,
    keyed,
    short_type,
    topic,
    until,
    years_before,
)
from tests.support.clock import today
from tests.support.e2e import journey_trace

HOME = "SK-N-01"
MATERIAL = "蓮さんは九月から登校していない。母は夜勤明けで眠れておらず、乳児の世話を蓮さんがしている日がある。"
MINUTES = "担任が週一回家庭訪問。子育て世代包括支援センターが母に声をかけ、同意が得られれば重層的支援会議へ。"


def consultation_body() -> dict[str, Any]:
    on = today()
    address = {"prefecture": "みどり県", "municipality": "桜ヶ丘市", "area_code": HOME, "street": "北町1丁目9番3号"}
    return {
        "channel": "school", "consulted_by": "agency",
        "summary": "四年生の森田蓮さんが二学期から不登校。母は体調がすぐれず、"
                   "生後五か月の妹の世話を蓮さんがしている様子。",
        "area_code": HOME,
        "members": [
            {"person": {"family_name": "森田", "given_name": "蓮", "family_name_kana": "モリタ",
                        "given_name_kana": "レン", "birth_date": years_before(on, 10), "sex": "male",
                        "address": address},
             "relationship": "child", "lives_together": True, "subject": True,
             "concern_codes": ["school_non_attendance"]},
            {"person": {"family_name": "森田", "given_name": "彩", "family_name_kana": "モリタ",
                        "given_name_kana": "アヤ", "birth_date": years_before(on, 36), "sex": "female",
                        "address": address, "phone": "080-3391-4470"},
             "relationship": "head", "lives_together": True, "concern_codes": ["child_rearing", "mental_health"]},
            {"person": {"given_name": "陽菜", "birth_date": (on - timedelta(days=150)).isoformat()},
             "relationship": "child", "lives_together": True},
        ],
    }


def plan_body() -> dict[str, Any]:
    on = today().isoformat()
    return {
        "goals": [{"text": "蓮が安心して家にいられて、少しずつ学校とつながる。母が一人で抱え込まない。",
                   "in_persons_words": False}],
        "actions": [
            {"description": "担任が週一回、蓮さんと会う", "responsible_agency_id": SCHOOL, "field": "children",
             "start_on": on},
            {"description": "母の相談にのり、一時預かりを案内する", "responsible_agency_id": CHILDREN,
             "field": "children", "start_on": on},
            {"description": "保健師が乳児家庭訪問で母の体調を確かめる", "responsible_agency_id": HEALTH,
             "field": "disability", "start_on": on},
        ],
        "start_on": on,
    }


async def run(journey: Journey) -> None:
    school, desk = journey.agency(SCHOOL), journey.agency(DESK)
    children, health = journey.agency(CHILDREN), journey.agency(HEALTH)
    outsider = journey.agency(ELDERLY)  # neither on the team nor at the meetings
    colleague = journey.agency(SCHOOL, subject="sk-school-kita/homeroom-teacher-2")
    on = today().isoformat()

    with journey_trace("school report") as trace_id:
        # --- the school reports; nobody has the mother's consent yet --------------------------------
        consultation = await school.post("intake", "/v1/consultations", consultation_body())
        consultation_id, household_id = consultation["id"], consultation["household_id"]
        child_id, mother_id, baby_id = (m["person_id"] for m in consultation["members"])
        assert "young_carer" in consultation["screening"]["patterns"]
        referral = await school.post("intake", f"/v1/consultations/{consultation_id}/referrals",
                                     {"target": "collaboration", "reason_code": "complex_needs"})
        referral = await until(lambda: school.get("intake", f"/v1/referrals/{referral['id']}"),
                               lambda r: r["status"] == "accepted" and r["case_id"],
                               "intake learning that coordination opened a case")
        case_id = referral["case_id"]
        case = await school.get("coordination", f"/v1/cases/{case_id}")
        assert (case["detail_basis"], case["consent_in_force"]) == ("referring_agency", False)
        await desk.post("coordination", f"/v1/cases/{case_id}/team/invitations",
                        {"agency_id": CHILDREN, "role": "field_supporter"})
        await children.post("coordination", f"/v1/cases/{case_id}/team/accept", status=200)
        seen = await children.get("coordination", f"/v1/cases/{case_id}")
        assert (seen["detail"], seen["household_id"], seen["concern_codes"]) == ("withheld", None, None)

        # --- a 重層的支援会議 refuses the case without consent; a 支援会議 takes it ---------------------
        jusou = await desk.post("coordination", "/v1/meetings", {
            "kind": "jusou_shien_kaigi", "scheduled_on": on, "member_agency_ids": [SCHOOL, CHILDREN, HEALTH]})
        refused = await desk.refused("POST", "coordination", f"/v1/meetings/{jusou['id']}/agenda", 409,
                                     "consent-required", {"case_id": case_id})
        assert refused["case_id"] == case_id
        shien = await desk.post("coordination", "/v1/meetings", {
            "kind": "shien_kaigi", "scheduled_on": on, "member_agency_ids": [SCHOOL, CHILDREN, HEALTH]})
        shien_id = shien["id"]
        assert shien["confidential"] is True
        await desk.post("coordination", f"/v1/meetings/{shien_id}/acknowledgements", status=200)
        await desk.post("coordination", f"/v1/meetings/{shien_id}/agenda", {"case_id": case_id}, status=200)
        await school.post("coordination", f"/v1/meetings/{shien_id}/acknowledgements", status=200)
        await school.post("coordination", f"/v1/meetings/{shien_id}/materials",
                          {"case_id": case_id, "content": MATERIAL})

        # only its members see the material, and only those who acknowledged the duty (守秘義務)
        for path in ("", "/materials"):
            await outsider.refused("GET", "coordination", f"/v1/meetings/{shien_id}{path}", 403, "not-a-member")
        await health.refused("GET", "coordination", f"/v1/meetings/{shien_id}/materials", 403,
                             "confidentiality-not-acknowledged")
        view = await health.get("coordination", f"/v1/meetings/{shien_id}")
        assert (view["acknowledged"], view["agenda"], view["minutes"]) == (False, None, None)
        # the acknowledgement is personal: the school's other teacher has not made it
        await colleague.refused("GET", "coordination", f"/v1/meetings/{shien_id}/materials", 403,
                                "confidentiality-not-acknowledged")
        await health.post("coordination", f"/v1/meetings/{shien_id}/acknowledgements", status=200)
        material = await health.get("coordination", f"/v1/meetings/{shien_id}/materials")
        assert [m["content"] for m in material] == [MATERIAL]
        # the meeting opens its material, not the case or the household to a member off the team
        await health.refused("GET", "coordination", f"/v1/cases/{case_id}", 404)
        await health.refused("GET", "intake", f"/v1/persons/{mother_id}", 404)
        await desk.post("coordination", f"/v1/meetings/{shien_id}/held", {
            "held_on": on, "attendees": [{"agency_id": DESK, "role": "chair"}, {"agency_id": SCHOOL},
                                         {"agency_id": CHILDREN}, {"agency_id": HEALTH}],
            "decisions": [{"case_id": case_id, "decision": "continue_case"}], "minutes": MINUTES}, status=200)
        seen = await children.get("coordination", f"/v1/cases/{case_id}")
        assert seen["detail"] == "withheld"  # discussing it at the 支援会議 shared nothing on the case

        # --- the mother consents: intake records it, the event reaches coordination ------------------
        consent = await school.post("intake", "/v1/consents", {
            "person_id": mother_id, "scope": "collaboration", "method": "oral", "granted_on": on,
            "note": "担任と面談し、関係機関で話し合うことに口頭で同意"})
        consent = await school.get("intake", f"/v1/consents/{consent['id']}")
        assert (consent["active"], consent["recorded_by"], consent["scope"]) == (True, SCHOOL, "collaboration")
        seen = await until(lambda: children.get("coordination", f"/v1/cases/{case_id}"),
                           lambda c: c["consent_in_force"], "the consent reaching coordination")
        assert (seen["detail"], seen["detail_basis"], seen["household_id"]) == ("shown", "consent", household_id)

        # --- to the 重層的支援会議, and a plan ---------------------------------------------------------
        await desk.post("coordination", f"/v1/meetings/{jusou['id']}/agenda", {"case_id": case_id}, status=200)
        await desk.post("coordination", f"/v1/cases/{case_id}/team/lead", {"agency_id": CHILDREN}, status=200)
        for to in ("assessing", "planning"):
            await children.post("coordination", f"/v1/cases/{case_id}/status",
                                {"to": to, "reason_code": "team_decision"}, status=200)
        plan = await children.post("coordination", f"/v1/cases/{case_id}/plans", plan_body())
        await children.post("coordination", f"/v1/cases/{case_id}/plans/{plan['id']}/propose",
                            {"meeting_id": jusou["id"]}, status=200)
        await desk.post("coordination", f"/v1/meetings/{jusou['id']}/held", {
            "held_on": on, "attendees": [{"agency_id": DESK, "role": "chair"}, {"agency_id": SCHOOL},
                                         {"agency_id": CHILDREN}, {"agency_id": HEALTH}],
            "decisions": [{"case_id": case_id, "decision": "approve_plan", "plan_id": plan["id"]}],
            "minutes": "支援プランを承認。保健師の訪問を加える。"}, status=200)
        case = await children.get("coordination", f"/v1/cases/{case_id}")
        assert case["status"] == "in_support" and case["active_plan"]["plan_id"] == plan["id"]
        assert case["lead_agency_id"] == CHILDREN

        # --- the health centre joins to carry its action; intake opens to it what the consent allows --
        await children.post("coordination", f"/v1/cases/{case_id}/team/invitations",
                            {"agency_id": HEALTH, "role": "field_supporter"})
        await health.post("coordination", f"/v1/cases/{case_id}/team/accept", status=200)
        mother = await until(lambda: health.call("GET", "intake", f"/v1/persons/{mother_id}"),
                             lambda r: r.status_code == 200, "intake learning the health centre joined")
        assert (mother.json()["access"], mother.json()["given_name"]) == ("full", "彩")
        for person_id in (child_id, baby_id):  # no consent of theirs: the team sees no detail
            other = await health.get("intake", f"/v1/persons/{person_id}")
            assert (other["access"], other["given_name"], other["birth_date"]) == ("limited", None, None)
        # the school acknowledged the 支援会議 and sees it on the timeline; the children's centre,
        # its member but never acknowledged, sees only the 重層的支援会議 (issue 12)
        items = (await school.get("coordination", f"/v1/cases/{case_id}/timeline"))["items"]
        unacknowledged = (await children.get("coordination", f"/v1/cases/{case_id}/timeline"))["items"]
        assert [i["data"]["kind"] for i in unacknowledged if i["type"] == "coordination.meeting.held"] == [
            "jusou_shien_kaigi"]
        assert shien_id not in json.dumps(unacknowledged)

    types = [i["type"] for i in items]
    assert types.index("intake.consultation.referred") < types.index("coordination.case.opened") \
        < types.index("coordination.meeting.held") < types.index("intake.consent.granted") \
        < types.index("coordination.plan.proposed") < types.index("coordination.plan.approved")
    held = [i["data"]["decision"] for i in items if i["type"] == "coordination.meeting.held"]
    assert held == ["continue_case", "approve_plan"]

    # --- the events: in order per key, no personal data, no meeting content -----------------------
    intake = await topic(journey, "kasane.intake.v1", lambda rs: len(keyed(rs, mother_id)) >= 1, "intake's events")
    coordination = await topic(journey, "kasane.coordination.v1",
                               lambda rs: any(short_type(r) == "coordination.team.member_joined"
                                              and data(r)["agency_id"] == HEALTH and data(r)["case_id"] == case_id
                                              for r in rs), "coordination's events")
    assert_ordered_per_key(intake, {
        consultation_id: ["intake.consultation.received", "intake.consultation.screened",
                          "intake.consultation.referred", "intake.referral.status_changed"],
        household_id: ["intake.household.member_linked"] * 3,
        mother_id: ["intake.consent.granted"],
    })
    assert_ordered_per_key(coordination, {
        case_id: ["coordination.case.opened"] + ["coordination.team.member_joined"] * 3
        + ["coordination.team.lead_changed"] + ["coordination.case.status_changed"] * 2
        + ["coordination.plan.proposed", "coordination.plan.approved", "coordination.case.status_changed",
           "coordination.team.member_joined"],
        shien_id: ["coordination.meeting.held"],
        jusou["id"]: ["coordination.meeting.held"],
    })
    consented = keyed(intake, mother_id)[0]
    assert data(consented)["household_id"] == household_id
    held_events = {data(r)["kind"]: data(r) for r in coordination if short_type(r) == "coordination.meeting.held"
                   and data(r)["meeting_id"] in (shien_id, jusou["id"])}
    assert held_events["shien_kaigi"]["decisions"] == [{"case_id": case_id, "decision": "continue_case"}]
    assert held_events["jusou_shien_kaigi"]["decisions"] == [{"case_id": case_id, "decision": "approve_plan"}]
    assert_private({"intake": intake, "coordination": coordination}, journey)

    # --- one trace from the school's report to intake applying the last team change -----------------
    health_joined = next(r for r in keyed(coordination, case_id)
                         if short_type(r) == "coordination.team.member_joined" and data(r)["agency_id"] == HEALTH)
    await assert_one_trace(
        journey.system, trace_id,
        processes={"intake-api", "intake-worker", "coordination-api", "coordination-worker", "community-worker"},
        first=("intake-api", "POST /v1/consultations"),
        consumers={("intake-worker", "kasane.coordination.v1"), ("coordination-worker", "kasane.intake.v1"),
                   ("community-worker", "kasane.intake.v1"), ("community-worker", "kasane.coordination.v1")},
        last=("intake-worker", ce_id(health_joined)),
    )
