"""Placements: accepted matches start them; follow-ups (定着支援) are scheduled and recorded
with notes kept here; pause, resume and end with an outcome; events carry the case."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from kasane_shared.events.streams import PARTICIPATION

from tests.participation.helpers import COORDINATOR, PROVIDER, SPEC, Api, requested_event
from tests.support.kafka import eventually, header
from tests.support.privacy import assert_no_personal_data
from tests.support.service_env import service_env
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration

TITLE = "カフェ・ひだまり（店主 山田太郎）"
NOTE = "山田花子さん：初日は緊張していたが、帰りに「また来たい」と話した。連絡先 090-1234-5678"
HOST_NOTE = "佐藤一郎さんと一緒に作業、落ち着いていた"


async def test_a_placement_from_start_to_next_step(stack: TestStack) -> None:
    """Journey 1: an 8050 case's withdrawn son gets a quiet place near home, accepts, is
    followed up, and moves on to the next step; every event reaches the topic, none with
    personal data."""
    async with service_env(stack, SPEC, "p_placement") as svc:
        api = Api(svc)
        near = await api.opportunity(title=TITLE, km=0.7, languages=["ja"], capacity=4,
                                     schedule=[{"weekday": 1, "start_hour": 13, "end_hour": 15}])
        await api.opportunity(km=1.0, kind="volunteering", languages=["ja"],
                              schedule=[{"weekday": 3, "start_hour": 13, "end_hour": 16}])
        event = requested_event(max_step="volunteering", preferences=[])
        async with svc.worker():
            await svc.publish(event)
            await eventually(lambda: svc.pool.fetchval(
                "SELECT status FROM participation_requests WHERE id = $1", event.request_id),
                lambda s: s == "open", what="the request from coordination")
            request_id = str(event.request_id)
            matches = await api.matches(request_id)
            assert matches["matches"][0]["opportunity"]["id"] == near["id"]  # a place to be, near home, first
            match = await api.propose(request_id, near["id"])
            started_on = date(2026, 4, 1)
            placement = await api.accept(match["id"], started_on=started_on.isoformat())
            assert placement["status"] == "active" and placement["kind"] == "place_to_be"
            due = [f["due_on"] for f in placement["follow_ups"]]
            assert due == [(started_on + timedelta(days=d)).isoformat() for d in (7, 30, 90)]
            assert (await api.get(f"/v1/requests/{request_id}"))["status"] == "placed"

            pid = placement["id"]
            done = await api.post(f"/v1/placements/{pid}/follow-ups", {
                "followed_up_on": "2026-04-08", "status_code": "going_well", "note": NOTE}, status=201)
            first = done["follow_ups"][0]
            assert (first["done_on"], first["status_code"], first["note"], first["recorded_by"]) == \
                ("2026-04-08", "going_well", NOTE, COORDINATOR)
            # the host records its own follow-up; it sees its note but never the coordinator's
            host_view = await api.post(f"/v1/placements/{pid}/follow-ups", {
                "followed_up_on": "2026-04-20", "status_code": "going_well", "note": HOST_NOTE,
                "next_due_on": "2026-04-27"}, agency=PROVIDER, status=201)
            notes = {f["recorded_by"]: f["note"] for f in host_view["follow_ups"] if f["done_on"]}
            assert notes == {COORDINATOR: None, PROVIDER: HOST_NOTE}
            assert len(host_view["follow_ups"]) == 4  # 3 scheduled (2 done) + the one added
            paused = await api.post(f"/v1/placements/{pid}/pause", {"reason_code": "hospital_stay"})
            assert paused["status"] == "paused" and paused["pause_reason"] == "hospital_stay"
            assert (await api.post(f"/v1/placements/{pid}/resume"))["status"] == "active"
            ended = await api.post(f"/v1/placements/{pid}/end", {"outcome": "moved_to_next_step",
                                                                  "ended_on": "2026-07-01"})
            assert (ended["status"], ended["outcome"], ended["ended_on"]) == ("ended", "moved_to_next_step",
                                                                              "2026-07-01")
            request = await api.get(f"/v1/requests/{request_id}")
            assert (request["status"], request["current_step"]) == ("open", "place_to_be")
            assert request["allowed_kinds"] == ["place_to_be", "volunteering"]
            kinds = [m["opportunity"]["kind"] for m in (await api.matches(request_id))["matches"]]
            assert kinds == ["volunteering", "place_to_be"]  # now the next step comes first
            records = await svc.read(PARTICIPATION.name, at_least=9)

        placement_events = [json.loads(r.value) | {"type": header(r, "ce_type")} for r in records
                            if ".placement." in header(r, "ce_type")]
        assert [e["type"].split(".")[-2] for e in placement_events] == \
            ["started", "followed_up", "followed_up", "followed_up", "followed_up", "ended"]
        assert [e.get("status_code") for e in placement_events[1:5]] == \
            ["going_well", "going_well", "paused", "resumed"]
        assert all(e["case_id"] == str(event.case_id) and e["request_id"] == request_id for e in placement_events)
        assert all(r.key.decode() == request_id for r in records if ".placement." in header(r, "ce_type"))
        assert placement_events[-1]["outcome"] == "moved_to_next_step"
        # kasane.participation.v1 carries no titles, notes or names
        checked = assert_no_personal_data(records, [TITLE, NOTE, HOST_NOTE, "山田", "090-1234-5678"])
        assert checked == 9  # 2 opportunities published, 1 proposal, 6 placement events


async def test_placement_rules_and_who_sees_it(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "p_placement_rules") as svc:
        api = Api(svc)
        place = await api.opportunity()
        request = await api.request(agency="sk-jiritsu")
        match = await api.propose(request["id"], place["id"], agency="sk-jiritsu")
        placement = await api.accept(match["id"], agency="sk-jiritsu", started_on="2026-05-01")
        pid = placement["id"]
        # the requesting agency, coordinators and the host see it; anyone else gets 404
        for agency in ("sk-jiritsu", COORDINATOR, PROVIDER):
            await api.get(f"/v1/placements/{pid}", agency=agency)
        await api.get(f"/v1/placements/{pid}", agency="sk-kosodate", status=404)
        assert [p["id"] for p in await api.get(f"/v1/placements?opportunity_id={place['id']}",
                                               agency="sk-kosodate")] == []
        due = await api.get("/v1/follow-ups/due?before=2026-05-08", agency=PROVIDER)
        assert [d["placement_id"] for d in due] == [pid]
        # invalid moves are refused, with nothing changed
        await api.post(f"/v1/placements/{pid}/resume", status=409)
        r = await svc.client.post(f"/v1/placements/{pid}/end", json={"outcome": "continuing",
                                                                      "ended_on": "2026-04-01"},
                                  headers=api.auth())
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "ended_on"
        r = await svc.client.post(f"/v1/placements/{pid}/end", json={"outcome": "finished"}, headers=api.auth())
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "outcome"
        assert (await api.get(f"/v1/placements/{pid}"))["status"] == "active"
        # a second accept of the same match is a conflict, not a second placement
        await api.post(f"/v1/matches/{match['id']}/accept", status=409)
        ended = await api.post(f"/v1/placements/{pid}/end", {"outcome": "continuing", "ended_on": "2026-06-01"},
                               agency=PROVIDER)
        assert ended["status"] == "ended"
        closed = await api.get(f"/v1/requests/{request['id']}", agency="sk-jiritsu")
        assert (closed["status"], closed["close_reason"]) == ("closed", "placement_continuing")
        await api.post(f"/v1/placements/{pid}/follow-ups", {"followed_up_on": "2026-06-02",
                                                            "status_code": "going_well"}, status=409)
        assert await api.get("/v1/follow-ups/due?before=2026-12-31", agency=PROVIDER) == []
        audited = await svc.pool.fetchval(
            "SELECT count(*) FROM audit_log WHERE resource_type = 'placement' AND resource_id = $1", pid)
        assert audited >= 5


async def test_declining_reopens_the_request_and_accept_is_idempotent(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "p_decline") as svc:
        api = Api(svc)
        a, b = await api.opportunity(), await api.opportunity(km=2.0)
        request = await api.request()
        ma = await api.propose(request["id"], a["id"])
        dup = await svc.client.post(f"/v1/requests/{request['id']}/proposals", json={"opportunity_id": a["id"]},
                                    headers=api.auth())
        assert dup.status_code == 409
        declined = await api.post(f"/v1/matches/{ma['id']}/decline", {"reason_code": "too_far"})
        assert (declined["status"], declined["decline_reason"]) == ("declined", "too_far")
        assert (await api.get(f"/v1/requests/{request['id']}"))["status"] == "open"
        mb = await api.propose(request["id"], b["id"])
        headers = {**api.auth(), "Idempotency-Key": "accept-once-1"}
        first = await svc.client.post(f"/v1/matches/{mb['id']}/accept", headers=headers)
        again = await svc.client.post(f"/v1/matches/{mb['id']}/accept", headers=headers)
        assert first.status_code == again.status_code == 201
        assert first.json()["id"] == again.json()["id"] and again.headers["Idempotent-Replayed"] == "true"
        assert await svc.pool.fetchval("SELECT seats_taken FROM opportunities WHERE id = $1::uuid", b["id"]) == 1
        assert await svc.pool.fetchval("SELECT count(*) FROM placements") == 1
