"""Resource development end to end inside community: gap needs from participation's
events are grouped, a coordinator opens a project from a group with the organisations
involved, tracks it to running, it produces a place (place.published with the project's
id, and development.produced), participation's opportunity made of that place and the
people matched there show on the project."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date

import pytest
from kasane_shared.contracts.community import (
    DevelopmentOpened,
    DevelopmentProducedResource,
    DevelopmentStatusChanged,
    PlacePublished,
)
from kasane_shared.contracts.participation import (
    GapNeedRecorded,
    MatchProposed,
    OpportunityFacts,
    OpportunityPublished,
    PlacementStarted,
)

from tests.community.helpers import (
    auth,
    community,
    community_events,
    events_until,
    organisation_body,
    place_body,
)
from tests.support.kafka import eventually
from tests.support.service_env import ServiceEnv
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def svc(stack: TestStack) -> AsyncIterator[ServiceEnv]:
    async with community(stack, "developments") as env:
        yield env


def _gap(area: str, *needs: str, **over: object) -> GapNeedRecorded:
    return GapNeedRecorded(gap_need_id=uuid.uuid4(), area_code=area, need_codes=list(needs),
                           wanted_kinds=["place_to_be"], **over)


async def _groups(svc: ServiceEnv, headers: dict[str, str], area: str) -> list[dict]:
    return (await svc.client.get("/v1/gap-needs/groups", params={"area_code": area}, headers=headers)).json()


async def test_gap_needs_become_a_project_that_produces_a_place_where_people_are_matched(
    stack: TestStack, svc: ServiceEnv,
) -> None:
    headers = auth(stack)
    kita_1 = _gap("SK-N-01", "daytime_place", "young_adult", languages=["ja"])
    kita_2 = _gap("SK-N-01", "daytime_place", accommodations=["quiet_space"], languages=["pt"])
    sakuradai = _gap("SK-N-02", "daytime_place")
    async with svc.worker():
        for gap in (kita_1, kita_2, sakuradai):
            await svc.publish(gap)
        groups = await eventually(lambda: _groups(svc, headers, "SK-N"), lambda g: sum(x["open"] for x in g) == 4,
                                  what="gap needs grouped")
        top = groups[0]
        assert (top["area_code"], top["need_code"], top["open"]) == ("SK-N-01", "daytime_place", 2)
        assert set(top["open_gap_need_ids"]) == {str(kita_1.gap_need_id), str(kita_2.gap_need_id)}
        assert top["languages"] == {"ja": 1, "pt": 1} and top["accommodations"] == {"quiet_space": 1}

        org = (await svc.client.post("/v1/organisations", json=organisation_body(), headers=headers)).json()
        cafe = (await svc.client.post("/v1/organisations", headers=headers,
                                      json=organisation_body("喫茶さくら", kind="shop", offers=["space"]))).json()
        csw = (await svc.client.post("/v1/coordinators", headers=headers, json={
            "display_name": "CSW 北部担当", "role": "csw", "area_codes": ["SK-N"]})).json()
        r = await svc.client.post("/v1/developments", headers=headers, json={
            "title": "北小学校区に昼の居場所を", "area_code": "SK-N",
            "from_group": {"area_code": "SK-N-01", "need_code": "daytime_place"},
            "gap_need_ids": [str(sakuradai.gap_need_id)],
            "organisation_ids": [org["id"], cafe["id"]], "coordinator_id": csw["id"]})
        assert r.status_code == 201, r.text
        project = r.json()
        assert project["status"] == "idea" and project["next_statuses"] == ["talks", "trial", "running", "dropped"]
        assert {g["id"] for g in project["gap_needs"]} == {str(g.gap_need_id) for g in (kita_1, kita_2, sakuradai)}
        assert project["need_codes"][0] == "daytime_place"
        assert {o["id"] for o in project["organisations"]} == {org["id"], cafe["id"]}
        assert all(g["open"] == 0 for g in await _groups(svc, headers, "SK-N"))

        # a gap need is taken up by one live project at a time
        taken = await svc.client.post("/v1/developments", headers=headers, json={
            "title": "another", "area_code": "SK-N", "gap_need_ids": [str(kita_1.gap_need_id)]})
        assert taken.status_code == 409 and taken.json()["gap_need_ids"] == [str(kita_1.gap_need_id)]
        # nothing is produced from an idea
        early = await svc.client.post(f"/v1/developments/{project['id']}/places", json=place_body(), headers=headers)
        assert early.status_code == 409

        for stage in ("talks", "trial", "running"):
            r = await svc.client.post(f"/v1/developments/{project['id']}/status", json={"status": stage},
                                      headers=headers)
            assert r.status_code == 200 and r.json()["status"] == stage
        back = await svc.client.post(f"/v1/developments/{project['id']}/status", json={"status": "trial"},
                                     headers=headers)
        assert back.status_code == 409 and back.json()["allowed"] == ["dropped"]

        r = await svc.client.post(f"/v1/developments/{project['id']}/places", headers=headers,
                                  json=place_body("ひるまのひだまり", organisation_id=cafe["id"]))
        assert r.status_code == 201, r.text
        place = r.json()
        assert place["development_id"] == project["id"]

        # participation makes an opportunity of the place and matches the waiting request
        opportunity_id = uuid.uuid4()
        request_id = uuid.uuid4()
        await svc.publish(OpportunityPublished(opportunity_id=opportunity_id, facts=OpportunityFacts(
            kind="place_to_be", area_code="SK-N-01", capacity=12, status="open", source_place_id=place["id"])))
        await svc.publish(MatchProposed(match_id=uuid.uuid4(), request_id=request_id, opportunity_id=opportunity_id,
                                        kind="place_to_be", score=0.8))
        await svc.publish(PlacementStarted(placement_id=uuid.uuid4(), request_id=request_id,
                                           opportunity_id=opportunity_id, kind="place_to_be", area_code="SK-N-01",
                                           started_on=date(2026, 3, 2)))

        async def produced() -> list[dict]:
            r = await svc.client.get(f"/v1/developments/{project['id']}", headers=headers)
            return r.json()["produced"]

        shown = await eventually(produced, lambda p: bool(p and p[0]["opportunities"]
                                                           and p[0]["opportunities"][0]["placements_started"] == 1),
                                 what="the opportunity and its placement on the project")
        assert shown[0]["place"]["id"] == place["id"] and shown[0]["place"]["name"] == "ひるまのひだまり"
        assert shown[0]["opportunities"][0] == {"id": str(opportunity_id), "kind": "place_to_be",
                                                "area_code": "SK-N-01", "status": "open", "matches_proposed": 1,
                                                "placements_started": 1}
        events = await community_events(svc, at_least=9)

    mine = [(t, key, data) for t, key, data in events if key in (project["id"], place["id"])]
    opened = next(d for t, _, d in mine if t == DevelopmentOpened.event_type)
    assert set(opened["gap_need_ids"]) == {str(g.gap_need_id) for g in (kita_1, kita_2, sakuradai)}
    assert set(opened["organisation_ids"]) == {org["id"], cafe["id"]} and opened["area_code"] == "SK-N"
    moves = [(d["from_status"], d["to_status"]) for t, _, d in mine if t == DevelopmentStatusChanged.event_type]
    assert moves == [("idea", "talks"), ("talks", "trial"), ("trial", "running")]
    published = next(d for t, _, d in mine if t == PlacePublished.event_type)
    assert published["development_id"] == project["id"] and published["facts"]["organisation_id"] == cafe["id"]
    credited = next(d for t, _, d in mine if t == DevelopmentProducedResource.event_type)
    assert credited["produced"] == {"place_id": place["id"], "opportunity_id": None}

    history = (await svc.client.get(f"/v1/developments/{project['id']}", headers=headers)).json()["history"]
    assert [h["to_status"] for h in history] == ["idea", "talks", "trial", "running"]
    listed = (await svc.client.get("/v1/developments", params={"area_code": "SK-N"}, headers=headers)).json()
    assert [(d["id"], d["gap_needs"], d["produced"]) for d in listed["items"]] == [(project["id"], 3, 1)]


async def test_a_redelivered_gap_need_changes_nothing(stack: TestStack, svc: ServiceEnv) -> None:
    headers = auth(stack)
    gap = _gap("SK-E-01", "night_meal")
    later = _gap("SK-E-01", "night_meal")
    async with svc.worker():
        event_id = await svc.publish(gap)
        await eventually(lambda: _groups(svc, headers, "SK-E-01"), lambda g: len(g) == 1 and g[0]["gap_needs"] == 1)
        stats_before = await _gap_stats(svc)
        await svc.publish(gap, event_id=event_id)  # the same ce_id again
        # the same gap need with a new ce_id (participation republished it) is stored once too
        await svc.publish(gap)
        await svc.publish(later, key=str(gap.gap_need_id))  # same partition: handled after the repeats
        groups = await eventually(lambda: _groups(svc, headers, "SK-E-01"), lambda g: g and g[0]["gap_needs"] == 2)
    assert groups[0]["open_gap_need_ids"] == [str(gap.gap_need_id), str(later.gap_need_id)]
    assert await svc.pool.fetchval("SELECT count(*) FROM inbox WHERE event_id = $1", event_id) == 1
    # counted once: the redelivery and the republished fact added nothing, the later one one
    assert stats_before == {"total": 1, "night_meal": 1}
    assert await _gap_stats(svc) == {"total": 2, "night_meal": 2}


async def _gap_stats(svc: ServiceEnv) -> dict[str, int]:
    rows = await svc.pool.fetch("SELECT code, sum(count) AS n FROM stat_counts WHERE area_code = 'SK-E-01'"
                                " AND metric = 'gap_needs_recorded' GROUP BY code")
    return {r["code"]: r["n"] for r in rows}


async def test_a_dropped_project_releases_its_gap_needs(stack: TestStack, svc: ServiceEnv) -> None:
    headers = auth(stack)
    gap = _gap("SK-S-01", "transport")
    async with svc.worker():
        await svc.publish(gap)
        await eventually(lambda: _groups(svc, headers, "SK-S-01"), lambda g: len(g) == 1)
    r = await svc.client.post("/v1/developments", headers=headers, json={
        "title": "送迎ボランティア", "area_code": "SK-S", "gap_need_ids": [str(gap.gap_need_id)]})
    project = r.json()
    assert project["need_codes"] == ["transport"]
    other = auth(stack, "sk-npo-ibasho", "developments:write", "developments:read")
    assert (await svc.client.post(f"/v1/developments/{project['id']}/status", json={"status": "talks"},
                                  headers=other)).status_code == 403
    r = await svc.client.post(f"/v1/developments/{project['id']}/status",
                              json={"status": "dropped", "reason_code": "no_host"}, headers=headers)
    assert r.status_code == 200 and r.json()["next_statuses"] == []
    assert r.json()["gap_needs"][0]["id"] == str(gap.gap_need_id)  # the project still shows what it answered
    assert (await _groups(svc, headers, "SK-S-01"))[0]["open"] == 1
    assert r.json()["history"][-1]["reason_code"] == "no_host"


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"title": "x", "area_code": "SK-N"}, 422, "need_codes"),
    ({"title": "x", "area_code": "SK-Z", "need_codes": ["meal"]}, 422, "area_code"),
    ({"title": "x", "area_code": "SK-N", "gap_need_ids": [str(uuid.uuid4())]}, 422, "gap_need_ids"),
    ({"title": "x", "area_code": "SK-N", "need_codes": ["meal"], "organisation_ids": [str(uuid.uuid4())]}, 422,
     "organisation_ids"),
    ({"title": "x", "area_code": "SK-N", "need_codes": ["Meal!"]}, 422, "need_codes.0"),
    ({"title": "x", "area_code": "SK-N", "from_group": {"area_code": "SK-N-01", "need_code": "nothing_here"}},
     422, "from_group"),
])
async def test_a_project_that_cannot_be_opened_is_refused_with_nothing_stored(
    stack: TestStack, svc: ServiceEnv, body: dict, status: int, field: str,
) -> None:
    before = await svc.pool.fetchval("SELECT count(*) FROM developments")
    r = await svc.client.post("/v1/developments", json=body, headers=auth(stack))
    assert r.status_code == status and field in [e["field"] for e in r.json()["errors"]], r.text
    assert await svc.pool.fetchval("SELECT count(*) FROM developments") == before


async def test_a_gap_need_outside_the_project_area_is_refused(stack: TestStack, svc: ServiceEnv) -> None:
    headers = auth(stack)
    gap = _gap("SK-C-02", "study_space")
    async with svc.worker():
        await svc.publish(gap)
        await eventually(lambda: _groups(svc, headers, "SK-C-02"), lambda g: len(g) == 1)
    r = await svc.client.post("/v1/developments", headers=headers, json={
        "title": "x", "area_code": "SK-N", "gap_need_ids": [str(gap.gap_need_id)]})
    assert r.status_code == 422 and "outside" in r.json()["detail"]
    assert (await _groups(svc, headers, "SK-C-02"))[0]["open"] == 1


async def test_a_project_is_credited_with_an_opportunity_or_an_existing_place(
    stack: TestStack, svc: ServiceEnv,
) -> None:
    headers = auth(stack)
    shop = (await svc.client.post("/v1/organisations", headers=headers,
                                  json=organisation_body("パン工房みなと", kind="shop", offers=["jobs"]))).json()
    project = (await svc.client.post("/v1/developments", headers=headers, json={
        "title": "パン工房で就労体験", "area_code": "SK-S", "need_codes": ["work_trial"],
        "organisation_ids": [shop["id"]]})).json()
    await svc.client.post(f"/v1/developments/{project['id']}/status", json={"status": "trial"}, headers=headers)
    trial = uuid.uuid4()  # an employment trial participation set up with the shop directly
    unknown = await svc.client.post(f"/v1/developments/{project['id']}/resources",
                                    json={"opportunity_id": str(trial)}, headers=headers)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "opportunity_id"
    async with svc.worker():
        await svc.publish(OpportunityPublished(opportunity_id=trial, facts=OpportunityFacts(
            kind="employment_trial", area_code="SK-S-02", capacity=2, status="open")))

        async def credit() -> int:
            r = await svc.client.post(f"/v1/developments/{project['id']}/resources",
                                      json={"opportunity_id": str(trial)}, headers=headers)
            return r.status_code

        assert await eventually(credit, lambda s: s == 200, what="the opportunity known and credited") == 200
        existing = (await svc.client.post("/v1/places", headers=headers,
                                          json=place_body("港のたまり場", area_code="SK-S-02"))).json()
        r = await svc.client.post(f"/v1/developments/{project['id']}/resources", json={"place_id": existing["id"]},
                                  headers=headers)
        assert r.status_code == 200
        again = await svc.client.post(f"/v1/developments/{project['id']}/resources",
                                      json={"place_id": existing["id"]}, headers=headers)
        assert again.status_code == 200  # already credited: the same answer, no second event
        events = await events_until(svc, lambda evs: len(_produced(evs, project["id"])) >= 2)
    produced = _produced(events, project["id"])
    assert produced == [{"place_id": None, "opportunity_id": str(trial)},
                        {"place_id": existing["id"], "opportunity_id": None}]
    view = again.json()
    assert [p["opportunity_id"] for p in view["produced"]] == [str(trial), None]
    assert view["produced"][0]["opportunities"][0]["kind"] == "employment_trial"
    assert view["produced"][1]["place"]["id"] == existing["id"]
    place = (await svc.client.get(f"/v1/places/{existing['id']}", headers=headers)).json()
    assert place["development_id"] == project["id"]
    other = (await svc.client.post("/v1/developments", headers=headers, json={
        "title": "別の事業", "area_code": "SK-S", "need_codes": ["work_trial"]})).json()
    await svc.client.post(f"/v1/developments/{other['id']}/status", json={"status": "running"}, headers=headers)
    clash = await svc.client.post(f"/v1/developments/{other['id']}/resources", json={"place_id": existing["id"]},
                                  headers=headers)
    assert clash.status_code == 409
    both = await svc.client.post(f"/v1/developments/{other['id']}/resources", headers=headers,
                                 json={"place_id": existing["id"], "opportunity_id": str(trial)})
    assert both.status_code == 422


def _produced(events: list[tuple[str, str, dict]], project_id: str) -> list[dict]:
    return [d["produced"] for t, key, d in events if key == project_id and t == DevelopmentProducedResource.event_type]


async def test_a_project_changes_its_organisations_and_coordinator_without_an_event(
    stack: TestStack, svc: ServiceEnv,
) -> None:
    headers = auth(stack)
    org = (await svc.client.post("/v1/organisations", json=organisation_body("東町内会", kind="residents_association"),
                                 headers=headers)).json()
    project = (await svc.client.post("/v1/developments", headers=headers, json={
        "title": "東部の見守り", "area_code": "SK-E", "need_codes": ["watching_over"]})).json()
    outbox_before = await svc.pool.fetchval("SELECT count(*) FROM outbox")
    r = await svc.client.patch(f"/v1/developments/{project['id']}", headers=headers,
                               json={"title": "東部の見守りネットワーク", "organisation_ids": [org["id"]]})
    assert r.status_code == 200
    assert r.json()["title"] == "東部の見守りネットワーク"
    assert [o["id"] for o in r.json()["organisations"]] == [org["id"]]
    assert await svc.pool.fetchval("SELECT count(*) FROM outbox") == outbox_before
    bad = await svc.client.patch(f"/v1/developments/{project['id']}", headers=headers,
                                 json={"coordinator_id": str(uuid.uuid4())})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "coordinator_id"
    assert (await svc.client.get(f"/v1/developments/{uuid.uuid4()}", headers=headers)).status_code == 404
