"""The directory export over HTTP validates against the HSDS 3 schemas shipped with the
tests, and every community event on Kafka is free of the names, addresses and contact
points sent to the API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from kasane_shared.contracts.community import (
    CoordinatorAssigned,
    DevelopmentOpened,
    DevelopmentProducedResource,
    DevelopmentStatusChanged,
    OrganisationJoined,
    PlaceChanged,
    PlaceClosed,
    PlacePublished,
)
from kasane_shared.events.streams import COMMUNITY

from tests.community.helpers import (
    auth,
    community,
    decoded,
    events_until,
    organisation_body,
    personal_values,
    place_body,
)
from tests.community.hsds_schema import problems
from tests.support.privacy import assert_no_personal_data
from tests.support.service_env import ServiceEnv
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def svc(stack: TestStack) -> AsyncIterator[ServiceEnv]:
    async with community(stack, "directory") as env:
        yield env


async def test_the_directory_export_is_valid_hsds(stack: TestStack, svc: ServiceEnv) -> None:
    headers = auth(stack)
    org = (await svc.client.post("/v1/organisations", json=organisation_body(website="https://hidamari.example.jp"),
                                 headers=headers)).json()
    bare_org = (await svc.client.post("/v1/organisations", headers=headers,
                                      json={"name": "北町自治会", "kind": "residents_association"})).json()
    cafe = (await svc.client.post("/v1/places", json=place_body(organisation_id=org["id"]), headers=headers)).json()
    salon = (await svc.client.post("/v1/places", headers=headers, json={
        "name": "いきいきサロン", "kind": "salon", "area_code": "SK-C", "status": "paused"})).json()
    gone = (await svc.client.post("/v1/places", json=place_body("閉じた居場所"), headers=headers)).json()
    await svc.client.post(f"/v1/places/{gone['id']}/close", headers=headers)
    activity = (await svc.client.post("/v1/activities", headers=headers, json={
        "place_id": cafe["id"], "name": "ポルトガル語でおしゃべり", "kind": "conversation",
        "schedule": [{"weekday": 5, "start_hour": 13, "end_hour": 15}]})).json()

    r = await svc.client.get("/v1/directory/hsds", headers=auth(stack, "sk-kyoiku", "directory:read"))
    assert r.status_code == 200, r.text
    doc = r.json()
    assert problems(doc) == []
    assert doc["hsds_version"] == "3.0"
    assert {o["id"] for o in doc["organizations"]} == {org["id"], bare_org["id"]}
    services = {s["id"]: s for s in doc["services"]}
    assert set(services) == {cafe["id"], salon["id"], activity["id"]}  # the closed place is not listed
    assert services[salon["id"]]["status"] == "temporarily closed"
    assert services[cafe["id"]]["organization_id"] == org["id"]
    location = next(loc for loc in doc["locations"] if loc["name"] == "ひだまりカフェ")
    assert location["addresses"][0]["address_1"] == "北町一丁目2-3"
    assert (location["latitude"], location["longitude"]) == (35.048, 136.892)
    assert services[activity["id"]]["service_at_locations"][0]["location_id"] == location["id"]
    days = sorted((s["service_id"], s["byday"], s["opens_at"]) for s in doc["schedules"])
    assert days == sorted([(cafe["id"], "TU", "10:00+09:00"), (activity["id"], "SA", "13:00+09:00")])
    exported = await svc.pool.fetchval("SELECT count(*) FROM audit_log WHERE action = 'export'")
    assert exported == 1


async def test_the_directory_is_not_readable_anonymously_or_without_the_scope(
    stack: TestStack, svc: ServiceEnv,
) -> None:
    assert (await svc.client.get("/v1/directory/hsds")).status_code == 401
    assert (await svc.client.get("/v1/directory/hsds",
                                 headers=auth(stack, "sk-kyoiku", "stats:read"))).status_code == 403


async def test_community_events_carry_no_personal_data(stack: TestStack, svc: ServiceEnv) -> None:
    headers = auth(stack)
    org_body = organisation_body("株式会社さくら商店", kind="shop", offers=["jobs"],
                                 contact={"name": "店長 田中次郎", "phone": "0561-55-6677",
                                          "email": "tanaka@example.jp"})
    org = (await svc.client.post("/v1/organisations", json=org_body, headers=headers)).json()
    coordinator_body = {"display_name": "生活支援コーディネーター 高橋美咲", "role": "seikatsu_shien_coordinator",
                        "area_codes": ["SK-S"], "contact": {"phone": "0561-77-8899", "email": "takahashi@example.jp"}}
    coordinator = (await svc.client.post("/v1/coordinators", json=coordinator_body, headers=headers)).json()
    r = await svc.client.put(f"/v1/coordinators/{coordinator['id']}/areas", json={"area_codes": ["SK-S", "SK-S-02"]},
                             headers=headers)
    assert r.status_code == 200 and r.json()["area_codes"] == ["SK-S", "SK-S-02"]
    covering = await svc.client.get("/v1/coordinators", params={"area_code": "SK-S-01"}, headers=headers)
    assert [c["id"] for c in covering.json()["items"]] == [coordinator["id"]]  # SK-S covers its districts
    development_body = {"title": "港地区で就労体験の場をつくる", "description": "田中さんの店で週2回",
                        "area_code": "SK-S", "need_codes": ["work_trial"], "organisation_ids": [org["id"]],
                        "coordinator_id": coordinator["id"]}
    project = (await svc.client.post("/v1/developments", json=development_body, headers=headers)).json()
    await svc.client.post(f"/v1/developments/{project['id']}/status", json={"status": "trial"}, headers=headers)
    place = place_body("さくら商店の作業スペース", kind="community_farm", area_code="SK-S-02",
                       address={"postal_code": "999-0300", "city": "桜ヶ丘市", "line1": "港町4-5-6"},
                       contact={"name": "田中次郎", "phone": "0561-55-6677"})
    produced = await svc.client.post(f"/v1/developments/{project['id']}/places", json=place, headers=headers)
    assert produced.status_code == 201, produced.text
    change = {"name": "さくら作業所", "capacity": 4}
    await svc.client.patch(f"/v1/places/{produced.json()['id']}", json=change, headers=headers)
    await svc.client.post(f"/v1/places/{produced.json()['id']}/close", headers=headers)

    place_id = produced.json()["id"]
    async with svc.worker(consumer=False):
        # the place's last event (closed) and the coordinator's second assignment are out
        await events_until(svc, lambda evs: (PlaceClosed.event_type, place_id) in {(t, k) for t, k, _ in evs}
                           and sum(k == coordinator["id"] for _, k, _ in evs) == 2)
        records = await svc.read(COMMUNITY.name)
    types = {t for t, _, _ in decoded(records)}
    assert types >= {OrganisationJoined.event_type, CoordinatorAssigned.event_type, DevelopmentOpened.event_type,
                     DevelopmentStatusChanged.event_type, PlacePublished.event_type,
                     DevelopmentProducedResource.event_type, PlaceChanged.event_type, PlaceClosed.event_type}
    assigned = [d for t, key, d in decoded(records) if t == CoordinatorAssigned.event_type
                and key == coordinator["id"]]
    assert [d["area_codes"] for d in assigned] == [["SK-S"], ["SK-S", "SK-S-02"]]
    sent = personal_values(org_body, coordinator_body, development_body, place, change)
    sent += ["田中次郎", "0561-55-6677", "港町4-5-6", "高橋美咲", "0561-77-8899", "takahashi@example.jp"]
    assert assert_no_personal_data(records, sent) == len(records) >= 10
