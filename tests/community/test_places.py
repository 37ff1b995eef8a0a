"""Places over HTTP against real PostgreSQL and Kafka: publishing, changing and closing a
place emits the event participation turns into an opportunity, never with its name,
address or contact point."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from kasane_shared.contracts.community import PlaceChanged, PlaceClosed, PlacePublished

from tests.community.helpers import (
    auth,
    community,
    events_until,
    organisation_body,
    personal_values,
    place_body,
)
from tests.support.privacy import assert_no_personal_data
from tests.support.service_env import ServiceEnv
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
async def svc(stack: TestStack) -> AsyncIterator[ServiceEnv]:
    async with community(stack, "places") as env:
        yield env


async def _counts(svc: ServiceEnv) -> tuple[int, int, int]:
    return (await svc.pool.fetchval("SELECT count(*) FROM places"),
            await svc.pool.fetchval("SELECT count(*) FROM activities"),
            await svc.pool.fetchval("SELECT count(*) FROM outbox"))


async def test_place_published_changed_and_closed_emit_facts_without_name_or_address(
    stack: TestStack, svc: ServiceEnv,
) -> None:
    headers = auth(stack)
    org_body = organisation_body()
    org = (await svc.client.post("/v1/organisations", json=org_body, headers=headers)).json()
    body = place_body(organisation_id=org["id"])
    r = await svc.client.post("/v1/places", json=body, headers=headers)
    assert r.status_code == 201, r.text
    place = r.json()
    assert (place["status"], place["name"], place["address"]["line1"]) == ("open", "ひだまりカフェ", "北町一丁目2-3")
    place_id = place["id"]

    # facts and directory-only fields together: one place.changed, without the new name
    change = {"name": "ひだまり食堂", "capacity": 20, "schedule": [{"weekday": 3, "start_hour": 17, "end_hour": 20}],
              "contact": {"name": "担当 鈴木一郎", "phone": "0561-33-4444"}}
    r = await svc.client.patch(f"/v1/places/{place_id}", json=change, headers=headers)
    assert r.status_code == 200 and r.json()["name"] == "ひだまり食堂" and r.json()["version"] == 2
    # a directory-only change (the address) is no news for participation: no event
    moved = {"address": {"postal_code": "999-0013", "city": "桜ヶ丘市", "line1": "北町二丁目5-8"}}
    assert (await svc.client.patch(f"/v1/places/{place_id}", json=moved, headers=headers)).status_code == 200
    r = await svc.client.post(f"/v1/places/{place_id}/close", headers=headers)
    assert r.status_code == 200 and r.json()["status"] == "closed" and r.json()["closed_at"]
    again = await svc.client.post(f"/v1/places/{place_id}/close", headers=headers)
    assert again.status_code == 200  # closing twice is not a second event

    async with svc.worker(consumer=False):
        # the relay sends in commit order: once place.closed is out, everything before it is
        events = await events_until(svc, lambda evs: (PlaceClosed.event_type, place_id) in {(t, k) for t, k, _ in evs})
    mine = [(t, data) for t, key, data in events if key == place_id]
    assert [t for t, _ in mine] == [PlacePublished.event_type, PlaceChanged.event_type, PlaceClosed.event_type]
    published, changed, closed = (data for _, data in mine)
    assert published["facts"] == {
        "kind": "ibasho", "area_code": "SK-N-01", "lat": 35.048, "lon": 136.892, "organisation_id": org["id"],
        "schedule": [{"weekday": 1, "start_hour": 10, "end_hour": 15}], "for_ages": ["15-19", "20-24", "25-29"],
        "for_fields": ["youth"], "accessibility": ["quiet_space"], "languages": ["ja", "pt"], "capacity": 12,
        "status": "open",
    }
    assert published["development_id"] is None
    assert changed["facts"]["capacity"] == 20 and changed["facts"]["schedule"][0]["weekday"] == 3
    assert closed == {"place_id": place_id}
    records = await svc.read("kasane.community.v1")
    sent = [*personal_values(org_body, body, change, moved), "北町二丁目5-8", "999-0013"]
    assert assert_no_personal_data(records, sent) >= 4


async def test_a_closed_place_cannot_change_and_its_activities_close(stack: TestStack, svc: ServiceEnv) -> None:
    headers = auth(stack)
    place = (await svc.client.post("/v1/places", json=place_body("サロン桜"), headers=headers)).json()
    r = await svc.client.post("/v1/activities", headers=headers, json={
        "place_id": place["id"], "name": "お茶会", "kind": "salon",
        "schedule": [{"weekday": 2, "start_hour": 14, "end_hour": 16}]})
    assert r.status_code == 201, r.text
    activity = r.json()
    listed = (await svc.client.get("/v1/activities", params={"place_id": place["id"]}, headers=headers)).json()
    assert [a["id"] for a in listed["items"]] == [activity["id"]]
    await svc.client.post(f"/v1/places/{place['id']}/close", headers=headers)
    r = await svc.client.patch(f"/v1/places/{place['id']}", json={"capacity": 3}, headers=headers)
    assert r.status_code == 409 and r.headers["content-type"] == PROBLEM
    assert (await svc.client.get(f"/v1/activities/{activity['id']}", headers=headers)).json()["status"] == "closed"
    r = await svc.client.post("/v1/activities", headers=headers,
                              json={"place_id": place["id"], "name": "体操", "kind": "exercise"})
    assert r.status_code == 409


@pytest.mark.parametrize(("patch", "field"), [
    ({"area_code": "SK-X-99"}, "area_code"),
    ({"schedule": [{"weekday": 1, "start_hour": 15, "end_hour": 10}]}, "schedule.0"),
    ({"schedule": [{"weekday": 7, "start_hour": 9, "end_hour": 10}]}, "schedule.0.weekday"),
    ({"organisation_id": "00000000-0000-4000-8000-000000000000"}, "organisation_id"),
    ({"for_ages": ["teenagers"]}, "for_ages.0"),
    ({"accessibility": ["lift"]}, "accessibility.0"),
    ({"kind": "bar"}, "kind"),
    ({"contact": {"phone": "call me"}}, "contact.phone"),
    ({"address": {"postal_code": "9990012x", "city": "桜ヶ丘市", "line1": "北町"}}, "address.postal_code"),
    ({"name": ""}, "name"),
    ({"nickname": "x"}, "nickname"),
])
async def test_bad_input_is_422_naming_the_field_and_stores_nothing(
    stack: TestStack, svc: ServiceEnv, patch: dict, field: str,
) -> None:
    before = await _counts(svc)
    r = await svc.client.post("/v1/places", json=place_body(**patch), headers=auth(stack))
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, r.text
    assert field in [e["field"] for e in r.json()["errors"]]
    assert await _counts(svc) == before


async def test_only_the_keeping_agency_changes_a_place_and_reads_need_a_token(
    stack: TestStack, svc: ServiceEnv,
) -> None:
    place = (await svc.client.post("/v1/places", json=place_body("北の居場所"), headers=auth(stack))).json()
    other = auth(stack, "sk-npo-ibasho", "places:write", "directory:read")
    r = await svc.client.patch(f"/v1/places/{place['id']}", json={"capacity": 1}, headers=other)
    assert r.status_code == 403 and r.json()["type"].endswith("/not-keeper")
    assert (await svc.client.post(f"/v1/places/{place['id']}/close", headers=other)).status_code == 403
    # it is directory information: every agency with directory:read sees it, nobody anonymous
    assert (await svc.client.get(f"/v1/places/{place['id']}", headers=other)).status_code == 200
    assert (await svc.client.get(f"/v1/places/{place['id']}")).status_code == 401
    read_only = auth(stack, "sk-npo-ibasho", "directory:read")
    assert (await svc.client.post("/v1/places", json=place_body(), headers=read_only)).status_code == 403
    missing = "00000000-0000-4000-8000-000000000001"
    assert (await svc.client.get(f"/v1/places/{missing}", headers=other)).status_code == 404


async def test_a_retried_publish_returns_the_first_place_and_one_event(stack: TestStack, svc: ServiceEnv) -> None:
    headers = {**auth(stack), "Idempotency-Key": "place-retry-1"}
    body = place_body("港の子ども食堂", kind="kodomo_shokudo", area_code="SK-S-02")
    first = await svc.client.post("/v1/places", json=body, headers=headers)
    again = await svc.client.post("/v1/places", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again.headers.get("Idempotent-Replayed") == "true"
    assert await svc.pool.fetchval("SELECT count(*) FROM places WHERE name = $1", body["name"]) == 1
    assert await svc.pool.fetchval("SELECT count(*) FROM outbox WHERE aggregate_id = $1", first.json()["id"]) == 1


async def test_places_list_by_area_includes_the_areas_below(stack: TestStack, svc: ServiceEnv) -> None:
    headers = auth(stack)
    east = (await svc.client.post("/v1/places", json=place_body("東の農園", kind="community_farm",
                                                                  area_code="SK-E-02"), headers=headers)).json()
    r = await svc.client.get("/v1/places", params={"area_code": "SK-E", "limit": 1}, headers=headers)
    assert [p["id"] for p in r.json()["items"]] == [east["id"]]
    assert r.json()["next_cursor"]
    nxt = await svc.client.get("/v1/places", params={"area_code": "SK-E", "cursor": r.json()["next_cursor"]},
                               headers=headers)
    assert nxt.json()["items"] == [] and nxt.json()["next_cursor"] is None
    bad = await svc.client.get("/v1/places", params={"area_code": "SK-Q"}, headers=headers)
    error = bad.json()["errors"][0]
    assert bad.status_code == 422 and (error["field"], error["in"]) == ("area_code", "query")


async def test_organisations_and_coordinators_are_kept_by_their_agency(stack: TestStack, svc: ServiceEnv) -> None:
    headers = auth(stack)
    org = (await svc.client.post("/v1/organisations", json=organisation_body("桜台大学 地域連携室",
                                                                             kind="university"),
                                 headers=headers)).json()
    r = await svc.client.patch(f"/v1/organisations/{org['id']}", json={"offers": ["volunteers", "expertise"]},
                               headers=headers)
    assert r.status_code == 200 and r.json()["offers"] == ["volunteers", "expertise"]
    other = auth(stack, "sk-npo-ibasho", "organisations:write", "coordinators:write", "directory:read")
    assert (await svc.client.patch(f"/v1/organisations/{org['id']}", json={"name": "x"},
                                   headers=other)).status_code == 403
    listed = await svc.client.get("/v1/organisations", params={"offer": "expertise"}, headers=other)
    assert [o["id"] for o in listed.json()["items"]] == [org["id"]]
    coordinator = (await svc.client.post("/v1/coordinators", headers=headers, json={
        "display_name": "エリアディレクター", "role": "area_director", "agency_id": "sk-jusou-suishin",
        "area_codes": ["SK-C", "SK"]})).json()
    assert coordinator["area_codes"] == ["SK", "SK-C"] and coordinator["agency_id"] == "sk-jusou-suishin"
    assert (await svc.client.put(f"/v1/coordinators/{coordinator['id']}/areas", json={"area_codes": ["SK-E"]},
                                 headers=other)).status_code == 403
    bad = await svc.client.post("/v1/coordinators", headers=headers, json={
        "display_name": "x", "role": "csw", "area_codes": ["SK-N", "SK-NOWHERE"]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "area_codes.1"
    areas = (await svc.client.get("/v1/areas", headers=other)).json()
    north = next(a for a in areas if a["code"] == "SK-N")
    assert (north["kind"], north["parent"], north["children"]) == ("daily_life_area", "SK", ["SK-N-01", "SK-N-02"])
