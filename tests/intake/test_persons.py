"""Persons, households and consent over HTTP: matches proposed (never merged), explicit
reversible merges with events, households and their events, consent granted and withdrawn."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from tests.intake.conftest import auth, person, years_ago
from tests.support.clock import today
from tests.support.service_env import ServiceEnv
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration

KITA = "sk-houkatsu-kita"
STREET = {"prefecture": "みどり県", "municipality": "桜ヶ丘市", "area_code": "SK-N-02", "street": "桜台1丁目4番2号"}


async def consult(stack: TestStack, svc: ServiceEnv, agency: str, *members: dict[str, Any], **extra: Any) -> dict:
    body = {"channel": "walk_in", "consulted_by": "self", "members": list(members), **extra}
    r = await svc.client.post("/v1/consultations", json=body, headers=auth(stack, agency))
    assert r.status_code == 201, r.text
    return r.json()


async def events(svc: ServiceEnv, type_suffix: str, key: str) -> list[dict]:
    return [r["payload"] for r in await svc.pool.fetch(
        "SELECT payload FROM outbox WHERE type LIKE $1 AND aggregate_id = $2 ORDER BY seq",
        f"%{type_suffix}%", key)]


async def test_a_reported_person_is_proposed_as_a_match_never_merged(stack: TestStack, svc: ServiceEnv) -> None:
    born = years_ago(79, 5, 1)
    first = await consult(stack, svc, KITA, {"person": {
        "family_name": "鈴木", "given_name": "キヨ", "family_name_kana": "スズキ", "given_name_kana": "キヨ",
        "birth_date": born, "address": STREET}, "subject": True})
    original = first["person_id"]
    # the same woman, written in hiragana with half-width spaces, by the same desk
    second = await consult(stack, svc, KITA, {"person": {
        "family_name": "鈴木", "given_name": "きよ", "family_name_kana": "すずき", "given_name_kana": "きよ",
        "birth_date": born}, "subject": True})
    new = second["person_id"]
    assert new != original
    [proposal] = second["match_proposals"]
    assert (proposal["person_id"], proposal["candidate_person_id"]) == (new, original)
    assert proposal["reasons"] == ["same_kana_birth_date"] and proposal["status"] == "proposed"
    assert await svc.pool.fetchval("SELECT merged_into FROM persons WHERE id = $1", uuid.UUID(new)) is None
    # half-width kana and a long vowel, same address, no birth date: similar kana at one address
    third = await consult(stack, svc, KITA, {"person": {
        "family_name_kana": "ｽｽﾞｷ", "given_name_kana": "ｷｰﾖ", "address": {**STREET, "street": "桜台１－４－２"}},
        "subject": True})
    reasons = {p["candidate_person_id"]: p["reasons"] for p in third["match_proposals"]}
    assert reasons[original] == ["same_address_similar_kana"]
    # another desk reporting her is proposed too, but it is not shown whom it matched
    elsewhere = await consult(stack, svc, "sk-shakyo", {"person": {
        "family_name_kana": "スズキ", "given_name_kana": "キヨ", "birth_date": born}, "subject": True})
    assert elsewhere["match_proposals"] == []
    stored = await svc.pool.fetch("SELECT candidate_id FROM person_match_proposals WHERE person_id = $1",
                                  uuid.UUID(elsewhere["person_id"]))
    assert {str(r["candidate_id"]) for r in stored} >= {original, new}


async def test_merge_and_unlink_are_explicit_audited_and_reversible(stack: TestStack, svc: ServiceEnv) -> None:
    born = years_ago(66, 8, 8)
    katakana = {**person("高橋", "進", "タカハシ", "ススム", 66), "birth_date": born}
    hiragana = {**person("高橋", "進", "たかはし", "すすむ", 66), "birth_date": born}
    a = await consult(stack, svc, KITA, {"person": katakana, "subject": True, "concern_codes": ["health"]})
    b = await consult(stack, svc, KITA, {"person": hiragana, "subject": True, "concern_codes": ["poverty"]})
    keep, fold = a["person_id"], b["person_id"]
    [proposal] = b["match_proposals"]
    body = {"merged_person_id": fold, "proposal_id": proposal["id"], "reason": "同一人物と確認"}
    no_scope = await svc.client.post(f"/v1/persons/{keep}/merges", json=body, headers=auth(stack, KITA))
    assert no_scope.status_code == 403
    merger = auth(stack, KITA, "persons:merge")
    merged = await svc.client.post(f"/v1/persons/{keep}/merges", json=body, headers=merger)
    assert merged.status_code == 201, merged.text
    merge_id = merged.json()["id"]
    assert await events(svc, "persons.merged", keep) == [
        {"merge_id": merge_id, "surviving_person_id": keep, "merged_person_id": fold}]
    kept = (await svc.client.get(f"/v1/persons/{keep}", headers=merger)).json()
    assert kept["merged_person_ids"] == [fold]
    assert {h["household_id"] for h in kept["households"]} == {a["household_id"], b["household_id"]}
    assert kept["match_proposals"] == []
    assert (await svc.client.get(f"/v1/persons/{fold}", headers=merger)).json()["merged_into"] == keep
    twice = await svc.client.post(f"/v1/persons/{keep}/merges", json={"merged_person_id": fold}, headers=merger)
    assert twice.status_code == 409

    undone = await svc.client.post(f"/v1/person-merges/{merge_id}/unlink", json={"reason": "別人だった"},
                                   headers=merger)
    assert undone.status_code == 200 and undone.json()["unlinked_at"] is not None
    assert await events(svc, "persons.unlinked", keep) == [
        {"merge_id": merge_id, "surviving_person_id": keep, "restored_person_id": fold}]
    restored = (await svc.client.get(f"/v1/persons/{fold}", headers=merger)).json()
    assert restored["merged_into"] is None and [h["household_id"] for h in restored["households"]] == [
        b["household_id"]]
    assert (await svc.client.get(f"/v1/persons/{keep}", headers=merger)).json()["merged_person_ids"] == []
    assert (await svc.client.post(f"/v1/person-merges/{merge_id}/unlink", json={}, headers=merger)).status_code == 409
    actions = [r["action"] for r in await svc.pool.fetch(
        "SELECT action FROM audit_log WHERE resource_id = $1 AND action IN ('merge', 'unlink') ORDER BY id", keep)]
    assert actions == ["merge", "unlink"]


async def test_a_match_can_be_dismissed(stack: TestStack, svc: ServiceEnv) -> None:
    born = years_ago(30, 1, 2)
    await consult(stack, svc, KITA, {"person": {"family_name_kana": "イトウ", "given_name_kana": "ユイ",
                                                "birth_date": born}})
    b = await consult(stack, svc, KITA, {"person": {"family_name_kana": "イトウ", "given_name_kana": "ユイ",
                                                    "birth_date": born}})
    [proposal] = b["match_proposals"]
    r = await svc.client.post(f"/v1/person-matches/{proposal['id']}/dismiss",
                              headers=auth(stack, KITA, "persons:merge"))
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
    again = await svc.client.get(f"/v1/persons/{b['person_id']}", headers=auth(stack, KITA))
    assert again.json()["match_proposals"] == []


async def test_persons_register_read_correct_and_search(stack: TestStack, svc: ServiceEnv) -> None:
    headers = auth(stack, "sk-kosodate")
    created = await svc.client.post("/v1/persons", json={
        "family_name": "ダシルバ", "given_name": "アナ", "family_name_kana": "ダシルバ", "given_name_kana": "アナ",
        "birth_date": years_ago(34), "preferred_language": "pt-BR", "contact_notes": "平日夕方、ポルトガル語で"},
        headers=headers)
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    fixed = await svc.client.patch(f"/v1/persons/{pid}", json={"phone": "080-2222-3333"}, headers=headers)
    assert fixed.status_code == 200 and fixed.json()["phone"] == "080-2222-3333"
    assert fixed.json()["preferred_language"] == "pt-BR"
    leak = await svc.client.patch(f"/v1/persons/{pid}", json={"phone": "1234-5678-9018"}, headers=headers)
    assert leak.status_code == 422 and leak.json()["errors"][0]["field"] == "phone"
    found = await svc.client.post("/v1/persons/search", json={"kana": "ﾀﾞｼﾙﾊﾞ ｱﾅ"}, headers=headers)
    assert [p["id"] for p in found.json()] == [pid]
    assert (await svc.client.post("/v1/persons/search", json={"kana": "ダシルバアナ"},
                                  headers=auth(stack, "sk-shakyo"))).json() == []
    assert (await svc.client.get(f"/v1/persons/{pid}", headers=auth(stack, "sk-shakyo"))).status_code == 404


async def test_households_link_members_with_events(stack: TestStack, svc: ServiceEnv) -> None:
    headers = auth(stack, "sk-sougou-higashi")
    r = await svc.client.post("/v1/households", json={"area_code": "SK-E-01", "members": [
        {"person": person("中村", "恵", "ナカムラ", "メグミ", 41), "relationship": "head"},
        {"person": {"given_name": "陽", "age_estimate": 2}, "relationship": "child"},
    ]}, headers=headers)
    assert r.status_code == 201, r.text
    household = r.json()
    assert [m["relationship"] for m in household["members"]] == ["head", "child"]
    linked = await events(svc, "household.member_linked", household["id"])
    assert [(e["relationship"], e["lives_together"], e["age_band"], e["area_code"]) for e in linked] == [
        ("head", True, "40-44", "SK-E-01"), ("child", True, "0-4", "SK-E-01")]
    grandma = await svc.client.post("/v1/persons", json={"given_name": "ミツ", "age_estimate": 80}, headers=headers)
    add = {"person_id": grandma.json()["id"], "relationship": "parent", "lives_together": False}
    assert (await svc.client.post(f"/v1/households/{household['id']}/members", json=add,
                                  headers=headers)).status_code == 201
    assert (await svc.client.post(f"/v1/households/{household['id']}/members", json=add,
                                  headers=headers)).status_code == 201
    assert len(await events(svc, "household.member_linked", household["id"])) == 3  # the repeat changed nothing
    moved_in = await svc.client.post(f"/v1/households/{household['id']}/members",
                                     json={**add, "lives_together": True}, headers=headers)
    assert [m["lives_together"] for m in moved_in.json()["members"]] == [True, True, True]
    assert len(await events(svc, "household.member_linked", household["id"])) == 4
    other = await svc.client.post(f"/v1/households/{household['id']}/members", json=add,
                                  headers=auth(stack, "sk-shakyo"))
    assert other.status_code == 404
    bad = await svc.client.post("/v1/households", json={"members": [{"person_id": str(uuid.uuid4())}]},
                                headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "members.0.person_id"


async def test_consent_granted_and_withdrawn_with_events(stack: TestStack, svc: ServiceEnv) -> None:
    got = await consult(stack, svc, KITA, {"person": person("木村", "正", "キムラ", "タダシ", 70), "subject": True})
    pid, headers = got["person_id"], auth(stack, KITA)
    shakyo = auth(stack, "sk-shakyo")
    assert (await svc.client.get(f"/v1/persons/{pid}", headers=shakyo)).status_code == 404
    day = today().isoformat()
    granted = await svc.client.post("/v1/consents", json={
        "person_id": pid, "scope": "named_agencies", "agency_ids": ["sk-shakyo"], "method": "written",
        "granted_on": day, "note": "同意書に署名"}, headers=headers)
    assert granted.status_code == 201, granted.text
    consent = granted.json()
    assert consent["active"] and consent["agency_ids"] == ["sk-shakyo"]
    [event] = await events(svc, "consent.granted", pid)
    assert event == {"consent_id": consent["id"], "person_id": pid, "household_id": got["household_id"],
                     "scope": "named_agencies", "agency_ids": ["sk-shakyo"], "method": "written",
                     "granted_on": day, "expires_on": None}
    # the named agency may now read the person
    opened = await svc.client.get(f"/v1/persons/{pid}", headers=shakyo)
    assert opened.status_code == 200 and opened.json()["family_name"] == "木村"
    assert (await svc.client.get(f"/v1/consents/{consent['id']}", headers=shakyo)).status_code == 200

    withdrawn = await svc.client.post(f"/v1/consents/{consent['id']}/withdraw",
                                      json={"withdrawn_on": day, "reason": "本人の申し出"}, headers=headers)
    assert withdrawn.status_code == 200 and withdrawn.json()["active"] is False
    assert await events(svc, "consent.withdrawn", pid) == [
        {"consent_id": consent["id"], "person_id": pid, "withdrawn_on": day}]
    assert (await svc.client.get(f"/v1/persons/{pid}", headers=shakyo)).status_code == 404
    again = await svc.client.post(f"/v1/consents/{consent['id']}/withdraw", json={"withdrawn_on": day},
                                  headers=headers)
    assert again.status_code == 409
    read = (await svc.client.get(f"/v1/persons/{pid}", headers=headers)).json()
    assert [(c["id"], c["active"]) for c in read["consents"]] == [(consent["id"], False)]


@pytest.mark.parametrize(("change", "field"), [
    ({"scope": "named_agencies", "agency_ids": []}, "agency_ids"),
    ({"scope": "named_agencies", "agency_ids": ["sk-nowhere"]}, "agency_ids.0"),
    ({"scope": "collaboration", "agency_ids": ["sk-shakyo"]}, "agency_ids"),
    ({"method": "proxy"}, "proxy_relationship"),
    ({"method": "by_telepathy"}, "method"),
    ({"granted_on": (today() + timedelta(days=1)).isoformat()}, "granted_on"),
    ({"granted_on": "2026-13-01"}, "granted_on"),
    ({"expires_on": (today() - timedelta(days=1)).isoformat()}, "expires_on"),
    ({"person_id": str(uuid.uuid4())}, "person_id"),
    ({"note": "個人番号 123456789018 を確認"}, "note"),
])
async def test_consent_input_is_checked(stack: TestStack, svc: ServiceEnv, change: dict, field: str) -> None:
    got = await consult(stack, svc, KITA, {"person": {"given_name": "次郎", "age_estimate": 60}, "subject": True})
    body = {"person_id": got["person_id"], "scope": "collaboration", "method": "oral",
            "granted_on": today().isoformat(), **change}
    before = await svc.pool.fetchval("SELECT count(*) FROM consents")
    r = await svc.client.post("/v1/consents", json=body, headers=auth(stack, KITA))
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]
    assert await svc.pool.fetchval("SELECT count(*) FROM consents") == before


async def test_another_agency_cannot_record_consent_for_a_person_it_cannot_see(
    stack: TestStack, svc: ServiceEnv
) -> None:
    got = await consult(stack, svc, KITA, {"person": {"given_name": "三郎", "age_estimate": 61}, "subject": True})
    r = await svc.client.post("/v1/consents", json={
        "person_id": got["person_id"], "scope": "collaboration", "method": "oral",
        "granted_on": today().isoformat()}, headers=auth(stack, "sk-shakyo"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "person_id"
