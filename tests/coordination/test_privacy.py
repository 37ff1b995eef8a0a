"""What coordination puts on kasane.coordination.v1 carries ids and codes only: none of the
wishes, notes, minutes, meeting material, plan wording or status notes sent to it."""

from __future__ import annotations

from uuid import UUID

import pytest
from kasane_coordination.main import SPEC
from kasane_shared.events.streams import COORDINATION

from tests.coordination.support import (
    DESK,
    DISABILITY,
    ELDERLY,
    POVERTY,
    approved_case,
    auth,
    move,
    ok,
    plan_body,
)
from tests.support.clock import today
from tests.support.privacy import assert_no_personal_data
from tests.support.service_env import ServiceEnv, service_env
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration

TEXTS = {
    "wishes": "母を施設には入れたくない、自分が面倒を見たい",
    "need_note": "息子は15年間ほとんど外出していない",
    "strength": "料理が得意で母の食事を毎日作っている",
    "risk_note": "母への暴言が近所に聞こえることがある",
    "goal": "週に一度は外の空気を吸いに出かける",
    "action": "障害者相談支援センターの職員が月2回訪問し、本人の話を聞く",
    "status_note": "本人が初めて面談に応じた",
    "contact_note": "ドア越しに短く返事があった。次回は手紙を置いていく",
    "material": "父の死後、年金が止まり家賃を滞納している模様（大家からの情報）",
    "minutes": "主担当は地域包括。本人の同意を得て就労体験を検討する",
    "end_note": "転居により支援終了",
}


async def test_no_personal_data_on_the_coordination_topic(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "coord_privacy") as svc, svc.worker():
        plan = plan_body(goal=TEXTS["goal"], action=TEXTS["action"])
        done = await approved_case(svc, stack, plan=plan)
        case_id = done.case_id
        centre = auth(stack, ELDERLY)
        ok(await svc.client.post(f"/v1/cases/{case_id}/assessments", json={
            "needs": [{"field": "disability", "codes": ["withdrawal"], "note": TEXTS["need_note"]}],
            "strengths": [TEXTS["strength"]], "wishes": TEXTS["wishes"],
            "risks": [{"code": "verbal_abuse", "level": "medium", "note": TEXTS["risk_note"]}]},
            headers=centre), 201)
        await move(svc, stack, case_id, "monitoring", note=TEXTS["status_note"])
        engagement = ok(await svc.client.post("/v1/outreach", json={"case_id": case_id, "reason_code": "withdrawal"},
                                              headers=centre), 201)
        ok(await svc.client.post(f"/v1/outreach/{engagement['id']}/contacts", json={
            "method": "visit", "contacted_on": today().isoformat(), "outcome_code": "reached",
            "stage": "contact_made", "note": TEXTS["contact_note"]}, headers=centre), 201)
        shien = ok(await svc.client.post("/v1/meetings", json={
            "kind": "shien_kaigi", "scheduled_on": today().isoformat(),
            "member_agency_ids": [DESK, DISABILITY]}, headers=centre), 201)["id"]
        ok(await svc.client.post(f"/v1/meetings/{shien}/acknowledgements", headers=centre))
        ok(await svc.client.post(f"/v1/meetings/{shien}/agenda", json={"case_id": case_id}, headers=centre))
        ok(await svc.client.post(f"/v1/meetings/{shien}/materials", json={
            "case_id": case_id, "content": TEXTS["material"]}, headers=centre), 201)
        ok(await svc.client.post(f"/v1/meetings/{shien}/held", json={
            "held_on": today().isoformat(), "attendees": [{"agency_id": ELDERLY, "role": "chair"}],
            "decisions": [{"case_id": case_id, "decision": "continue_case"}], "minutes": TEXTS["minutes"]},
            headers=centre))
        ok(await svc.client.post(f"/v1/cases/{case_id}/participation-requests", json={
            "plan_id": done.plan_id, "action_id": (await _action(svc, stack, case_id, done.plan_id)),
            "needs": ["social_contact"], "area_code": "SK-N-01", "travel_km": 2.5},
            headers=auth(stack, ELDERLY)), 201)
        await move(svc, stack, case_id, "ended", outcome_code="moved_away", note=TEXTS["end_note"])

        expected = await svc.pool.fetchval("SELECT count(*) FROM outbox")
        records = await svc.read(COORDINATION.name, at_least=expected)
        assert len(records) == expected and expected >= 18
        types = {dict(r.headers)["ce_type"].decode().split(".")[2:4][0] for r in records}
        assert {"case", "team", "assessment", "plan", "meeting", "outreach", "participation"} <= types
        assert assert_no_personal_data(records, TEXTS.values()) == expected
        # the texts are all kept where they belong
        assert await svc.pool.fetchval("SELECT wishes FROM assessments WHERE case_id = $1 AND wishes IS NOT NULL",
                                       UUID(case_id)) == TEXTS["wishes"]
        assert await svc.pool.fetchval("SELECT minutes FROM meetings WHERE id = $1", UUID(shien)) == TEXTS["minutes"]


async def _action(svc: ServiceEnv, stack: TestStack, case_id: str, plan_id: str) -> str:
    """The plan's action given to the self-reliance centre (participation is asked from it)."""
    plan = ok(await svc.client.get(f"/v1/cases/{case_id}/plans/{plan_id}", headers=auth(stack, ELDERLY)))
    action = plan["actions"][1]
    assert action["responsible_agency_id"] == POVERTY
    return action["id"]
