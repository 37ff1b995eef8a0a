"""Coordination: cases opened from the referrals' events (waited for by polling the
coordination API), outreach engagements with their contacts, case teams with a lead,
assessments and draft plans. Every step reads the case first and does only what is missing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from kasane_shared.contracts.codes import CONCERN_LABELS, Concern

from kasane_devstack.municipality.agencies import Agencies
from kasane_devstack.municipality.api import Api, created, slug
from kasane_devstack.municipality.load_intake import Home, record_consents

ORDER = ["referred", "assessing", "planning", "in_support", "monitoring", "light_contact", "ended"]
# (days ago, method, outcome, relationship stage after it): the pace of one outreach
LADDER = [(56, "letter", "letter_left", "not_reached"),
          (42, "through_minsei_iin", "reached_family", "not_reached"),
          (28, "visit", "reached", "contact_made"),
          (14, "visit", "reached", "building_relationship"),
          (3, "visit", "reached", "accepts_support")]
STEPS = {"not_reached": 1, "contact_made": 3, "building_relationship": 4, "accepts_support": 5}
NOTES = ["手紙をポストに入れた。", "民生委員を通じて家族と話せた。", "玄関先で短く会話できた。",
         "好きなゲームの話を少しした。次回の訪問を約束。", "支援を受けてみたいとの言葉があった。"]
STRENGTHS = ["料理が得意", "近所に頼れる親戚がいる", "相談する意思がある", "地域の見守りがある", "几帳面で丁寧"]


async def find_cases(api: Api, ag: Agencies, homes: list[Home]) -> None:
    """Wait for coordination to open a case from each collaboration referral, and find it."""
    want = {home.referral_id: home for home in homes if home.referral_target == "collaboration"}
    if not want:
        return
    looked: set[str] = set()

    async def probe() -> bool:
        cases = await api.pages("coordination", "/v1/cases", agency=ag.collaboration_desk)
        fresh = [c["id"] for c in cases if c["id"] not in looked]
        reads = await api.each(fresh, lambda cid: api.get("coordination", f"/v1/cases/{cid}",
                                                          agency=ag.collaboration_desk))
        for case in reads:
            looked.add(case["id"])
            home = want.get(case["referral_id"])
            if home is not None and home.case_id is None:
                home.case_id = case["id"]
        return all(home.case_id for home in want.values())

    await api.until(probe, f"{len(want)} cases opened from the referrals")


async def find_engagements(api: Api, ag: Agencies, homes: list[Home]) -> None:
    """Wait for coordination to start an engagement from each outreach request."""
    want = {home.referral_id: home for home in homes if home.referral_target == "outreach"}
    if not want:
        return

    async def probe() -> bool:
        for e in await api.get("coordination", "/v1/outreach", agency=ag.outreach_agency, params={"limit": 200}):
            home = want.get(e["referral_id"])
            if home is not None:
                home.engagement_id = e["id"]
                home.case_id = home.case_id or e["case_id"]
        return all(home.engagement_id for home in want.values())

    await api.until(probe, f"{len(want)} outreach engagements started from the requests")


async def contacts(api: Api, engagement_id: str, agency: str, reach: str, today: date) -> dict[str, Any]:
    """Log the contacts up to the stage ``reach`` that are not logged yet."""
    e = await api.get("coordination", f"/v1/outreach/{engagement_id}", agency=agency)
    done = [c for c in e["contacts"] if c["status"] == "done"]
    steps = LADDER[:STEPS[reach]]
    if reach == "not_reached":
        steps = [(45, *LADDER[0][1:])]  # one letter, long ago: the engagement is overdue
    for i, (days, method, outcome, stage) in enumerate(steps):
        if i < len(done):
            api.tally.add("outreach_contacts", False)
            continue
        last = i == len(steps) - 1 and reach != "accepts_support"
        body = {"status": "done", "method": method, "contacted_on": (today - timedelta(days=days)).isoformat(),
                "outcome_code": outcome, "stage": stage, "note": NOTES[min(i, len(NOTES) - 1)] + "（生成データ）",
                **({"next_contact_on": (today + timedelta(days=7)).isoformat(), "next_contact_method": "visit"}
                   if last else {})}
        r = await api.post("coordination", f"/v1/outreach/{engagement_id}/contacts", body, agency=agency)
        e = r.json()
        api.tally.add("outreach_contacts", True)
    return e


async def outreach(api: Api, ag: Agencies, homes: list[Home], today: date) -> None:
    """Contacts at each person's pace; those who accept support consent and get a case."""
    async def one(home: Home) -> None:
        h = home.h
        api.tally.facts[f"outreach:{h.outreach_stage}"] += 1
        e = await contacts(api, home.engagement_id, ag.outreach_agency, h.outreach_stage or "not_reached", today)
        if h.outreach_stage != "accepts_support":
            return
        await record_consents(api, home, today)
        if e["case_id"]:
            home.case_id = e["case_id"]
            api.tally.add("cases_from_outreach", False)
            return
        r = await api.post("coordination", f"/v1/outreach/{home.engagement_id}/case", {}, agency=ag.outreach_agency)
        home.case_id = r.json()["case_id"]
        api.tally.add("cases_from_outreach", True)

    await api.each([home for home in homes if home.engagement_id], one)


async def work_cases(api: Api, ag: Agencies, homes: list[Home], today: date) -> None:
    """Team, lead, assessment and a draft plan, as far as each case's stage goes."""
    await api.each([home for home in homes if home.case_id], lambda home: _work(api, ag, home, today))


async def _work(api: Api, ag: Agencies, home: Home, today: date) -> None:
    h, desk = home.h, ag.collaboration_desk
    path = f"/v1/cases/{home.case_id}"
    api.tally.facts[f"stage:{home.stage}"] += 1
    if home.stage in ("referred", "desk"):
        return  # just opened: nobody has picked it up yet (the no-lead clock runs)
    case = await api.get("coordination", path, agency=desk)
    had_lead = case["lead_agency_id"] is not None
    team = {m["agency_id"]: m for m in case["team"]}
    for agency, role in h.invite:
        member = team.get(agency)
        if member is None:
            r = await api.post("coordination", f"{path}/team/invitations", {"agency_id": agency, "role": role},
                               agency=desk, allow=(409,))
            member = {"state": "invited"} if r.status_code == 201 or slug(r) == "already-on-team" else None
            if member is None:  # a lead invitation once a lead exists: invite as a field supporter
                await api.post("coordination", f"{path}/team/invitations",
                               {"agency_id": agency, "role": "field_supporter"}, agency=desk)
                member = {"state": "invited"}
        if member["state"] == "invited":
            await api.post("coordination", f"{path}/team/accept", agency=agency)
            api.tally.add("team_members_joined", True)
        else:
            api.tally.add("team_members_joined", False)
    case = await api.get("coordination", path, agency=desk)
    lead = case["lead_agency_id"]
    if lead is None:
        lead = h.lead if h.lead in {m["agency_id"] for m in case["team"] if m["state"] == "active"} else desk
        await api.post("coordination", f"{path}/team/lead", {"agency_id": lead}, agency=desk)
    api.tally.add("leads", not had_lead)
    h.lead = lead
    status = case["status"]
    if status == "referred":
        await move(api, home, "assessing", "assessment_started")
        status = "assessing"
    await assess(api, home)
    if home.stage in ("assessing", "shien_kaigi"):
        return
    if status == "assessing":
        await move(api, home, "planning", "assessment_completed")
    await draft_plan(api, home, today)


async def move(api: Api, home: Home, to: str, reason: str, **extra: Any) -> None:
    """Move the case (by its lead); a move already made is a 409 and counts as found."""
    r = await api.post("coordination", f"/v1/cases/{home.case_id}/status", {"to": to, "reason_code": reason, **extra},
                       agency=home.h.lead, allow=(409,))
    api.tally.add(f"cases_moved_to_{to}", r.status_code == 200)


async def assess(api: Api, home: Home) -> None:
    h = home.h
    path = f"/v1/cases/{home.case_id}/assessments"
    if await api.get("coordination", path, agency=h.lead, params={"versions": "latest"}):
        api.tally.add("assessments", False)
        return
    fields: dict[str, list[str]] = {}
    for code in dict.fromkeys(c for m in h.members for c in m.concern_codes):
        field = CONCERN_LABELS[Concern(code)][2] if code in Concern.__members__ else "other"
        fields.setdefault(field, []).append(code)
    body = {"needs": [{"field": f, "codes": codes} for f, codes in fields.items()],
            "strengths": [STRENGTHS[(h.index + k) % len(STRENGTHS)] for k in range(2)],
            "wishes": h.goals[0] if h.goals else "今の暮らしを続けたい", "wishes_language": "ja",
            "risks": [{"code": "isolation", "level": "medium"}]}
    await api.post("coordination", path, body, agency=h.lead)
    api.tally.add("assessments", True)


async def draft_plan(api: Api, home: Home, today: date) -> None:
    """The case's latest plan version, or a draft of one (goals in the person's words)."""
    h = home.h
    path = f"/v1/cases/{home.case_id}/plans"
    plans = await api.get("coordination", path, agency=h.lead)
    if plans:
        plan = plans[-1]
        api.tally.add("plans", False)
    else:
        start = today - timedelta(days=7)
        body = {"goals": [{"text": g, "in_persons_words": True} for g in h.goals] or
                [{"text": "安心して暮らしたい", "in_persons_words": True}],
                "actions": [{"description": d, "responsible_agency_id": a, "field": f, "start_on": start.isoformat(),
                             "review_on": (start + timedelta(days=90)).isoformat()} for d, a, f in h.actions] or
                [{"description": "定期的な面談", "responsible_agency_id": h.lead, "field": "other",
                  "start_on": start.isoformat()}],
                "start_on": start.isoformat()}
        r = await api.post("coordination", path, body, agency=h.lead)
        plan = r.json()
        api.tally.add("plans", created(r))
    note_plan(home, plan)


def note_plan(home: Home, plan: dict[str, Any]) -> None:
    home.plan_id, home.plan_status = plan["id"], plan["status"]
    home.proposed_meeting_id = plan.get("proposed_meeting_id")
    home.participation_action_id = next((a["id"] for a in plan["actions"] if a["field"] == "participation"), None)


def rank(status: str) -> int:
    return ORDER.index(status)
