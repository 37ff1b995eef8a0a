"""The opportunity and request APIs: validation names the field and leaves nothing behind,
idempotent POSTs, drafts and owners, scopes, pagination."""

from __future__ import annotations

import itertools

import pytest

from tests.participation.helpers import (
    COORDINATOR,
    OTHER_PROVIDER,
    PROVIDER,
    SPEC,
    Api,
    opportunity_body,
    request_body,
)
from tests.support.service_env import service_env
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration
_n = itertools.count()


@pytest.mark.parametrize(("change", "field"), [
    ({"area_code": "ZZ-404"}, "area_code"),
    ({"capacity": 0}, "capacity"),
    ({"kind": "party"}, "kind"),
    ({"schedule": [{"weekday": 7, "start_hour": 10, "end_hour": 12}]}, "schedule.0.weekday"),
    ({"schedule": [{"weekday": 1, "start_hour": 14, "end_hour": 12}]}, "schedule.0"),
    ({"lat": 35.0, "lon": None}, ""),
    ({"accommodations": ["Quiet Space!"]}, "accommodations.0"),
    ({"for_ages": ["adults"]}, "for_ages.0"),
    ({"status": "full"}, "status"),
])
async def test_a_bad_opportunity_is_refused_naming_the_field(stack: TestStack, change: dict, field: str) -> None:
    async with service_env(stack, SPEC, f"p_bad_opp_{next(_n)}") as svc:
        api = Api(svc)
        body = {**opportunity_body(), **change}
        r = await svc.client.post("/v1/opportunities", json=body, headers=api.auth(PROVIDER))
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert field in [e["field"] for e in r.json()["errors"]]
        assert await svc.pool.fetchval("SELECT count(*) FROM opportunities") == 0
        assert await svc.pool.fetchval("SELECT count(*) FROM outbox") == 0


@pytest.mark.parametrize(("change", "field"), [
    ({"area_code": "ZZ-404"}, "area_code"),
    ({"travel_km": 0}, "travel_km"),
    ({"travel_km": 500}, "travel_km"),
    ({"current_step": "astronaut"}, "current_step"),
    ({"availability": [{"weekdays": [9], "start_hour": 10, "end_hour": 12}]}, "availability.0"),
    ({"age_band": "forty"}, "age_band"),
    ({"name": "山田太郎"}, "name"),
])
async def test_a_bad_request_is_refused_naming_the_field(stack: TestStack, change: dict, field: str) -> None:
    async with service_env(stack, SPEC, f"p_bad_req_{next(_n)}") as svc:
        api = Api(svc)
        r = await svc.client.post("/v1/requests", json={**request_body(), **change}, headers=api.auth())
        assert r.status_code == 422, r.text
        assert field in [e["field"] for e in r.json()["errors"]]
        assert "山田" not in r.text  # a rejected value is never echoed back
        assert await svc.pool.fetchval("SELECT count(*) FROM participation_requests") == 0


async def test_opportunity_lifecycle_drafts_owners_and_idempotency(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "p_opp_life") as svc:
        api = Api(svc)
        headers = {**api.auth(PROVIDER), "Idempotency-Key": "post-opp-1"}
        body = opportunity_body(status="draft", title="下書き")
        first = await svc.client.post("/v1/opportunities", json=body, headers=headers)
        again = await svc.client.post("/v1/opportunities", json=body, headers=headers)
        assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
        draft = first.json()
        assert await svc.pool.fetchval("SELECT count(*) FROM opportunities") == 1
        assert await api.outbox_types() == []  # a draft is not published
        # other agencies do not see another's draft, nor can they match to it
        await api.get(f"/v1/opportunities/{draft['id']}", agency=OTHER_PROVIDER, status=404)
        assert (await api.get("/v1/opportunities", agency=OTHER_PROVIDER))["items"] == []
        request = await api.request()
        assert request["status"] == "waiting"  # the draft does not count

        r = await svc.client.patch(f"/v1/opportunities/{draft['id']}", json={"status": "open"},
                                   headers=api.auth(OTHER_PROVIDER))
        assert r.status_code == 404
        opened = await svc.client.patch(f"/v1/opportunities/{draft['id']}", json={"status": "open"},
                                        headers=api.auth(PROVIDER))
        assert opened.status_code == 200 and opened.json()["status"] == "open"
        # opening it published it and proposed it to the request that was waiting
        assert await api.outbox_types() == ["gap_need.recorded", "opportunity.published", "match.proposed"]
        assert (await api.get(f"/v1/requests/{request['id']}"))["status"] == "proposed"

        r = await svc.client.patch(f"/v1/opportunities/{draft['id']}", json={"capacity": 5},
                                   headers=api.auth(OTHER_PROVIDER))
        assert r.status_code == 403
        r = await svc.client.patch(f"/v1/opportunities/{draft['id']}", json={"title": "本番", "capacity": 5},
                                   headers=api.auth(PROVIDER))
        assert r.json()["title"] == "本番" and r.json()["version"] == 3
        assert (await api.outbox_types())[-1] == "opportunity.changed"
        title_only = await svc.client.patch(f"/v1/opportunities/{draft['id']}", json={"title": "本番2"},
                                            headers=api.auth(PROVIDER))
        assert title_only.status_code == 200
        assert (await api.outbox_types()).count("opportunity.changed") == 1  # a title is not a fact events carry
        closed = await svc.client.patch(f"/v1/opportunities/{draft['id']}", json={"status": "closed"},
                                        headers=api.auth(PROVIDER))
        assert closed.json()["status"] == "closed"
        r = await svc.client.patch(f"/v1/opportunities/{draft['id']}", json={"status": "open"},
                                   headers=api.auth(PROVIDER))
        assert r.status_code == 409
        r = await svc.client.post("/v1/opportunities", json=opportunity_body(),
                                  headers=api.auth(PROVIDER, "opportunities:read"))
        assert r.status_code == 403


async def test_capacity_cannot_drop_below_the_places_taken(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "p_opp_capacity") as svc:
        api = Api(svc)
        place = await api.opportunity(capacity=2)
        for _ in range(2):
            request = await api.request()
            await api.accept((await api.propose(request["id"], place["id"]))["id"])
        r = await svc.client.patch(f"/v1/opportunities/{place['id']}", json={"capacity": 1},
                                   headers=api.auth(PROVIDER))
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "capacity"
        grown = await svc.client.patch(f"/v1/opportunities/{place['id']}", json={"capacity": 3},
                                       headers=api.auth(PROVIDER))
        assert (grown.json()["status"], grown.json()["free_seats"]) == ("open", 1)


async def test_lists_page_with_cursors_and_requests_are_scoped(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "p_lists") as svc:
        api = Api(svc)
        made = [(await api.opportunity(capacity=i + 1))["id"] for i in range(5)]
        seen, cursor = [], None
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await svc.client.get("/v1/opportunities", params=params, headers=api.auth())).json()
            seen += [o["id"] for o in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == made
        bad = await svc.client.get("/v1/opportunities", params={"cursor": "nonsense"}, headers=api.auth())
        assert bad.status_code == 400
        mine = await api.request(agency="sk-jiritsu")
        theirs = await api.request(agency=COORDINATOR)
        own = await api.get("/v1/requests", agency="sk-jiritsu")
        assert [r["id"] for r in own["items"]] == [mine["id"]]
        everything = await api.get("/v1/requests", agency=COORDINATOR)
        assert [r["id"] for r in everything["items"]] == [mine["id"], theirs["id"]]
        await api.get(f"/v1/requests/{theirs['id']}", agency="sk-jiritsu", status=404)
