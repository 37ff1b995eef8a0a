"""The last place: two coordinators accept it at the same moment, one wins, capacity never
goes below zero; the place comes back when the placement ends."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from tests.participation.helpers import SPEC, Api
from tests.support.service_env import service_env
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration


async def test_two_coordinators_accept_the_last_place_at_once(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "p_last_seat") as svc:
        api = Api(svc)
        for round_ in range(3):  # several rounds, so the race is really run, not once by luck
            place = await api.opportunity(capacity=2)
            first = await api.request()
            await api.accept((await api.propose(first["id"], place["id"]))["id"])  # one place left
            a, b = await api.request(), await api.request()
            ma = await api.propose(a["id"], place["id"])
            mb = await api.propose(b["id"], place["id"], agency="sk-shakyo")
            ra, rb = await asyncio.gather(
                svc.client.post(f"/v1/matches/{ma['id']}/accept", headers=api.auth()),
                svc.client.post(f"/v1/matches/{mb['id']}/accept", headers=api.auth("sk-shakyo")),
            )
            assert sorted([ra.status_code, rb.status_code]) == [201, 409], (round_, ra.text, rb.text)
            loser = ra if ra.status_code == 409 else rb
            assert loser.json()["type"].endswith("/no-free-place")
            row = await svc.pool.fetchrow("SELECT capacity, seats_taken, status FROM opportunities WHERE id = $1",
                                          uuid.UUID(place["id"]))
            assert (row["capacity"], row["seats_taken"], row["status"]) == (2, 2, "full")
            placements = await svc.pool.fetchval(
                "SELECT count(*) FROM placements WHERE opportunity_id = $1", uuid.UUID(place["id"]))
            assert placements == 2
            # the loser's request and match are untouched: still proposed, no partial state
            lost = a if ra.status_code == 409 else b
            assert (await api.get(f"/v1/requests/{lost['id']}"))["status"] == "proposed"
            lost_match = ma if ra.status_code == 409 else mb
            assert (await api.get(f"/v1/matches/{lost_match['id']}"))["status"] == "proposed"
        started = await svc.pool.fetchval(
            "SELECT count(*) FROM outbox WHERE type = 'kasane.participation.placement.started.v1'")
        assert started == 6


async def test_the_database_refuses_more_placements_than_places(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "p_seat_check") as svc:
        place = await Api(svc).opportunity(capacity=1)
        with pytest.raises(asyncpg.CheckViolationError):
            await svc.pool.execute("UPDATE opportunities SET seats_taken = 2 WHERE id = $1", uuid.UUID(place["id"]))


async def test_ending_a_placement_gives_the_place_back(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "p_seat_back") as svc:
        api = Api(svc)
        place = await api.opportunity(capacity=1)
        request = await api.request()
        placement = await api.accept((await api.propose(request["id"], place["id"]))["id"])
        assert (await api.get(f"/v1/opportunities/{place['id']}"))["status"] == "full"
        late = await api.request()  # nothing else fits: it waits
        assert late["status"] == "waiting"
        await api.post(f"/v1/placements/{placement['id']}/end", {"outcome": "ended_by_person"})
        opened = await api.get(f"/v1/opportunities/{place['id']}")
        assert (opened["status"], opened["seats_taken"], opened["free_seats"]) == ("open", 0, 1)
        # the freed place is proposed to the waiting request at once
        assert (await api.get(f"/v1/requests/{late['id']}"))["status"] == "proposed"
        assert (await api.outbox_types())[-3:] == ["opportunity.changed", "match.proposed", "placement.ended"]
