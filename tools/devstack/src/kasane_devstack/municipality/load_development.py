"""Resource development (地域づくり): the gap needs nothing answered reach community, the
social welfare council opens a project from them, talks lead to a trial, the project
publishes the place it produced, participation makes it an opportunity and proposes it to
the waiting requests by itself, the coordinator places them, and the project runs.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from kasane_devstack.municipality.agencies import Agencies
from kasane_devstack.municipality.api import Api, created
from kasane_devstack.municipality.directory import Development
from kasane_devstack.municipality.load_directory import DirectoryIds
from kasane_devstack.municipality.load_intake import Home
from kasane_devstack.municipality.load_support import follow_ups

FORWARD = ["idea", "talks", "trial", "running"]


async def load(api: Api, ag: Agencies, d: Development, ids: DirectoryIds, homes: list[Home], seed: int,
               today: date) -> dict[str, Any] | None:
    """The project, once there are gap needs for it; returns it as community shows it."""
    keeper, coordinator = ag.shakyo, ag.coordinators[0]
    waiting = [x for x in homes if x.request_status in ("waiting", "proposed")
               and x.h.participation and x.h.participation.gap == "develop"]
    projects = await api.pages("community", "/v1/developments", agency=keeper, params={"area_code": d.area_code})
    project = next((p for p in projects if p["title"] == d.title), None)
    if project is None:
        if not waiting:
            return None
        n = sum(1 for x in waiting if x.request_status == "waiting")
        gap_ids = await api.until(lambda: _gap_needs(api, keeper, d.area_code, n),
                                  "the gap needs to reach community")
        body = {"title": d.title, "area_code": d.area_code, "gap_need_ids": gap_ids,
                "organisation_ids": [ids.orgs[k] for k in d.orgs if k in ids.orgs],
                "coordinator_id": ids.coordinators.get(d.coordinator),
                "description": "電話が苦手な人も予約なしで通える、昼間の静かな居場所をつくる。"}
        r = await api.post("community", "/v1/developments", body, agency=keeper, key=f"demo-{seed}-development")
        api.tally.add("developments", created(r))
        project_id = r.json()["id"]
    else:
        api.tally.add("developments", False)
        project_id = project["id"]
    path = f"/v1/developments/{project_id}"
    dev = await api.get("community", path, agency=keeper)
    for stage in ("talks", "trial"):
        if FORWARD.index(dev["status"]) < FORWARD.index(stage):
            dev = (await api.post("community", f"{path}/status", {"status": stage, "reason_code": "host_found"},
                                  agency=keeper)).json()
    if not dev["produced"]:
        body = {**d.place, "organisation_id": ids.orgs.get("farm"), "capacity": max(10, len(waiting) + 2)}
        r = await api.post("community", f"{path}/places", body, agency=keeper, key=f"demo-{seed}-development-place")
        api.tally.add("places_produced", created(r))
        place_id = r.json()["id"]
    else:
        api.tally.add("places_produced", False)
        place_id = dev["produced"][0]["place"]["id"]
    opportunity = await api.until(lambda: _opportunity(api, coordinator, d.place["area_code"], place_id),
                                  "participation to offer the new place")
    for home in waiting:
        await _place(api, coordinator, home, opportunity["id"], today)
    dev = await api.get("community", path, agency=keeper)
    if dev["status"] == "trial":
        dev = (await api.post("community", f"{path}/status", {"status": "running", "reason_code": "in_use"},
                              agency=keeper)).json()
    return dev


async def _gap_needs(api: Api, keeper: str, area: str, wanted: int) -> list[str] | None:
    """The open gap needs in the area that ask for no phone calls, once all have arrived."""
    needs = await api.get("community", "/v1/gap-needs", agency=keeper, params={"area_code": area, "open_only": "true"})
    mine = [n["id"] for n in needs if "no_phone_calls" in n["accommodations"] and n["development_id"] is None]
    return mine if len(mine) >= wanted else None


async def _opportunity(api: Api, agency: str, area: str, place_id: str) -> dict[str, Any] | None:
    page = await api.get("participation", "/v1/opportunities", agency=agency,
                         params={"area_code": area, "kind": "place_to_be", "limit": 200})
    return next((o for o in page["items"] if o["source_place_id"] == place_id), None)


async def _place(api: Api, coordinator: str, home: Home, opportunity_id: str, today: date) -> None:
    """Accept participation's own proposal of the new place to the waiting request."""
    rid, h = home.request_id, home.h

    async def proposed() -> dict[str, Any] | None:
        request = await api.get("participation", f"/v1/requests/{rid}", agency=coordinator)
        if request["status"] == "placed":
            return {"placed": True}
        for m in await api.get("participation", f"/v1/requests/{rid}/proposals", agency=coordinator):
            if m["opportunity_id"] == opportunity_id and m["status"] == "proposed":
                return m
        return None

    m = await api.until(proposed, "participation to propose the new place to the waiting requests")
    if m.get("placed"):
        api.tally.add("placements_at_the_new_place", False)
    else:
        api.tally.add("proposals_by_the_system", True)
        r = await api.post("participation", f"/v1/matches/{m['id']}/accept", {"started_on": today.isoformat()},
                           agency=coordinator, key=f"demo-{h.seed}-accept-{h.index}-new-place")
        api.tally.add("placements_at_the_new_place", created(r))
    home.request_status = "placed"
    await follow_ups(api, coordinator, h.seed, h.index, rid, today)
