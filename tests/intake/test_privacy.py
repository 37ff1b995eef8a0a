"""What intake puts on kasane.intake.v1 carries ids, codes, areas and age bands only: the
whole journey's events are read back from Kafka and checked for the personal data sent."""

from __future__ import annotations

import pytest
from kasane_shared.events.streams import INTAKE

from tests.intake.conftest import ADDRESS, auth, household_8050, person
from tests.support.clock import today
from tests.support.kafka import eventually, header
from tests.support.privacy import assert_no_personal_data
from tests.support.service_env import ServiceEnv
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration

KITA = "sk-houkatsu-kita"
SCHOOL = "sk-school-kita"


async def test_intake_events_carry_no_personal_data(stack: TestStack, svc: ServiceEnv) -> None:
    sent: list[str] = []
    body = household_8050()
    for member in body["members"]:
        p = member["person"]
        sent += [p["family_name"] + p["given_name"], p["given_name"], p["family_name_kana"] + p["given_name_kana"],
                 p["given_name_kana"], p["birth_date"], p["address"]["street"], *([p["phone"]] if "phone" in p else [])]
    sent.append(body["summary"])
    elderly = (await svc.client.post("/v1/consultations", json=body, headers=auth(stack, KITA))).json()

    school_body = {
        "channel": "school", "consulted_by": "agency",
        "summary": "4年生の長男が2か月登校していない。母は乳児の世話で疲れている様子。",
        "members": [
            {"person": person("田中", "美咲", "タナカ", "ミサキ", 36, phone="080-4444-5555",
                              address={**ADDRESS, "street": "北町1丁目2番3号"},
                              contact_notes="学校経由で連絡、夕方以降"),
             "relationship": "head", "concern_codes": ["mental_health", "child_rearing"]},
            {"person": person("田中", "蓮", "タナカ", "レン", 10), "relationship": "child", "subject": True,
             "concern_codes": ["school_non_attendance"]},
            {"person": person("田中", "陽菜", "タナカ", "ヒナ", 0), "relationship": "child"},
        ],
    }
    sent += ["田中美咲", "美咲", "タナカミサキ", "080-4444-5555", "北町1丁目2番3号", "学校経由で連絡、夕方以降",
             school_body["summary"], "田中蓮", "タナカレン", school_body["members"][1]["person"]["birth_date"],
             school_body["members"][0]["person"]["birth_date"]]
    school = (await svc.client.post("/v1/consultations", json=school_body, headers=auth(stack, SCHOOL))).json()
    assert "young_carer" in school["screening"]["patterns"]

    referral_reason = "母の介護と長男のひきこもりが重なっている"
    sent.append(referral_reason)
    assert (await svc.client.post(f"/v1/consultations/{elderly['id']}/referrals", json={
        "target": "collaboration", "reason_code": "complex_needs", "reason": referral_reason},
        headers=auth(stack, KITA))).status_code == 201
    assert (await svc.client.post(f"/v1/consultations/{school['id']}/referrals", json={
        "target": "collaboration", "reason_code": "complex_needs"}, headers=auth(stack, SCHOOL))).status_code == 201
    consent_note = "母本人が面談で口頭同意、長女立会い"
    sent.append(consent_note)
    mother = school["members"][0]["person_id"]
    consent = (await svc.client.post("/v1/consents", json={
        "person_id": mother, "scope": "collaboration", "method": "oral",
        "granted_on": today().isoformat(), "note": consent_note}, headers=auth(stack, SCHOOL))).json()
    await svc.client.post(f"/v1/consents/{consent['id']}/withdraw",
                          json={"withdrawn_on": today().isoformat(), "reason": "気が変わった"},
                          headers=auth(stack, SCHOOL))
    sent.append("気が変わった")
    again = (await svc.client.post("/v1/consultations", json=household_8050(), headers=auth(stack, KITA))).json()
    [proposal, *_] = again["match_proposals"]
    merger = auth(stack, KITA, "persons:merge")
    merge = (await svc.client.post(f"/v1/persons/{proposal['candidate_person_id']}/merges",
                                   json={"merged_person_id": proposal["person_id"], "reason": "同一人物"},
                                   headers=merger)).json()
    await svc.client.post(f"/v1/person-merges/{merge['id']}/unlink", json={"reason": "念のため取消"}, headers=merger)

    outbox = await svc.pool.fetchval("SELECT count(*) FROM outbox")
    async with svc.worker(consumer=False):
        await eventually(lambda: svc.pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"),
                         lambda n: n == 0, timeout=40, what="the outbox drained to Kafka")
    records = await svc.read(INTAKE.name, at_least=outbox)
    assert len(records) == outbox
    types = {header(r, "ce_type") for r in records}
    assert {"kasane.intake.consultation.received.v1", "kasane.intake.consultation.screened.v1",
            "kasane.intake.consultation.referred.v1", "kasane.intake.household.member_linked.v1",
            "kasane.intake.consent.granted.v1", "kasane.intake.consent.withdrawn.v1",
            "kasane.intake.persons.merged.v1", "kasane.intake.persons.unlinked.v1"} <= types
    assert assert_no_personal_data(records, sent) == outbox
