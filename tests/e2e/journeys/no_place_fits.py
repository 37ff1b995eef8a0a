"""Journey 3: no place fits. A participation request finds nothing; the gap need reaches
community development; a project produces a new place; participation offers it as an
opportunity and proposes it to the waiting request, which is accepted."""

from __future__ import annotations

from typing import Any

from tests.e2e.journeys.support import (
    NPO,
    SELF_RELIANCE,
    SHAKYO,
    Journey,
    assert_one_trace,
    assert_ordered_per_key,
    assert_private,
    ce_id,
    keyed,
    topic,
    until,
)
from tests.support.clock import today
from tests.support.e2e import journey_trace

HOME = "SK-S-01"  # 南小学校区: centroid 34.955, 136.895


def request_body() -> dict[str, Any]:
    """A man in his forties who speaks Portuguese and uses a wheelchair, looking for somewhere
    to spend the day near home."""
    return {
        "needs": ["daytime_place", "isolation"], "preferences": ["place_to_be"],
        "required_accommodations": ["wheelchair_access"], "languages": ["pt"], "area_code": HOME,
        "travel_km": 2.0, "current_step": None, "max_step": "place_to_be",
        "availability": [{"weekdays": [0, 2, 4], "start_hour": 10, "end_hour": 15}], "age_band": "40-44",
    }


def place_body() -> dict[str, Any]:
    return {
        "name": "みなみ多文化カフェ", "kind": "ibasho", "description": "ポルトガル語でも話せる昼の居場所。段差なし",
        "area_code": HOME, "lat": 34.9562, "lon": 136.8961,
        "address": {"postal_code": "999-0205", "city": "桜ヶ丘市", "line1": "南町4丁目7-1"},
        "schedule": [{"weekday": 0, "start_hour": 10, "end_hour": 14}, {"weekday": 2, "start_hour": 10,
                                                                       "end_hour": 14}],
        "for_ages": ["all"], "accessibility": ["wheelchair_access", "quiet_space"], "languages": ["ja", "pt"],
        "capacity": 6, "contact": {"name": "代表 シルバ", "phone": "0561-77-5012"},
    }


async def run(journey: Journey) -> None:
    requester, shakyo, npo = journey.agency(SELF_RELIANCE), journey.agency(SHAKYO), journey.agency(NPO)
    on = today().isoformat()

    with journey_trace("no place fits") as trace_id:
        # --- the only place nearby cannot take him (stairs, Japanese only) --------------------------
        unfit = await npo.post("participation", "/v1/opportunities", {
            "kind": "place_to_be", "title": "南町ひだまり（二階）", "area_code": HOME, "lat": 34.9555, "lon": 136.8948,
            "capacity": 5, "schedule": [{"weekday": 0, "start_hour": 10, "end_hour": 12}],
            "accommodations": ["quiet_space"], "languages": ["ja"], "status": "open"})

        # --- the self-reliance centre asks; nothing fits: the request waits with a gap need ----------
        request = await requester.post("participation", "/v1/requests", request_body(),
                                       headers={"Idempotency-Key": f"e2e-gap-{trace_id}"})
        request_id = request["id"]
        assert (request["status"], request["owner_agency_id"]) == ("waiting", SELF_RELIANCE)
        assert (await requester.get("participation", f"/v1/requests/{request_id}/matches"))["matches"] == []
        summary = await requester.get("participation", "/v1/gap-needs/summary", area_code=HOME)
        assert {(i["need"], i["recorded"], i["waiting"]) for i in summary["items"]} == {
            ("daytime_place", 1, 1), ("isolation", 1, 1)}
        await npo.refused("GET", "participation", f"/v1/requests/{request_id}", 404)  # providers see no requests

        # --- the gap need reaches community: codes and an area, no person --------------------------
        gaps = await until(lambda: shakyo.get("community", "/v1/gap-needs", area_code=HOME),
                           lambda g: len(g) == 1, "the gap need reaching community")
        gap = gaps[0]
        assert (gap["need_codes"], gap["wanted_kinds"], gap["accommodations"], gap["languages"]) == (
            ["daytime_place", "isolation"], ["place_to_be"], ["wheelchair_access"], ["pt"])
        assert gap["development_id"] is None
        groups = await shakyo.get("community", "/v1/gap-needs/groups", area_code="SK-S")
        assert {(g["area_code"], g["need_code"], g["open"]) for g in groups} == {
            (HOME, "daytime_place", 1), (HOME, "isolation", 1)}

        # --- a development project with a local association produces a new place --------------------
        association = await shakyo.post("community", "/v1/organisations", {
            "name": "みなと日伯交流会", "kind": "volunteer_group", "area_code": "SK-S",
            "offers": ["space", "volunteers"],
            "contact": {"name": "事務局 サントス", "phone": "0561-77-3300"}})
        project = await shakyo.post("community", "/v1/developments", {
            "title": "南小学校区に誰でも行ける昼の居場所を", "area_code": "SK-S",
            "from_group": {"area_code": HOME, "need_code": "daytime_place"},
            "organisation_ids": [association["id"]]})
        project_id = project["id"]
        assert project["status"] == "idea" and [g["id"] for g in project["gap_needs"]] == [gap["id"]]
        for stage in ("talks", "trial"):
            moved = await shakyo.post("community", f"/v1/developments/{project_id}/status", {"status": stage},
                                      status=200)
            assert moved["status"] == stage
        place = await shakyo.post("community", f"/v1/developments/{project_id}/places", place_body())
        assert place["development_id"] == project_id

        # --- it becomes an opportunity, proposed to the waiting request --------------------------
        found = await until(lambda: requester.get("participation", f"/v1/requests/{request_id}"),
                            lambda r: r["status"] == "proposed", "the waiting request matched")
        assert found["case_id"] is None
        [match] = await requester.get("participation", f"/v1/requests/{request_id}/proposals")
        assert (match["proposed_by"], match["status"]) == ("system", "proposed")
        opportunity = await requester.get("participation", f"/v1/opportunities/{match['opportunity_id']}")
        assert (opportunity["source"], opportunity["source_place_id"], opportunity["development_id"]) == (
            "community", place["id"], project_id)
        assert opportunity["kind"] == "place_to_be" and opportunity["accommodations"] == ["quiet_space",
                                                                                          "wheelchair_access"]
        assert opportunity["id"] != unfit["id"]
        summary = await requester.get("participation", "/v1/gap-needs/summary", area_code=HOME)
        assert {(i["need"], i["waiting"], i["matched"]) for i in summary["items"]} == {
            ("daytime_place", 0, 1), ("isolation", 0, 1)}

        # --- he accepts; the project sees the place it produced in use -----------------------------
        placement = await requester.post("participation", f"/v1/matches/{match['id']}/accept", {"started_on": on})
        assert placement["status"] == "active" and placement["opportunity_id"] == opportunity["id"]
        produced = await until(
            lambda: shakyo.get("community", f"/v1/developments/{project_id}"),
            lambda p: bool(p["produced"] and p["produced"][0]["opportunities"]
                           and p["produced"][0]["opportunities"][0]["placements_started"] == 1),
            "the placement counted on the project")
        [made] = produced["produced"]
        assert made["place"]["id"] == place["id"]
        assert made["opportunities"] == [{"id": opportunity["id"], "kind": "place_to_be", "area_code": HOME,
                                          "status": "open", "matches_proposed": 1, "placements_started": 1}]
        assert [g["id"] for g in produced["gap_needs"]] == [gap["id"]]

    # --- the events: in order per key, and no personal data ---------------------------------------
    participation = await topic(journey, "kasane.participation.v1", lambda rs: len(keyed(rs, request_id)) >= 2,
                                "participation's events")
    community = await topic(journey, "kasane.community.v1", lambda rs: len(keyed(rs, project_id)) >= 4,
                            "community's events")
    assert_ordered_per_key(participation, {
        unfit["id"]: ["participation.opportunity.published"],
        gap["id"]: ["participation.gap_need.recorded"],
        opportunity["id"]: ["participation.opportunity.published"],
        request_id: ["participation.match.proposed", "participation.placement.started"],
    })
    assert_ordered_per_key(community, {
        association["id"]: ["community.organisation.joined"],
        project_id: ["community.development.opened", "community.development.status_changed",
                     "community.development.status_changed", "community.development.produced"],
        place["id"]: ["community.place.published"],
    })
    assert_private({"participation": participation, "community": community}, journey)

    # --- one trace from the first request to community counting the placement -------------------------
    started = keyed(participation, request_id)[-1]
    await assert_one_trace(
        journey.system, trace_id,
        processes={"participation-api", "participation-worker", "community-api", "community-worker"},
        first=("participation-api", "POST /v1/opportunities"),
        consumers={("community-worker", "kasane.participation.v1"),
                   ("participation-worker", "kasane.community.v1")},
        last=("community-worker", ce_id(started)),
    )
