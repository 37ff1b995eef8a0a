"""After the plans are approved: monitoring, ended cases, outreach to the withdrawn child of
an 8050 household, participation requests from the plans (coordination), then matches,
proposals, placements and follow-ups (participation). A request nothing fits waits and
records a gap need by itself.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from kasane_shared.contracts.codes import age_band

from kasane_devstack.municipality.agencies import Agencies
from kasane_devstack.municipality.api import Api, created, slug
from kasane_devstack.municipality.load_cases import contacts, move
from kasane_devstack.municipality.load_intake import Home

ACTIVE = ("approved", "under_review")  # an approved plan in force, under review (モニタリング) or not
FOLLOW_UP_CODES = ["going_well", "going_well", "struggling", "considering_next_step"]
FOLLOW_UP_NOTES = ["表情が明るくなってきた。", "休みがちだが本人は続けたい様子。", "次の段階に興味を示している。"]


async def load(api: Api, ag: Agencies, homes: list[Home], today: date) -> None:
    await api.each([x for x in homes if x.case_id and x.plan_status in ACTIVE],
                   lambda home: _after_approval(api, ag, home, today))


async def _after_approval(api: Api, ag: Agencies, home: Home, today: date) -> None:
    h = home.h
    case = await api.get("coordination", f"/v1/cases/{home.case_id}", agency=h.lead)
    if home.stage == "monitoring" and case["status"] == "in_support":
        plan = await api.get("coordination", f"/v1/cases/{home.case_id}/plans/{home.plan_id}", agency=h.lead)
        if plan["status"] == "approved":
            await api.post("coordination", f"/v1/cases/{home.case_id}/plans/{home.plan_id}/review", agency=h.lead)
        await move(api, home, "monitoring", "review_started")
    elif home.stage == "monitoring":
        api.tally.add("cases_moved_to_monitoring", False)
    if home.stage == "ended":
        if case["status"] != "ended":
            await move(api, home, "ended", "goals_met", outcome_code="resolved", ended_on=today.isoformat())
        else:
            api.tally.add("cases_moved_to_ended", False)
    if h.case_outreach is not None and h.case_outreach in home.persons:
        await _case_outreach(api, ag, home, today)
    if h.participation is not None and home.participation_action_id and h.participation.member in home.persons:
        await _request(api, home, today)


async def _case_outreach(api: Api, ag: Agencies, home: Home, today: date) -> None:
    """The team reaches out to the withdrawn child, at the child's pace (an engagement on the case)."""
    h, agency = home.h, ag.outreach_agency
    engagements = await api.get("coordination", "/v1/outreach", agency=agency, params={"limit": 200})
    mine = [e for e in engagements if e["case_id"] == home.case_id and e["referral_id"] is None]
    if mine:
        engagement_id = mine[0]["id"]
        api.tally.add("outreach_engagements", False)
    else:
        member = h.members[h.case_outreach or 0]
        r = await api.post("coordination", "/v1/outreach", {
            "case_id": home.case_id, "household_id": home.household_id, "person_id": home.persons[h.case_outreach or 0],
            "area_code": h.area_code, "age_band": age_band(member.birth_date, today),
            "reason_code": "long_term_withdrawal", "started_on": (today - timedelta(days=60)).isoformat()},
            agency=agency)
        engagement_id = r.json()["id"]
        api.tally.add("outreach_engagements", True)
    await contacts(api, engagement_id, agency, "building_relationship", today)


async def _request(api: Api, home: Home, today: date) -> None:
    """Ask participation support from the plan's participation action (once)."""
    h, p = home.h, home.h.participation
    assert p is not None
    path = f"/v1/cases/{home.case_id}/participation-requests"
    existing = await api.get("coordination", path, agency=h.lead)
    if existing:
        home.request_id = existing[0]["id"]
        api.tally.add("participation_requests", False)
        return
    member = h.members[p.member]
    body = {"plan_id": home.plan_id, "action_id": home.participation_action_id, "person_id": home.persons[p.member],
            "needs": p.needs, "preferences": p.preferences, "required_accommodations": p.required_accommodations,
            "languages": p.languages, "area_code": h.area_code, "travel_km": p.travel_km,
            "current_step": p.current_step, "max_step": p.max_step, "availability": p.availability,
            "age_band": age_band(member.birth_date, today)}
    r = await api.post("coordination", path, body, agency=h.lead, key=f"demo-{h.seed}-participation-{h.index}")
    home.request_id = r.json()["id"]
    api.tally.add("participation_requests", created(r))


async def participation(api: Api, ag: Agencies, homes: list[Home], today: date) -> None:
    """Each request as participation's coordinator handles it: look, propose, and place."""
    coordinator = ag.coordinators[0]
    targets = [x for x in homes if x.request_id]

    async def arrived(home: Home) -> dict[str, Any]:
        return await api.until(
            lambda: api.get("participation", f"/v1/requests/{home.request_id}", agency=coordinator, allow=(404,)),
            "participation requests to reach participation")

    requests = await api.each(targets, arrived)
    for home, request in zip(targets, requests, strict=True):  # one at a time: they compete for places
        await _place(api, coordinator, home, request, today)


async def _place(api: Api, coordinator: str, home: Home, request: dict[str, Any], today: date) -> None:
    h, p = home.h, home.h.participation
    assert p is not None
    rid = request["id"]
    home.request_status = request["status"]
    api.tally.facts[f"request:{request['status']}"] += 1
    if request["status"] == "waiting":
        return  # nothing fits: participation recorded a gap need
    if request["status"] == "open" and p.outcome != "look":
        for attempt in range(3):
            match_id = await _propose(api, coordinator, h, rid)
            if match_id is None or p.outcome != "accept":
                break
            started = today - timedelta(days=min(p.started_days_ago, 40))
            r = await api.post("participation", f"/v1/matches/{match_id}/accept", {"started_on": started.isoformat()},
                               agency=coordinator, key=f"demo-{h.seed}-accept-{h.index}-{attempt}", allow=(409,))
            if r.status_code == 201:
                api.tally.add("placements", created(r))
                break
            if slug(r) != "no-free-place":
                break
    elif request["status"] == "proposed" and p.outcome == "accept":
        live = [m for m in await api.get("participation", f"/v1/requests/{rid}/proposals", agency=coordinator)
                if m["status"] == "proposed"]
        if live:
            r = await api.post("participation", f"/v1/matches/{live[0]['id']}/accept",
                               {"started_on": today.isoformat()}, agency=coordinator,
                               key=f"demo-{h.seed}-accept-{h.index}-p", allow=(409,))
            api.tally.add("placements", created(r))
    elif request["status"] in ("placed", "proposed"):
        api.tally.add("placements" if request["status"] == "placed" else "proposals", False)
    await follow_ups(api, coordinator, h.seed, h.index, rid, today)


async def _propose(api: Api, coordinator: str, h: Any, rid: str) -> str | None:
    """Propose the best-ranked opportunity that still fits; the match's id."""
    ranked = await api.get("participation", f"/v1/requests/{rid}/matches", agency=coordinator, params={"limit": 5})
    for m in ranked["matches"]:
        if m["proposed_match_id"]:
            return m["proposed_match_id"]
        r = await api.post("participation", f"/v1/requests/{rid}/proposals", {"opportunity_id": m["opportunity"]["id"]},
                           agency=coordinator, key=f"demo-{h.seed}-proposal-{h.index}-{m['opportunity']['id']}",
                           allow=(422,))
        if r.status_code == 201:
            api.tally.add("proposals", created(r))
            return r.json()["id"]
    return None


async def follow_ups(api: Api, coordinator: str, seed: int, index: int, rid: str, today: date) -> None:
    """Record the follow-ups (定着支援) that fell due."""
    for placement in await api.get("participation", "/v1/placements", agency=coordinator, params={"request_id": rid}):
        for n, f in enumerate(placement["follow_ups"]):
            if f["done_on"] is not None:
                api.tally.add("follow_ups", False)
                continue
            if f["due_on"] is None or date.fromisoformat(f["due_on"]) > today:
                continue
            body = {"followed_up_on": f["due_on"], "follow_up_id": f["id"],
                    "status_code": FOLLOW_UP_CODES[(index + n) % len(FOLLOW_UP_CODES)],
                    "note": FOLLOW_UP_NOTES[(index + n) % len(FOLLOW_UP_NOTES)] + "（生成データ）"}
            r = await api.post("participation", f"/v1/placements/{placement['id']}/follow-ups", body,
                               agency=coordinator, key=f"demo-{seed}-follow-up-{f['id']}")
            api.tally.add("follow_ups", created(r))
