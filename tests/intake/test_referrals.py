"""Referrals over HTTP and from coordination's events: the FHIR Task-like statuses, the
たらい回し flag, the events coordination opens cases from, and redelivery changing nothing."""

from __future__ import annotations

import itertools
import uuid

import pytest
from kasane_shared.contracts.coordination import CaseEnded, CaseOpened, OutreachStarted

from tests.intake.conftest import auth, household_8050
from tests.support.clock import today
from tests.support.kafka import eventually
from tests.support.service_env import ServiceEnv
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration

KITA = "sk-houkatsu-kita"
DESK = "sk-jusou-suishin"


async def consultation(stack: TestStack, svc: ServiceEnv, body: dict | None = None) -> dict:
    r = await svc.client.post("/v1/consultations", json=body or household_8050(), headers=auth(stack, KITA))
    assert r.status_code == 201, r.text
    return r.json()


async def refer(stack: TestStack, svc: ServiceEnv, consultation_id: str, agency: str = KITA, **body) -> dict:
    r = await svc.client.post(f"/v1/consultations/{consultation_id}/referrals", json=body,
                              headers=auth(stack, agency))
    assert r.status_code == 201, r.text
    return r.json()


async def events(svc: ServiceEnv, consultation_id: str, suffix: str) -> list[dict]:
    return [r["payload"] for r in await svc.pool.fetch(
        "SELECT payload FROM outbox WHERE aggregate_id = $1 AND type LIKE $2 ORDER BY seq",
        consultation_id, f"%{suffix}")]


async def status(stack: TestStack, svc: ServiceEnv, referral_id: str, agency: str, **body):
    return await svc.client.post(f"/v1/referrals/{referral_id}/status", json=body, headers=auth(stack, agency))


async def test_referral_to_collaboration_carries_what_coordination_opens_a_case_from(
    stack: TestStack, svc: ServiceEnv
) -> None:
    c = await consultation(stack, svc)
    referral = await refer(stack, svc, c["id"], target="collaboration", reason_code="complex_needs",
                           reason="8050の可能性。世帯全体の支援が必要")
    assert referral["status"] == "requested" and referral["handler_agency_id"] == DESK
    [event] = await events(svc, c["id"], "consultation.referred.v1")
    assert event["target"] == "collaboration" and event["referral_id"] == referral["id"]
    assert event["household_id"] == c["household_id"] and event["from_agency_id"] == KITA
    assert event["concern_codes"] == ["elderly_care", "withdrawal"]
    assert event["screening"]["patterns"] == ["8050"] and event["screening"]["recommendation"] == (
        "refer_to_collaboration")
    assert event["consent_to_share"] is False and "reason" not in event
    read = (await svc.client.get(f"/v1/consultations/{c['id']}", headers=auth(stack, KITA))).json()
    assert read["status"] == "referred" and [r["id"] for r in read["referrals"]] == [referral["id"]]
    again = await svc.client.post(f"/v1/consultations/{c['id']}/referrals",
                                  json={"target": "collaboration", "reason_code": "complex_needs"},
                                  headers=auth(stack, KITA))
    assert again.status_code == 409
    # the desk answering it reads the whole consultation
    desk = await svc.client.get(f"/v1/consultations/{c['id']}", headers=auth(stack, DESK))
    assert desk.status_code == 200 and desk.json()["summary"].startswith("母（82）")


async def test_consent_to_share_when_everyone_consented(stack: TestStack, svc: ServiceEnv) -> None:
    c = await consultation(stack, svc)
    for member in c["members"]:
        r = await svc.client.post("/v1/consents", json={
            "person_id": member["person_id"], "scope": "collaboration", "method": "oral",
            "granted_on": today().isoformat()}, headers=auth(stack, KITA))
        assert r.status_code == 201
    await refer(stack, svc, c["id"], target="collaboration", reason_code="complex_needs")
    [event] = await events(svc, c["id"], "consultation.referred.v1")
    assert event["consent_to_share"] is True


async def test_outreach_request_publishes_outreach_requested(stack: TestStack, svc: ServiceEnv) -> None:
    c = await consultation(stack, svc, {"channel": "neighbour", "consulted_by": "neighbour", "members": [
        {"person": {"given_name": "息子さん", "age_estimate": 38}, "subject": True, "concern_codes": ["withdrawal"],
         "withdrawn_years": 15, "no_outside_contact": True}]})
    assert c["screening"]["recommendation"] == "request_outreach"
    referral = await refer(stack, svc, c["id"], target="outreach", reason_code="no_contact")
    [event] = await events(svc, c["id"], "outreach.requested.v1")
    assert event["referral_id"] == referral["id"] and event["age_band"] == "35-39"
    assert event["concern_codes"] == ["withdrawal"] and event["household_id"] == c["household_id"]
    assert await events(svc, c["id"], "consultation.referred.v1") == []


async def test_statuses_follow_fhir_task_and_who_may_move_them(stack: TestStack, svc: ServiceEnv) -> None:
    c = await consultation(stack, svc)
    bad = await svc.client.post(f"/v1/consultations/{c['id']}/referrals",
                                json={"target": "agency", "reason_code": "x"}, headers=auth(stack, KITA))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "to_agency_id"
    referral = await refer(stack, svc, c["id"], target="agency", to_agency_id="sk-shogai-soudan",
                           reason_code="outside_expertise")
    rid = referral["id"]
    assert (await status(stack, svc, rid, KITA, status="accepted")).status_code == 403  # the referrer
    assert (await status(stack, svc, rid, "sk-shakyo", status="accepted")).status_code == 404  # a stranger
    assert (await status(stack, svc, rid, "sk-shogai-soudan", status="completed")).status_code == 409
    accepted = await status(stack, svc, rid, "sk-shogai-soudan", status="accepted")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    done = await status(stack, svc, rid, "sk-shogai-soudan", status="completed")
    assert done.json()["status"] == "completed"
    assert (await status(stack, svc, rid, KITA, status="cancelled")).status_code == 409
    history = (await svc.client.get(f"/v1/referrals/{rid}", headers=auth(stack, KITA))).json()["history"]
    assert [(h["status"], h["by_agency_id"]) for h in history] == [
        ("requested", KITA), ("accepted", "sk-shogai-soudan"), ("completed", "sk-shogai-soudan")]
    changes = await events(svc, c["id"], "referral.status_changed.v1")
    assert [(e["status"], e["by_agency_id"], e["flagged"]) for e in changes] == [
        ("accepted", "sk-shogai-soudan", False), ("completed", "sk-shogai-soudan", False)]


async def test_cancel_by_the_referrer(stack: TestStack, svc: ServiceEnv) -> None:
    c = await consultation(stack, svc)
    referral = await refer(stack, svc, c["id"], target="agency", to_agency_id="sk-jiritsu", reason_code="poverty")
    assert (await status(stack, svc, referral["id"], "sk-jiritsu", status="cancelled")).status_code == 403
    r = await status(stack, svc, referral["id"], KITA, status="cancelled", reason_code="resolved_at_desk")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"


async def test_a_referral_rejected_by_every_agency_is_flagged(stack: TestStack, svc: ServiceEnv) -> None:
    c = await consultation(stack, svc)
    referral = await refer(stack, svc, c["id"], target="agency", to_agency_id="sk-jiritsu", reason_code="poverty")
    no_reason = await status(stack, svc, referral["id"], "sk-jiritsu", status="rejected")
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason_code"
    r = await status(stack, svc, referral["id"], "sk-jiritsu", status="rejected", reason_code="not_our_field",
                     reason="生活困窮の要件に当たらない")
    assert r.json()["flagged"] is True and r.json()["flag_reason"] == "rejected_by_all"
    [event] = await events(svc, c["id"], "referral.status_changed.v1")
    assert (event["status"], event["reason_code"], event["flagged"], event["bounce_count"]) == (
        "rejected", "not_our_field", True, 1)
    assert "reason" not in event
    # once rejected, the agency no longer reads the consultation
    assert (await svc.client.get(f"/v1/consultations/{c['id']}", headers=auth(stack, "sk-jiritsu"))).status_code == 404


async def test_bounced_more_than_the_profile_allows_is_flagged(stack: TestStack, svc: ServiceEnv) -> None:
    """max_bounces is 2: the third forward flags it (たらい回し)."""
    c = await consultation(stack, svc)
    current = await refer(stack, svc, c["id"], target="agency", to_agency_id="sk-jiritsu", reason_code="poverty")
    chain = ["sk-jiritsu", "sk-shakyo", "sk-hoken", "sk-shogai-soudan"]
    for here, there in itertools.pairwise(chain):
        r = await svc.client.post(f"/v1/referrals/{current['id']}/forward",
                                  json={"to_agency_id": there, "reason_code": "other_field"},
                                  headers=auth(stack, here))
        assert r.status_code == 201, r.text
        current = r.json()
        assert current["previous_referral_id"] is not None and current["handler_agency_id"] == there
    rejections = [e for e in await events(svc, c["id"], "referral.status_changed.v1") if e["status"] == "rejected"]
    assert [(e["by_agency_id"], e["bounce_count"], e["flagged"]) for e in rejections] == [
        ("sk-jiritsu", 1, False), ("sk-shakyo", 2, False), ("sk-hoken", 3, True)]
    assert current["bounce_count"] == 3 and current["flagged"] and current["flag_reason"] == "bounced_too_often"
    flagged = (await svc.client.get("/v1/referrals", params={"flagged": "true"}, headers=auth(stack, DESK))).json()
    assert {current["id"], rejections[-1]["referral_id"]} <= {r["id"] for r in flagged["items"]}
    mine = (await svc.client.get("/v1/referrals", params={"flagged": "true"}, headers=auth(stack, "sk-kyoiku")))
    assert mine.json()["items"] == []
    # a stranger cannot forward it; the last agency still reads it
    assert (await svc.client.post(f"/v1/referrals/{current['id']}/forward",
                                  json={"to_agency_id": "sk-kyoiku", "reason_code": "x"},
                                  headers=auth(stack, "sk-kyoiku"))).status_code == 404
    assert (await svc.client.get(f"/v1/consultations/{c['id']}",
                                 headers=auth(stack, "sk-shogai-soudan"))).status_code == 200


async def test_coordination_taking_the_referral_and_redelivery(stack: TestStack, svc: ServiceEnv) -> None:
    c = await consultation(stack, svc)
    referral = await refer(stack, svc, c["id"], target="collaboration", reason_code="complex_needs")
    outreach = await refer(stack, svc, c["id"], target="outreach", reason_code="no_contact")
    case_id = uuid.uuid4()
    opened = CaseOpened(case_id=case_id, origin="referral", household_id=uuid.UUID(c["household_id"]),
                        consultation_id=uuid.UUID(c["id"]), referral_id=uuid.UUID(referral["id"]),
                        concern_codes=["elderly_care"], patterns=["8050"])

    async def referral_status(rid: str) -> str:
        return await svc.pool.fetchval("SELECT status FROM referrals WHERE id = $1", uuid.UUID(rid))

    async def snapshot() -> tuple:
        return (await svc.pool.fetchval("SELECT count(*) FROM outbox"),
                await svc.pool.fetchval("SELECT count(*) FROM referral_history"),
                await svc.pool.fetchval("SELECT count(*) FROM cases"),
                await svc.pool.fetchval("SELECT count(*) FROM inbox"))

    async with svc.worker():
        first_id = await svc.publish(opened)
        await eventually(lambda: referral_status(referral["id"]), lambda s: s == "accepted", timeout=40,
                         what="referral accepted from CaseOpened")
        await svc.publish(OutreachStarted(engagement_id=uuid.uuid4(), referral_id=uuid.UUID(outreach["id"]),
                                          agency_id=DESK, case_id=case_id))
        await eventually(lambda: referral_status(outreach["id"]), lambda s: s == "accepted", timeout=40,
                         what="outreach accepted")
        before = await snapshot()
        # the same event delivered again (same ce_id), and the same fact under a new id
        await svc.publish(opened, event_id=first_id)
        await svc.publish(opened)
        await eventually(lambda: svc.pool.fetchval("SELECT count(*) FROM inbox"), lambda n: n == before[3] + 1,
                         timeout=40, what="the new event id consumed")
        after = await snapshot()
        assert after[:3] == before[:3]
        await svc.publish(CaseEnded(case_id=case_id, outcome_code="resolved", ended_on=today()))
        await eventually(lambda: referral_status(referral["id"]), lambda s: s == "completed", timeout=40,
                         what="referral completed when the case ended")
    changes = await events(svc, c["id"], "referral.status_changed.v1")
    assert [(e["referral_id"], e["status"], e["by_agency_id"]) for e in changes] == [
        (referral["id"], "accepted", DESK), (outreach["id"], "accepted", DESK),
        # both were taken into the case, so both end with it
        *sorted([(referral["id"], "completed", DESK), (outreach["id"], "completed", DESK)])]
    read = (await svc.client.get(f"/v1/referrals/{referral['id']}", headers=auth(stack, KITA))).json()
    assert read["case_id"] == str(case_id)
