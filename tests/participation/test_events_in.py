"""What participation consumes, over real Kafka: coordination's participation requests and
community's places; a redelivered event changes nothing."""

from __future__ import annotations

import json
import uuid

import pytest
from kasane_shared.contracts.community import PlaceChanged, PlaceClosed
from kasane_shared.contracts.coordination import CaseOpened
from kasane_shared.events.streams import PARTICIPATION

from tests.participation.helpers import HOME_AREA, SPEC, Api, place_event, requested_event
from tests.support.kafka import eventually, header
from tests.support.service_env import service_env
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration


async def _state(svc) -> dict:
    """Everything a repeated event could have changed."""
    return {
        "requests": [dict(r) for r in await svc.pool.fetch(
            "SELECT id, status, version FROM participation_requests ORDER BY id")],
        "opportunities": [dict(r) for r in await svc.pool.fetch(
            "SELECT id, status, version, capacity FROM opportunities ORDER BY id")],
        "gap_needs": await svc.pool.fetchval("SELECT count(*) FROM gap_needs"),
        "matches": await svc.pool.fetchval("SELECT count(*) FROM matches"),
        "outbox": await svc.pool.fetchval("SELECT count(*) FROM outbox"),
    }


async def test_a_participation_request_event_creates_a_request_once(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "p_in_request") as svc:
        api = Api(svc)
        place = await api.opportunity(schedule=[{"weekday": 1, "start_hour": 13, "end_hour": 15}], languages=["ja"],
                                      kind="place_to_be", km=1.2)
        event = requested_event()
        sentinel = requested_event(case_id=event.case_id)  # same key, so same partition, after the repeats

        async def count() -> int:
            return await svc.pool.fetchval("SELECT count(*) FROM participation_requests")

        async with svc.worker():
            first_id = await svc.publish(event, source="/kasane/coordination")
            await eventually(count, lambda n: n == 1, what="the request")
            before = await _state(svc)
            await svc.publish(event, source="/kasane/coordination", event_id=first_id)  # redelivered
            await svc.publish(event, source="/kasane/coordination")  # the same fact under a new ce_id
            await svc.publish(CaseOpened(case_id=event.case_id, origin="direct"), source="/kasane/coordination")
            await svc.publish(sentinel, source="/kasane/coordination")
            await eventually(count, lambda n: n == 2, what="the sentinel request")
        after = await _state(svc)
        assert [r for r in after["requests"] if r["id"] != sentinel.request_id] == before["requests"]
        assert after["outbox"] == before["outbox"] and after["gap_needs"] == before["gap_needs"]
        inbox = await svc.pool.fetch("SELECT event_id, type FROM inbox ORDER BY processed_at")
        assert first_id in [r["event_id"] for r in inbox]
        assert len(inbox) == 3  # first, the new-ce_id repeat, the sentinel; CaseOpened is skipped unclaimed

        request = await api.get(f"/v1/requests/{event.request_id}")
        assert request["origin"] == "event" and request["owner_agency_id"] is None
        assert request["case_id"] == str(event.case_id) and request["participant_id"] == str(event.participant_id)
        assert request["allowed_kinds"] == ["place_to_be"] and request["status"] == "open"
        assert request["needs"] == ["short_hours", "withdrawal"]
        assert await api.match_ids(event.request_id) == [place["id"]]
        # an agency that is not a coordinator does not see requests made by coordination
        await api.get(f"/v1/requests/{event.request_id}", agency="sk-kosodate", status=404)


async def test_a_place_published_becomes_an_opportunity_and_follows_the_place(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "p_in_place") as svc:
        api = Api(svc)
        published = place_event(development_id=uuid.uuid4())
        changed = PlaceChanged(place_id=published.place_id, facts=published.facts.model_copy(update={"capacity": 4}))

        async def opportunity() -> dict | None:
            row = await svc.pool.fetchrow("SELECT * FROM opportunities WHERE source_place_id = $1",
                                          published.place_id)
            return dict(row) if row else None

        async with svc.worker():
            first_id = await svc.publish(published)
            row = await eventually(opportunity, lambda r: r is not None, what="the opportunity")
            before = await _state(svc)
            await svc.publish(published, event_id=first_id)  # redelivered
            await svc.publish(PlaceChanged(place_id=published.place_id, facts=published.facts))  # same facts
            await svc.publish(changed)
            await eventually(opportunity, lambda r: r["capacity"] == 4, what="the change")
            middle = await _state(svc)
            await svc.publish(PlaceClosed(place_id=published.place_id))
            await eventually(opportunity, lambda r: r["status"] == "closed", what="the close")
            records = await svc.read(PARTICIPATION.name, at_least=3)

        assert (row["kind"], row["title"], row["owner_agency_id"]) == ("place_to_be", None, None)
        assert row["development_id"] == published.development_id
        assert (row["capacity"], row["activities"], row["accommodations"]) == (10, ["ibasho"],
                                                                              ["quiet_space", "short_hours"])
        assert row["version"] == 1 and middle["opportunities"][0]["version"] == 2  # the repeats changed nothing
        assert middle["outbox"] == before["outbox"] + 1
        types = [header(r, "ce_type") for r in records]
        assert types == ["kasane.participation.opportunity.published.v1",
                         "kasane.participation.opportunity.changed.v1",
                         "kasane.participation.opportunity.closed.v1"]
        facts = json.loads(records[0].value)["facts"]
        assert facts["source_place_id"] == str(published.place_id) and facts["area_code"] == HOME_AREA
        assert json.loads(records[2].value)["source_place_id"] == str(published.place_id)
        read = await api.get(f"/v1/opportunities/{row['id']}", agency="sk-kosodate")
        assert read["source"] == "community" and read["status"] == "closed"
        # a community place is changed in community, not here
        r = await svc.client.patch(f"/v1/opportunities/{row['id']}", json={"capacity": 2},
                                   headers=api.auth("sk-npo-ibasho"))
        assert r.status_code == 409


async def test_an_event_that_can_never_apply_is_dead_lettered(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "p_in_reject") as svc:
        bad = requested_event(area_code="XX-99")
        good = requested_event(case_id=bad.case_id)
        async with svc.worker():
            await svc.publish(bad)
            await svc.publish(good)
            await eventually(lambda: svc.pool.fetchval("SELECT count(*) FROM participation_requests"),
                             lambda n: n == 1, what="the good request after the bad one")
            dead = await svc.read(svc.settings.dead_letter_topic.removeprefix(svc.settings.topic_prefix),
                                  at_least=1)
        assert [header(r, "ce_type") for r in dead] == ["kasane.coordination.participation.requested.v1"]
        assert "not in the profile" in header(dead[0], "kasane_dlt_error")
