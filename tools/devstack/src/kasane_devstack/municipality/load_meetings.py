"""Meetings, chaired by the collaboration desk, one per daily-life area:

* a 重層的支援会議 held last week approves the plans of the cases being supported (their
  leads propose them; the consent of each household must have reached coordination first);
* a 重層的支援会議 in two weeks has the plans of the cases still in planning on its agenda;
* a 支援会議 (Art. 106-6) discusses the cases without consent; each member acknowledges the
  duty of confidentiality first, and the meeting decides to continue the case.

Meetings are created only when a case needs one, so a second run creates none.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from kasane_devstack.municipality.agencies import Agencies
from kasane_devstack.municipality.api import Api
from kasane_devstack.municipality.load_cases import note_plan
from kasane_devstack.municipality.load_intake import Home

APPROVE = ("supported", "monitoring", "ended")
JUSOU, SHIEN = "jusou_shien_kaigi", "shien_kaigi"
PER_MEETING = 40


async def load(api: Api, ag: Agencies, homes: list[Home], today: date) -> None:
    by_area: dict[str, list[Home]] = defaultdict(list)
    for home in homes:
        if home.case_id and (home.plan_id or home.stage == "shien_kaigi"):
            by_area[ag.daily_life_area(home.h.area_code)].append(home)
    await api.each(sorted(by_area.items()), lambda item: _area(api, ag, item[0], item[1], today))


async def _area(api: Api, ag: Agencies, area: str, homes: list[Home], today: date) -> None:
    approve = [x for x in homes if x.stage in APPROVE and x.plan_status in ("draft", "proposed")]
    for group in _chunks(approve):
        await _plans(api, ag, area, group, today - timedelta(days=7), hold=True)
    api.tally.add("plans_awaiting_a_meeting", False,
                  sum(1 for x in homes if x.stage == "planning" and x.plan_status == "proposed"))
    later = [x for x in homes if x.stage == "planning" and x.plan_status == "draft"]
    for group in _chunks(later):
        await _plans(api, ag, area, group, today + timedelta(days=14), hold=False)
    for group in _chunks([x for x in homes if x.stage == "shien_kaigi"]):
        await _shien_kaigi(api, ag, area, group, today - timedelta(days=5))


def _chunks(homes: list[Home]) -> list[list[Home]]:
    """A meeting takes a few dozen cases (its record takes at most 100 decisions)."""
    return [homes[i:i + PER_MEETING] for i in range(0, len(homes), PER_MEETING)]


async def _meeting(api: Api, ag: Agencies, kind: str, area: str, on: date, members: set[str]) -> dict[str, Any]:
    chair = ag.collaboration_desk
    r = await api.post("coordination", "/v1/meetings", {
        "kind": kind, "scheduled_on": on.isoformat(), "area_code": area,
        "member_agency_ids": sorted(members - {chair})}, agency=chair)
    api.tally.add("meetings", True)
    return r.json()


async def _members(api: Api, ag: Agencies, meeting: dict[str, Any], wanted: set[str]) -> dict[str, Any]:
    have = {m["agency_id"] for m in meeting["members"]}
    for agency in sorted(wanted - have):
        r = await api.post("coordination", f"/v1/meetings/{meeting['id']}/members", {"agency_id": agency},
                           agency=ag.collaboration_desk)
        meeting = r.json()
    return meeting


async def _plans(api: Api, ag: Agencies, area: str, homes: list[Home], on: date, *, hold: bool) -> None:
    """Propose each draft to one meeting (the one a proposal already went to, else a new one), then hold it."""
    if not homes:
        return
    chair = ag.collaboration_desk
    leads = {x.h.lead for x in homes if x.h.lead}
    meeting_id = next((x.proposed_meeting_id for x in homes if x.plan_status == "proposed"), None)
    if meeting_id is None:
        meeting = await _meeting(api, ag, JUSOU, area, on, leads)
    else:
        meeting = await api.get("coordination", f"/v1/meetings/{meeting_id}", agency=chair)
        api.tally.add("meetings", False)
        if meeting["status"] == "held":
            return
    meeting = await _members(api, ag, meeting, leads)

    async def propose(home: Home) -> None:
        if home.plan_status != "draft":
            return
        await api.until(lambda: _consent_in_force(api, home), "the household's consent to reach coordination")
        r = await api.post("coordination", f"/v1/cases/{home.case_id}/plans/{home.plan_id}/propose",
                           {"meeting_id": meeting["id"]}, agency=home.h.lead)
        note_plan(home, r.json())
        if not hold:
            api.tally.add("plans_awaiting_a_meeting", True)

    await api.each(homes, propose)
    if not hold:
        return
    meeting = await api.get("coordination", f"/v1/meetings/{meeting['id']}", agency=chair)
    decisions = [{"case_id": item["case_id"], "decision": "approve_plan", "plan_id": p["plan_id"]}
                 for item in meeting["agenda"] or [] for p in item["proposed_plans"] if p["status"] == "proposed"]
    attendees = [{"agency_id": m["agency_id"], "role": "chair" if m["agency_id"] == chair else "member"}
                 for m in meeting["members"]]
    await api.post("coordination", f"/v1/meetings/{meeting['id']}/held", {
        "held_on": on.isoformat(), "attendees": attendees, "decisions": decisions,
        "minutes": "各ケースの支援プランを確認し、承認した。（デモの生成データ）"}, agency=chair)
    api.tally.add("plans_approved", True, len(decisions))
    for home in homes:
        home.plan_status = "approved"


async def _consent_in_force(api: Api, home: Home) -> bool:
    case = await api.get("coordination", f"/v1/cases/{home.case_id}", agency=home.h.lead)
    return bool(case["consent_in_force"])


async def _shien_kaigi(api: Api, ag: Agencies, area: str, homes: list[Home], on: date) -> None:
    """Cases without consent go before a 支援会議 (once: a case on a held one is done)."""
    if not homes:
        return
    chair = ag.collaboration_desk
    discussed: set[str] = set()
    open_meeting = None
    for summary in await api.get("coordination", "/v1/meetings", agency=chair):
        if summary["kind"] != SHIEN:
            continue
        meeting = await _acknowledged(api, chair, summary["id"])
        if meeting["area_code"] != area:
            continue
        cases = {item["case_id"] for item in meeting["agenda"] or []}
        if meeting["status"] == "held":
            discussed |= cases
        elif open_meeting is None:
            open_meeting = meeting
    todo = [x for x in homes if x.case_id not in discussed]
    api.tally.add("cases_at_a_shien_kaigi", False, len(homes) - len(todo))
    if not todo:
        return
    members = {x.h.desk for x in todo} | {x.h.lead for x in todo if x.h.lead} | {chair}
    if open_meeting is None:
        open_meeting = await _meeting(api, ag, SHIEN, area, on, members)
    else:
        api.tally.add("meetings", False)
    meeting = await _members(api, ag, open_meeting, members)
    for m in meeting["members"]:
        await _acknowledged(api, m["agency_id"], meeting["id"])
    meeting = await api.get("coordination", f"/v1/meetings/{meeting['id']}", agency=chair)
    on_agenda = {item["case_id"] for item in meeting["agenda"] or []}
    with_material = {m["case_id"] for m in await api.get("coordination", f"/v1/meetings/{meeting['id']}/materials",
                                                          agency=chair)}
    for home in todo:
        if home.case_id not in on_agenda:
            await api.post("coordination", f"/v1/meetings/{meeting['id']}/agenda", {"case_id": home.case_id},
                           agency=chair)
        if home.case_id not in with_material:
            await api.post("coordination", f"/v1/meetings/{meeting['id']}/materials",
                           {"case_id": home.case_id, "content": "世帯の状況と見守り体制の共有（デモの生成データ）"},
                           agency=chair)
    await api.post("coordination", f"/v1/meetings/{meeting['id']}/held", {
        "held_on": min(on, date.fromisoformat(meeting["scheduled_on"])).isoformat(),
        "attendees": [{"agency_id": m["agency_id"], "role": "chair" if m["agency_id"] == chair else "member"}
                      for m in meeting["members"]],
        "decisions": [{"case_id": x.case_id, "decision": "continue_case"} for x in todo],
        "minutes": "同意のない世帯について、見守りと関わり方を協議した。（デモの生成データ）"}, agency=chair)
    api.tally.add("cases_at_a_shien_kaigi", True, len(todo))


async def _acknowledged(api: Api, agency: str, meeting_id: str) -> dict[str, Any]:
    """The meeting as ``agency`` sees it, after acknowledging the confidentiality duty if needed."""
    meeting = await api.get("coordination", f"/v1/meetings/{meeting_id}", agency=agency)
    if meeting["confidential"] and not meeting["acknowledged"] and meeting["status"] != "held":
        meeting = (await api.post("coordination", f"/v1/meetings/{meeting_id}/acknowledgements", agency=agency)).json()
    return meeting
