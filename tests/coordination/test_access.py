"""Who sees what: roles on the team, consent for personal detail, break glass (audited)."""

from __future__ import annotations

from uuid import UUID

import pytest
from kasane_coordination.main import SPEC
from kasane_shared.contracts.codes import ConsentScope

from tests.coordination.support import (
    CHILDREN,
    DESK,
    DISABILITY,
    ELDERLY,
    HEALTH,
    OUTSIDER,
    auth,
    consent,
    ok,
    open_case,
    problem,
)
from tests.support.clock import today
from tests.support.kafka import eventually
from tests.support.service_env import ServiceEnv, service_env
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration

WISH = "家族には知られたくない"


async def _join(svc: ServiceEnv, stack: TestStack, case_id: str, agency: str, role: str) -> None:
    ok(await svc.client.post(f"/v1/cases/{case_id}/team/invitations", json={"agency_id": agency, "role": role},
                             headers=auth(stack, ELDERLY)), 201)
    ok(await svc.client.post(f"/v1/cases/{case_id}/team/accept", headers=auth(stack, agency)))


async def test_roles_consent_and_break_glass(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "coord_access") as svc, svc.worker():
        case = await open_case(svc, stack, ELDERLY)
        case_id = case["id"]
        await _join(svc, stack, case_id, DISABILITY, "field_supporter")
        await _join(svc, stack, case_id, HEALTH, "information_only")
        ok(await svc.client.post(f"/v1/cases/{case_id}/assessments", json={"wishes": WISH},
                                 headers=auth(stack, ELDERLY)), 201)

        # without consent: the opener (it gave the detail) and the desk see it, other members do not
        for agency, shown in ((ELDERLY, "shown"), (DESK, "shown"), (DISABILITY, "withheld"), (HEALTH, "withheld")):
            got = ok(await svc.client.get(f"/v1/cases/{case_id}", headers=auth(stack, agency)))
            assert got["detail"] == shown, agency
        hidden = ok(await svc.client.get(f"/v1/cases/{case_id}/assessments", headers=auth(stack, DISABILITY)))
        assert hidden[0]["detail"] == "withheld" and hidden[0]["wishes"] is None
        # an information-only member reads the case but not assessments
        problem(await svc.client.get(f"/v1/cases/{case_id}/assessments", headers=auth(stack, HEALTH)), 403)

        # a consent naming the disability centre opens the detail to it, not to the health centre
        await svc.publish(consent(UUID(case["household_id"]), scope=ConsentScope.named_agencies,
                                  agency_ids=[DISABILITY]))

        async def detail() -> str:
            return ok(await svc.client.get(f"/v1/cases/{case_id}", headers=auth(stack, DISABILITY)))["detail"]

        await eventually(detail, lambda d: d == "shown", what="the named consent", timeout=60)
        shown = ok(await svc.client.get(f"/v1/cases/{case_id}/assessments", headers=auth(stack, DISABILITY)))
        assert shown[0]["wishes"] == WISH
        assert ok(await svc.client.get(f"/v1/cases/{case_id}", headers=auth(stack, HEALTH)))["detail"] == "withheld"
        # a named consent does not cover a 重層的支援会議 with agencies it does not name
        meeting = ok(await svc.client.post("/v1/meetings", json={
            "kind": "jusou_shien_kaigi", "scheduled_on": today().isoformat(),
            "member_agency_ids": [DISABILITY, CHILDREN]}, headers=auth(stack, ELDERLY)), 201)
        problem(await svc.client.post(f"/v1/meetings/{meeting['id']}/agenda", json={"case_id": case_id},
                                      headers=auth(stack, ELDERLY)), 409)

        # an outsider sees nothing, until it breaks the glass with a reason (read only, flagged in the audit)
        outsider = auth(stack, OUTSIDER, "cases:read", "cases:write", "break-glass")
        problem(await svc.client.get(f"/v1/cases/{case_id}", headers=outsider), 404)
        short = problem(await svc.client.post("/v1/break-glass", json={
            "resource_type": "case", "resource_id": case_id, "reason": "急ぎ"}, headers=outsider), 422)
        assert short["errors"][0]["field"] == "reason"
        ok(await svc.client.post("/v1/break-glass", json={
            "resource_type": "case", "resource_id": case_id,
            "reason": "本人が倒れたと通報があり、緊急搬送先に状況を伝える必要がある"}, headers=outsider), 201)
        seen = ok(await svc.client.get(f"/v1/cases/{case_id}", headers=outsider))
        assert seen["detail_basis"] == "break_glass" and seen["my_role"] is None
        assert ok(await svc.client.get(f"/v1/cases/{case_id}/assessments", headers=outsider))[0]["wishes"] == WISH
        problem(await svc.client.post(f"/v1/cases/{case_id}/status", json={"to": "assessing", "reason_code": "x"},
                                      headers=outsider), 404)
        flagged = await svc.pool.fetch(
            """SELECT resource_type, purpose FROM audit_log
                WHERE agency_id = $1 AND break_glass ORDER BY id""", OUTSIDER)
        assert [r["resource_type"] for r in flagged] == ["case", "case", "assessment"]
        assert all("緊急搬送" in r["purpose"] for r in flagged)

        # every read by the team is logged too
        reads = await svc.pool.fetch(
            "SELECT DISTINCT agency_id FROM audit_log WHERE action = 'read' AND resource_id = $1", case_id)
        assert {r["agency_id"] for r in reads} >= {ELDERLY, DESK, DISABILITY, HEALTH}


async def test_team_changes_are_recorded_and_the_lead_stays_single(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "coord_team") as svc:
        case_id = (await open_case(svc, stack, ELDERLY))["id"]
        centre = auth(stack, ELDERLY)
        ok(await svc.client.post(f"/v1/cases/{case_id}/team/invitations",
                                 json={"agency_id": DISABILITY, "role": "lead"}, headers=centre), 201)
        # an invited agency does not see the case yet, but may accept
        problem(await svc.client.get(f"/v1/cases/{case_id}", headers=auth(stack, DISABILITY)), 404)
        invited = ok(await svc.client.get("/v1/cases?membership=invited", headers=auth(stack, DISABILITY)))
        assert [(i["id"], i["role"]) for i in invited["items"]] == [(case_id, "lead")]
        ok(await svc.client.post(f"/v1/cases/{case_id}/team/accept", headers=auth(stack, DISABILITY)))
        team = ok(await svc.client.get(f"/v1/cases/{case_id}/team", headers=centre))
        assert team["lead_agency_id"] == DISABILITY
        # a second lead cannot be invited; the lead hands over instead
        problem(await svc.client.post(f"/v1/cases/{case_id}/team/invitations",
                                      json={"agency_id": CHILDREN, "role": "lead"}, headers=centre), 409)
        problem(await svc.client.post(f"/v1/cases/{case_id}/team/lead", json={"agency_id": ELDERLY},
                                      headers=centre), 403)
        problem(await svc.client.post(f"/v1/cases/{case_id}/team/leave", headers=auth(stack, DISABILITY)), 409)
        ok(await svc.client.post(f"/v1/cases/{case_id}/team/lead", json={"agency_id": ELDERLY},
                                 headers=auth(stack, DISABILITY)))
        assert (await svc.client.post(f"/v1/cases/{case_id}/team/leave",
                                      headers=auth(stack, DISABILITY))).status_code == 204
        ok(await svc.client.post(f"/v1/cases/{case_id}/team/invitations",
                                 json={"agency_id": CHILDREN, "role": "field_supporter"}, headers=centre), 201)
        assert (await svc.client.post(f"/v1/cases/{case_id}/team/decline",
                                      headers=auth(stack, CHILDREN))).status_code == 204
        team = ok(await svc.client.get(f"/v1/cases/{case_id}/team", headers=centre))
        assert team["lead_agency_id"] == ELDERLY
        assert {(m["agency_id"], m["role"], m["state"]) for m in team["members"]} == {
            (ELDERLY, "lead", "active"), (DESK, "field_supporter", "active"),
            (DISABILITY, "field_supporter", "left"), (CHILDREN, "field_supporter", "declined")}
        assert [(h["agency_id"], h["action"], h["by_agency_id"]) for h in team["history"]] == [
            (ELDERLY, "joined", ELDERLY), (DESK, "joined", ELDERLY),
            (DISABILITY, "invited", ELDERLY), (DISABILITY, "accepted", DISABILITY),
            (DISABILITY, "lead_handed_over", DISABILITY), (ELDERLY, "lead_taken", DISABILITY),
            (DISABILITY, "left", DISABILITY), (CHILDREN, "invited", ELDERLY), (CHILDREN, "declined", CHILDREN)]
        # the agency that left no longer sees the case
        problem(await svc.client.get(f"/v1/cases/{case_id}", headers=auth(stack, DISABILITY)), 404)
        events = await svc.pool.fetch("SELECT type, payload FROM outbox WHERE aggregate_id = $1 ORDER BY seq", case_id)
        team_events = [(e["type"].split(".")[3], e["payload"].get("agency_id") or e["payload"].get("to_agency_id"))
                       for e in events if ".team." in e["type"]]
        assert team_events == [("member_joined", ELDERLY), ("member_joined", DESK), ("member_joined", DISABILITY),
                               ("lead_changed", DISABILITY), ("lead_changed", ELDERLY), ("member_left", DISABILITY)]


async def test_bad_input_is_422_naming_the_field_and_stores_nothing(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "coord_input") as svc:
        centre = auth(stack, ELDERLY)
        for body, field in [({"area_code": "XX-99"}, "area_code"), ({"concern_codes": ["Not A Code"]},
                                                                     "concern_codes.0"),
                            ({"household_id": "not-a-uuid"}, "household_id"), ({"surprise": 1}, "surprise")]:
            got = problem(await svc.client.post("/v1/cases", json=body, headers=centre), 422)
            assert got["errors"][0]["field"] == field
        got = problem(await svc.client.post("/v1/meetings", json={
            "kind": "jusou_shien_kaigi", "scheduled_on": today().isoformat(),
            "member_agency_ids": [DESK, "sk-nowhere"]}, headers=centre), 422)
        assert got["errors"][0]["field"] == "member_agency_ids.1"
        assert await svc.pool.fetchval("SELECT count(*) FROM cases") == 0
        assert await svc.pool.fetchval("SELECT count(*) FROM meetings") == 0
        assert await svc.pool.fetchval("SELECT count(*) FROM outbox") == 0
        # scopes: reading needs cases:read
        problem(await svc.client.get("/v1/cases", headers=auth(stack, ELDERLY, "cases:write")), 403)
        # an idempotent retry of an opening returns the first case
        key = {"Idempotency-Key": "open-1"}
        first = ok(await svc.client.post("/v1/cases", json={"area_code": "SK-N"}, headers={**centre, **key}), 201)
        again = ok(await svc.client.post("/v1/cases", json={"area_code": "SK-N"}, headers={**centre, **key}), 201)
        assert first["id"] == again["id"]
        assert await svc.pool.fetchval("SELECT count(*) FROM cases") == 1
        # a replay is a read: audited, and re-checked (issue 12): after the caller left the
        # team, the same key gives 404, not the case
        reads = "SELECT count(*) FROM audit_log WHERE action = 'read' AND resource_type = 'case' AND agency_id = $1"
        assert await svc.pool.fetchval(reads, ELDERLY) == 1
        assert (await svc.client.post(f"/v1/cases/{first['id']}/team/leave", headers=centre)).status_code == 204
        problem(await svc.client.post("/v1/cases", json={"area_code": "SK-N"}, headers={**centre, **key}), 404)
        assert await svc.pool.fetchval("SELECT count(*) FROM cases") == 1
