"""Journey 1: an 8050 household, from the elderly-care centre's consultation to a placement
followed up, across all four services."""

from __future__ import annotations

from typing import Any

from tests.e2e.journeys.support import (
    CHILDREN,
    DESK,
    DISABILITY,
    ELDERLY,
    SELF_RELIANCE,
    SHAKYO,
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

HOME = "SK-N-01"  # 北小学校区
STREET = "北町5丁目8番2号"


def consultation_body() -> dict[str, Any]:
    on = today()
    return {
        "channel": "home_visit", "consulted_by": "self", "external_id": f"HK-E2E-{on:%Y%m%d}-8050",
        "summary": "北村トシ子さん（82）の介護保険の相談で訪問。同居の長男（52）は十年以上自室から出ていない。",
        "concern_codes": ["elderly_care"], "area_code": HOME,
        "members": [
            {"person": {"family_name": "北村", "given_name": "トシ子", "family_name_kana": "キタムラ",
                        "given_name_kana": "トシコ", "birth_date": years_before(on, 82), "sex": "female",
                        "address": {"prefecture": "みどり県", "municipality": "桜ヶ丘市", "area_code": HOME,
                                    "street": STREET},
                        "phone": "0561-48-2716", "contact_notes": "午前中は通院のことが多い"},
             "relationship": "head", "lives_together": True, "subject": True, "concern_codes": ["elderly_care"]},
            {"person": {"family_name": "北村", "given_name": "誠", "family_name_kana": "キタムラ",
                        "given_name_kana": "マコト", "birth_date": years_before(on, 52), "sex": "male",
                        "address": {"area_code": HOME, "street": STREET}},
             "relationship": "child", "lives_together": True, "concern_codes": ["withdrawal"],
             "withdrawn_years": 12, "no_outside_contact": True},
        ],
    }


def plan_body() -> dict[str, Any]:
    on = today().isoformat()
    return {
        "goals": [{"text": "母はこの家で暮らし続けたい。息子は少しずつ外とつながりたい。", "in_persons_words": True}],
        "actions": [
            {"description": "週一回の訪問で母の介護サービス利用を整える", "responsible_agency_id": ELDERLY,
             "field": "elderly", "start_on": on},
            {"description": "長男への訪問を続け、関係をつくる", "responsible_agency_id": DISABILITY,
             "field": "disability", "start_on": on},
            {"description": "長男の居場所探しを参加支援につなぐ", "responsible_agency_id": SELF_RELIANCE,
             "field": "poverty", "start_on": on},
        ],
        "start_on": on,
    }


def place_body() -> dict[str, Any]:
    """A place to be a few hundred metres from the household, open when the son can come."""
    return {
        "name": "北町ひだまりサロン", "kind": "ibasho", "description": "話さなくても過ごせる午後の居場所",
        "area_code": HOME, "lat": 35.0505, "lon": 136.8935,
        "address": {"postal_code": "999-0031", "city": "桜ヶ丘市", "line1": "北町2丁目1-4"},
        "schedule": [{"weekday": 1, "start_hour": 13, "end_hour": 17}, {"weekday": 3, "start_hour": 13,
                                                                       "end_hour": 17}],
        "for_ages": ["all"], "accessibility": ["quiet_space", "gradual_start", "no_phone_calls"],
        "languages": ["ja"], "capacity": 8,
        "contact": {"name": "世話人 大川", "phone": "0561-40-1188"},
    }


async def run(journey: Journey) -> None:
    centre, desk = journey.agency(ELDERLY), journey.agency(DESK)
    disability, self_reliance = journey.agency(DISABILITY), journey.agency(SELF_RELIANCE)
    outsider = journey.agency(CHILDREN)  # never on this household's team
    shakyo = journey.agency(SHAKYO)
    on = today().isoformat()

    with journey_trace("8050") as trace_id:
        # --- intake: the centre posts the consultation; screening flags 8050 ----------------------
        consultation = await centre.post("intake", "/v1/consultations", consultation_body(),
                                         headers={"Idempotency-Key": f"e2e-8050-{trace_id}"})
        consultation_id, household_id = consultation["id"], consultation["household_id"]
        mother_id, son_id = (m["person_id"] for m in consultation["members"])
        screening = consultation["screening"]
        assert "8050" in screening["patterns"] and "long_term_withdrawal" in screening["patterns"]
        assert screening["recommendation"] == "refer_to_collaboration" and screening["advisory"] is True

        # --- referred to the collaboration (no consent yet); coordination opens the case ------------
        referral = await centre.post("intake", f"/v1/consultations/{consultation_id}/referrals", {
            "target": "collaboration", "reason_code": "complex_needs",
            "reason": "母の介護と長男のひきこもりが重なっている"})
        assert (referral["status"], referral["handler_agency_id"]) == ("requested", DESK)
        referral = await until(lambda: centre.get("intake", f"/v1/referrals/{referral['id']}"),
                               lambda r: r["status"] == "accepted" and r["case_id"],
                               "intake learning that coordination opened a case")
        case_id = referral["case_id"]
        case = await centre.get("coordination", f"/v1/cases/{case_id}")
        assert case["origin"] == "referral" and case["consultation_id"] == consultation_id
        assert (case["detail"], case["detail_basis"], case["consent_in_force"]) == ("shown", "referring_agency", False)
        assert case["household_id"] == household_id and "8050" in case["patterns"]
        assert {(m["agency_id"], m["role"]) for m in case["team"]} == {(ELDERLY, "field_supporter"),
                                                                      (DESK, "field_supporter")}

        # --- elderly-care, disability and self-reliance agencies on the team, one lead --------------
        for agency in (disability, self_reliance):
            await desk.post("coordination", f"/v1/cases/{case_id}/team/invitations",
                            {"agency_id": agency.id, "role": "field_supporter"})
        await disability.refused("GET", "coordination", f"/v1/cases/{case_id}", 404)  # invited, not yet on it
        invited = await disability.get("coordination", "/v1/cases", membership="invited")
        assert [c["id"] for c in invited["items"]] == [case_id]
        for agency in (disability, self_reliance):
            await agency.post("coordination", f"/v1/cases/{case_id}/team/accept", status=200)
        team = await desk.post("coordination", f"/v1/cases/{case_id}/team/lead", {"agency_id": ELDERLY},
                               status=200)
        assert team["lead_agency_id"] == ELDERLY
        assert [m["agency_id"] for m in team["members"] if m["role"] == "lead"] == [ELDERLY]

        # an agency not on the team sees nothing of the household anywhere: 404, as if it did not exist
        await outsider.refused("GET", "coordination", f"/v1/cases/{case_id}", 404)
        for path in (f"/v1/consultations/{consultation_id}", f"/v1/persons/{son_id}",
                     f"/v1/households/{household_id}"):
            await outsider.refused("GET", "intake", path, 404)

        # a team member without consent sees the case's shape, never who it is about
        seen = await disability.get("coordination", f"/v1/cases/{case_id}")
        assert (seen["detail"], seen["detail_basis"], seen["my_role"]) == ("withheld", None, "field_supporter")
        assert seen["household_id"] is None and seen["subject_person_id"] is None
        assert seen["concern_codes"] is None and seen["screening"] is None
        household = await until(lambda: disability.call("GET", "intake", f"/v1/households/{household_id}"),
                                lambda r: r.status_code == 200, "intake learning the team from coordination")
        household = household.json()
        assert household["access"] == "limited"
        assert [(m["person"]["access"], m["person"]["family_name"]) for m in household["members"]] == [
            ("limited", None), ("limited", None)]
        son = await disability.get("intake", f"/v1/persons/{son_id}")
        assert son["access"] == "limited" and son["given_name"] is None and son["birth_date"] is None
        assert son["age_band"] == "50-54"
        limited = await disability.get("intake", f"/v1/consultations/{consultation_id}")
        assert limited["access"] == "limited" and limited["summary"] is None
        withheld = await _timeline(disability, case_id)
        assert withheld and not any({"household_id", "person_id", "concern_codes"} & set(i["data"])
                                    for i in withheld)
        shown = await _timeline(centre, case_id)
        assert next(i for i in shown if i["type"] == "intake.consultation.received")["data"][
            "household_id"] == household_id

        # a 重層的支援会議 takes no case without consent; its non-members are refused
        jusou = await centre.post("coordination", "/v1/meetings", {
            "kind": "jusou_shien_kaigi", "scheduled_on": on, "area_code": "SK-N",
            "member_agency_ids": [DESK, DISABILITY, SELF_RELIANCE]})
        await centre.refused("POST", "coordination", f"/v1/meetings/{jusou['id']}/agenda", 409,
                             "consent-required", {"case_id": case_id})
        await outsider.refused("GET", "coordination", f"/v1/meetings/{jusou['id']}", 403, "not-a-member")

        # --- both consent (intake records it); the consent reaches coordination ----------------------
        consents = []
        for person_id in (mother_id, son_id):
            consents.append(await centre.post("intake", "/v1/consents", {
                "person_id": person_id, "scope": "collaboration", "method": "written", "granted_on": on,
                "note": "訪問時に説明し、書面で同意を得た"}))
        seen = await until(lambda: disability.get("coordination", f"/v1/cases/{case_id}"),
                           lambda c: c["detail"] == "shown", "the consent reaching coordination")
        assert (seen["detail_basis"], seen["consent_in_force"]) == ("consent", True)
        assert seen["household_id"] == household_id and seen["subject_person_id"] == mother_id
        son = await disability.get("intake", f"/v1/persons/{son_id}")
        assert (son["access"], son["family_name"], son["given_name"]) == ("full", "北村", "誠")
        household = await disability.get("intake", f"/v1/households/{household_id}")
        assert [(m["person"]["access"], m["person"]["given_name"]) for m in household["members"]] == [
            ("full", "トシ子"), ("full", "誠")]
        full = await disability.get("intake", f"/v1/consultations/{consultation_id}")
        assert full["access"] == "full" and full["summary"] == consultation_body()["summary"]
        await outsider.refused("GET", "intake", f"/v1/persons/{son_id}", 404)  # consent opens it to the team only

        # --- assessment, a plan proposed by the lead and approved at the 重層的支援会議 --------------------
        await centre.post("coordination", f"/v1/cases/{case_id}/status",
                          {"to": "assessing", "reason_code": "assessment_started"}, status=200)
        await disability.post("coordination", f"/v1/cases/{case_id}/assessments", {
            "person_id": son_id, "needs": [{"field": "disability", "codes": ["withdrawal"]}],
            "wishes": "母のことは心配。外に出るなら人の少ない時間がいい"})
        await centre.post("coordination", f"/v1/cases/{case_id}/status",
                          {"to": "planning", "reason_code": "assessment_done"}, status=200)
        plan = await centre.post("coordination", f"/v1/cases/{case_id}/plans", plan_body())
        await desk.refused("POST", "coordination", f"/v1/cases/{case_id}/plans/{plan['id']}/propose", 403,
                           "lead-only", {"meeting_id": jusou["id"]})
        await centre.post("coordination", f"/v1/cases/{case_id}/plans/{plan['id']}/propose",
                          {"meeting_id": jusou["id"]}, status=200)
        held = await centre.post("coordination", f"/v1/meetings/{jusou['id']}/held", {
            "held_on": on, "attendees": [{"agency_id": ELDERLY, "role": "chair"}, {"agency_id": DESK},
                                         {"agency_id": DISABILITY}, {"agency_id": SELF_RELIANCE}],
            "decisions": [{"case_id": case_id, "decision": "approve_plan", "plan_id": plan["id"]}],
            "minutes": "長男へのアウトリーチは障害者相談支援センターが担う。"}, status=200)
        assert held["status"] == "held"
        case = await centre.get("coordination", f"/v1/cases/{case_id}")
        assert case["status"] == "in_support" and case["active_plan"]["plan_id"] == plan["id"]

        # --- outreach to the son, contact after contact, until he accepts support --------------------
        engagement = await disability.post("coordination", "/v1/outreach", {
            "case_id": case_id, "person_id": son_id, "reason_code": "long_term_withdrawal"})
        contacts = [("letter", "letter_left", None, "手紙をドアに挟んだ"),
                    ("visit", "not_reached", None, "母と話した。本人は二階"),
                    ("visit", "reached", "contact_made", "ドア越しに少し話せた"),
                    ("visit", "reached", "building_relationship", "好きなゲームの話をした"),
                    ("visit", "reached", "accepts_support", "近くの居場所なら行ってみたいと言った")]
        for method, outcome, stage, note in contacts:
            body = {"method": method, "contacted_on": on, "outcome_code": outcome, "note": note}
            if stage:
                body["stage"] = stage
            engagement = await disability.post("coordination", f"/v1/outreach/{engagement['id']}/contacts", body)
        assert engagement["stage"] == "accepts_support" and engagement["case_id"] == case_id

        # --- a place to be near home: community publishes it, participation offers it ---------------
        place = await shakyo.post("community", "/v1/places", place_body())
        opportunity = await until(
            lambda: desk.get("participation", "/v1/opportunities", area_code=HOME),
            lambda page: any(o["source_place_id"] == place["id"] for o in page["items"]),
            "participation offering community's new place")
        opportunity = next(o for o in opportunity["items"] if o["source_place_id"] == place["id"])

        # --- a participation request from the plan's action; the place near home is found -----------
        request = await self_reliance.post("coordination", f"/v1/cases/{case_id}/participation-requests", {
            "plan_id": plan["id"], "action_id": plan["actions"][2]["id"], "person_id": son_id,
            "needs": ["withdrawal", "social_contact"], "preferences": ["place_to_be"],
            "required_accommodations": ["gradual_start", "no_phone_calls"], "languages": ["ja"],
            "area_code": HOME, "travel_km": 2.0, "current_step": None, "max_step": "volunteering",
            "availability": [{"weekdays": [1, 3], "start_hour": 14, "end_hour": 16}]},
            headers={"Idempotency-Key": f"e2e-8050-request-{trace_id}"})
        assert request["participant_id"] != son_id and request["age_band"] == "50-54"
        request_id = request["id"]
        found = await until(lambda: desk.call("GET", "participation", f"/v1/requests/{request_id}"),
                            lambda r: r.status_code == 200, "participation receiving the request")
        assert found.json()["case_id"] == case_id and found.json()["participant_id"] == request["participant_id"]
        # the request's needs are for the coordinators of 参加支援 only, not every team agency
        await self_reliance.refused("GET", "participation", f"/v1/requests/{request_id}", 404)
        matches = await desk.get("participation", f"/v1/requests/{request_id}/matches")
        assert matches["matches"][0]["opportunity"]["id"] == opportunity["id"]

        # --- the son accepts; the placement starts and is followed up --------------------------------
        match = await desk.post("participation", f"/v1/requests/{request_id}/proposals",
                                {"opportunity_id": opportunity["id"]})
        placement = await desk.post("participation", f"/v1/matches/{match['id']}/accept", {"started_on": on})
        assert placement["status"] == "active" and len(placement["follow_ups"]) == 3
        assert (await desk.get("participation", f"/v1/requests/{request_id}"))["status"] == "placed"
        placement = await desk.post("participation", f"/v1/placements/{placement['id']}/follow-ups", {
            "followed_up_on": on, "status_code": "going_well", "note": "二回続けて来られた。帰りに母の話をしていた"})
        assert sum(f["done_on"] is not None for f in placement["follow_ups"]) == 1

        # --- the case timeline: every step, in order ----------------------------------------------
        items = await until(lambda: _timeline(centre, case_id),
                            lambda t: t and t[-1]["type"] == "participation.placement.followed_up",
                            "participation's follow-up on the case timeline")
    # caused one after the other, so this is the order; case.opened is dated by the referral
    assert [i["type"] for i in items] == [
        "intake.household.member_linked", "intake.household.member_linked", "intake.consultation.received",
        "intake.consultation.screened", "intake.consultation.referred", "coordination.case.opened",
        "coordination.team.member_joined", "coordination.team.member_joined", "intake.referral.status_changed",
        "coordination.team.member_joined", "coordination.team.member_joined", "coordination.team.lead_changed",
        "intake.consent.granted", "intake.consent.granted", "coordination.case.status_changed",
        "coordination.assessment.recorded", "coordination.case.status_changed", "coordination.plan.drafted",
        "coordination.meeting.case_on_agenda", "coordination.plan.proposed", "coordination.meeting.held",
        "coordination.plan.approved", "coordination.case.status_changed", "coordination.outreach.started",
        *["coordination.outreach.contact_logged"] * len(contacts), "coordination.participation.requested",
        "participation.match.proposed", "participation.placement.started", "participation.placement.followed_up",
    ]
    assert [i["at"] for i in items] == sorted(i["at"] for i in items)
    assert {i["service"] for i in items} == {"intake", "coordination", "participation"}
    moves = [(i["data"]["from_status"], i["data"]["to_status"]) for i in items
             if i["type"] == "coordination.case.status_changed"]
    assert moves == [("referred", "assessing"), ("assessing", "planning"), ("planning", "in_support")]
    held_entry = next(i for i in items if i["type"] == "coordination.meeting.held")
    assert held_entry["data"]["decision"] == "approve_plan"

    # --- the events: in order per key, and no personal data on any topic -----------------------
    intake = await topic(journey, "kasane.intake.v1",
                         lambda rs: len(keyed(rs, consultation_id)) >= 4 and len(keyed(rs, son_id)) >= 1,
                         "intake's events")
    coordination = await topic(journey, "kasane.coordination.v1",
                               lambda rs: any(short_type(r) == "coordination.participation.requested"
                                              and data(r)["case_id"] == case_id for r in rs),
                               "coordination's events")
    participation = await topic(journey, "kasane.participation.v1",
                                lambda rs: len(keyed(rs, request_id)) >= 3, "participation's events")
    community = await topic(journey, "kasane.community.v1", lambda rs: len(keyed(rs, place["id"])) >= 1,
                            "community's events")
    assert_ordered_per_key(intake, {
        consultation_id: ["intake.consultation.received", "intake.consultation.screened",
                          "intake.consultation.referred", "intake.referral.status_changed"],
        household_id: ["intake.household.member_linked"] * 2,
        mother_id: ["intake.consent.granted"], son_id: ["intake.consent.granted"],
    })
    assert_ordered_per_key(coordination, {
        case_id: ["coordination.case.opened"] + ["coordination.team.member_joined"] * 4
        + ["coordination.team.lead_changed", "coordination.case.status_changed",
           "coordination.assessment.recorded", "coordination.case.status_changed", "coordination.plan.proposed",
           "coordination.plan.approved", "coordination.case.status_changed",
           "coordination.participation.requested"],
        jusou["id"]: ["coordination.meeting.held"],
        engagement["id"]: ["coordination.outreach.started"] + ["coordination.outreach.contact_logged"] * 5,
    })
    assert_ordered_per_key(participation, {
        opportunity["id"]: ["participation.opportunity.published"],
        request_id: ["participation.match.proposed", "participation.placement.started",
                     "participation.placement.followed_up"],
    })
    assert_ordered_per_key(community, {place["id"]: ["community.place.published"]})
    joined = [data(r)["agency_id"] for r in keyed(coordination, case_id)
              if short_type(r) == "coordination.team.member_joined"]
    assert joined[2:] == [DISABILITY, SELF_RELIANCE] and set(joined[:2]) == {ELDERLY, DESK}
    assert [data(r)["status"] for r in keyed(intake, consultation_id)
            if short_type(r) == "intake.referral.status_changed"] == ["accepted"]
    assert_private({"intake": intake, "coordination": coordination, "participation": participation,
                    "community": community}, journey)

    # --- one trace from the first request to the last consumer ------------------------------------
    followed_up = keyed(participation, request_id)[-1]
    await assert_one_trace(
        journey.system, trace_id,
        processes={f"{s}-{r}" for s in ("intake", "coordination", "participation", "community")
                   for r in ("api", "worker")},
        first=("intake-api", "POST /v1/consultations"),
        consumers={("intake-worker", "kasane.coordination.v1"), ("coordination-worker", "kasane.intake.v1"),
                   ("coordination-worker", "kasane.participation.v1"),
                   ("participation-worker", "kasane.coordination.v1"),
                   ("participation-worker", "kasane.community.v1"), ("community-worker", "kasane.intake.v1"),
                   ("community-worker", "kasane.coordination.v1"), ("community-worker", "kasane.participation.v1")},
        last=("coordination-worker", ce_id(followed_up)),
    )


async def _timeline(agency: Any, case_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = await agency.get("coordination", f"/v1/cases/{case_id}/timeline", **params)
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items
