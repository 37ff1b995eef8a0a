"""Consultations over HTTP against real PostgreSQL: never refused, malformed input refused
with nothing stored, idempotent retries, the desk's list, whole-household screening."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from kasane_shared.http.pagination import encode_cursor

from tests.intake.conftest import ADDRESS, auth, household_8050, person, years_ago
from tests.support.clock import today, zone
from tests.support.service_env import ServiceEnv
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration

KITA = "sk-houkatsu-kita"
MY_NUMBER = "123456789018"  # a valid individual number (check digit 8)
TABLES = ("consultations", "persons", "households", "household_members", "consultation_members", "screenings",
          "person_match_proposals", "outbox", "idempotency_keys", "audit_log")


async def counts(svc: ServiceEnv) -> dict[str, int]:
    return {t: await svc.pool.fetchval(f"SELECT count(*) FROM {t}") for t in TABLES}


async def outbox_types(svc: ServiceEnv, key: str) -> list[str]:
    return [r["type"] for r in await svc.pool.fetch(
        "SELECT type FROM outbox WHERE aggregate_id = $1 ORDER BY seq", key)]


@pytest.mark.parametrize("body", [
    pytest.param({"channel": "phone", "consulted_by": "anonymous", "summary": "近所で気になる家がある",
                  "concern_codes": ["isolation"]}, id="anonymous"),
    pytest.param({"channel": "neighbour", "consulted_by": "neighbour",
                  "members": [{"person": {"given_name": "おじいさん", "age_estimate": 85}, "subject": True,
                               "concern_codes": ["dementia"]}]}, id="third-party"),
    pytest.param({"channel": "other", "consulted_by": "other"}, id="almost-nothing"),
])
async def test_never_refused(stack: TestStack, svc: ServiceEnv, body: dict[str, Any]) -> None:
    r = await svc.client.post("/v1/consultations", json=body, headers=auth(stack, KITA))
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["agency_id"] == KITA and got["status"] == "open" and got["via"] == "api"
    assert got["anonymous"] == (body["consulted_by"] == "anonymous")
    assert got["screening"]["rules_version"] == "2026.11-1"
    assert await outbox_types(svc, got["id"]) == ["kasane.intake.consultation.received.v1",
                                                  "kasane.intake.consultation.screened.v1"]
    assert await svc.pool.fetchval("SELECT count(*) FROM consultations WHERE id = $1", uuid.UUID(got["id"])) == 1


async def test_third_party_report_creates_the_person_and_household(stack: TestStack, svc: ServiceEnv) -> None:
    body = {"channel": "minsei_iin", "consulted_by": "agency",
            "members": [{"person": {"given_name": "おじいさん", "age_estimate": 85}, "subject": True}],
            "concern_codes": ["dementia", "isolation"]}
    got = (await svc.client.post("/v1/consultations", json=body, headers=auth(stack, KITA))).json()
    assert got["household_id"] is not None and got["person_id"] == got["members"][0]["person_id"]
    assert got["age_band"] == "85-89"
    # a consultation about one person is about that person's concerns
    assert got["members"][0]["concern_codes"] == ["dementia", "isolation"]


async def test_unknown_concern_codes_are_kept_and_flagged(stack: TestStack, svc: ServiceEnv) -> None:
    body = {"channel": "walk_in", "consulted_by": "self", "concern_codes": ["debt", "gambling", "debt"]}
    got = (await svc.client.post("/v1/consultations", json=body, headers=auth(stack, KITA))).json()
    assert got["concern_codes"] == ["debt"] and got["unknown_concern_codes"] == ["gambling"]
    payload = await svc.pool.fetchval(
        "SELECT payload FROM outbox WHERE aggregate_id = $1 AND type LIKE '%received%'", got["id"])
    assert payload["unknown_concern_codes"] == ["gambling"]


async def test_concern_catalogue(stack: TestStack, svc: ServiceEnv) -> None:
    assert (await svc.client.get("/v1/concerns")).status_code == 401
    items = (await svc.client.get("/v1/concerns", headers=stack.auth(KITA))).json()
    codes = {i["code"] for i in items}
    assert {"elderly_care", "dementia", "withdrawal", "young_carer", "foreign_resident", "bereavement",
            "abuse_dv", "other"} <= codes and len(codes) == 20
    withdrawal = next(i for i in items if i["code"] == "withdrawal")
    assert withdrawal["label_ja"] == "ひきこもり" and withdrawal["label_en"].startswith("Social withdrawal")


def _with(path: str, value: Any) -> dict[str, Any]:
    body = household_8050()
    node: Any = body
    *parents, leaf = path.split(".")
    for p in parents:
        node = node[int(p)] if p.isdigit() else node[p]
    node[int(leaf) if leaf.isdigit() else leaf] = value
    return body


@pytest.mark.parametrize(("body", "field"), [
    pytest.param(_with("concern_codes", "elderly_care"), "concern_codes", id="wrong-type-list"),
    pytest.param(_with("members.0.person.age_estimate", "eighty"), "members.0.person.age_estimate",
                 id="wrong-type-int"),
    pytest.param(_with("members.1.lives_together", "sometimes"), "members.1.lives_together", id="wrong-type-bool"),
    pytest.param(_with("channel", "carrier_pigeon"), "channel", id="unknown-channel"),
    pytest.param(_with("summary", "あ" * 4001), "summary", id="summary-too-long"),
    pytest.param(_with("members.0.person.birth_date", "1944-02-30"), "members.0.person.birth_date",
                 id="impossible-date"),
    pytest.param(_with("members.1.person.birth_date", (today() + timedelta(days=3)).isoformat()),
                 "members.1.person.birth_date", id="birth-in-the-future"),
    pytest.param(_with("received_at", "2099-01-01T10:00:00+09:00"), "received_at", id="received-in-the-future"),
    pytest.param(_with("members.0.person.family_name_kana", "山田"), "members.0.person.family_name_kana",
                 id="kana-not-kana"),
    pytest.param(_with("summary", f"本人のマイナンバーは{MY_NUMBER}です"), "summary", id="my-number-in-summary"),
    pytest.param(_with("members.1.person.contact_notes", "番号 1234 5678 9018"), "members.1.person.contact_notes",
                 id="my-number-in-notes"),
    pytest.param(_with("external_id", MY_NUMBER), "external_id", id="my-number-as-external-id"),
    pytest.param(_with("area_code", "NOWHERE"), "area_code", id="unknown-area"),
    pytest.param(_with("members.0.person.address.area_code", "NOWHERE"), "members.0.person.address.area_code",
                 id="unknown-person-area"),
    pytest.param(_with("members.0.person_id", str(uuid.uuid4())), "members.0", id="person-and-person-id"),
    pytest.param(_with("members.0", {"person_id": str(uuid.uuid4())}), "members.0.person_id", id="unknown-person"),
    pytest.param(_with("household_id", str(uuid.uuid4())), "household_id", id="unknown-household"),
    pytest.param(_with("my_number", MY_NUMBER), "my_number", id="undeclared-field"),
])
async def test_malformed_input_is_422_naming_the_field_and_stores_nothing(
    stack: TestStack, svc: ServiceEnv, body: dict[str, Any], field: str
) -> None:
    before = await counts(svc)
    headers = {**auth(stack, KITA), "Idempotency-Key": f"bad-{uuid.uuid4()}"}
    r = await svc.client.post("/v1/consultations", json=body, headers=headers)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in r.json()["errors"]]
    assert MY_NUMBER not in r.text and "山田" not in r.text  # rejected input is never echoed
    assert await counts(svc) == before


async def test_a_my_number_is_never_stored_anywhere(stack: TestStack, svc: ServiceEnv) -> None:
    await svc.client.post("/v1/consultations", json=_with("summary", MY_NUMBER), headers=auth(stack, KITA))
    for table, column in [("consultations", "summary"), ("persons", "contact_notes"), ("outbox", "payload::text"),
                          ("idempotency_keys", "response::text")]:
        assert await svc.pool.fetchval(
            f"SELECT count(*) FROM {table} WHERE {column} LIKE $1", f"%{MY_NUMBER}%") == 0


async def test_a_retry_with_the_same_idempotency_key_returns_the_first_result(
    stack: TestStack, svc: ServiceEnv
) -> None:
    headers = {**auth(stack, KITA), "Idempotency-Key": f"retry-{uuid.uuid4()}"}
    body = {"channel": "phone", "consulted_by": "family", "summary": "同じ相談の再送", "concern_codes": ["housing"]}
    first = await svc.client.post("/v1/consultations", json=body, headers=headers)
    before = await counts(svc)
    again = await svc.client.post("/v1/consultations", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["id"] == first.json()["id"]
    # nothing written but the replay's own audit row: a replay is a read (issue 12)
    assert await counts(svc) == {**before, "audit_log": before["audit_log"] + 1}
    replayed = await svc.pool.fetchrow(
        "SELECT action, resource_type, resource_id FROM audit_log ORDER BY id DESC LIMIT 1")
    assert tuple(replayed) == ("read", "consultation", first.json()["id"])
    other = await svc.client.post("/v1/consultations", json={**body, "summary": "別の相談"}, headers=headers)
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "Idempotency-Key"


async def test_a_retry_with_the_same_external_id_returns_the_first_consultation(
    stack: TestStack, svc: ServiceEnv
) -> None:
    external = f"HK-{uuid.uuid4().hex[:10]}"
    body = {**household_8050(), "external_id": external}
    first = await svc.client.post("/v1/consultations", json=body, headers=auth(stack, KITA))
    assert first.status_code == 201
    before = await counts(svc)
    again = await svc.client.post("/v1/consultations", json=body, headers=auth(stack, KITA))
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    after = await counts(svc)
    assert {t: after[t] - before[t] for t in TABLES if after[t] != before[t]} == {"audit_log": 1}  # the read
    # another agency's partner may use the same external id for its own consultation
    mine = await svc.client.post("/v1/consultations", json={"channel": "phone", "consulted_by": "self",
                                                            "external_id": external},
                                 headers=auth(stack, "sk-shakyo"))
    assert mine.status_code == 201 and mine.json()["id"] != first.json()["id"]


async def test_concurrent_posts_with_one_external_id_make_one_consultation(stack: TestStack, svc: ServiceEnv) -> None:
    external = f"RACE-{uuid.uuid4().hex[:10]}"
    body = {"channel": "online", "consulted_by": "self", "external_id": external, "concern_codes": ["employment"]}
    replies = await asyncio.gather(*(svc.client.post("/v1/consultations", json=body, headers=auth(stack, KITA))
                                     for _ in range(4)))
    assert sorted(r.status_code for r in replies) == [200, 200, 200, 201]
    assert len({r.json()["id"] for r in replies}) == 1
    assert await svc.pool.fetchval("SELECT count(*) FROM consultations WHERE external_id = $1", external) == 1


async def test_8050_journey_is_screened_on_the_whole_household(stack: TestStack, svc: ServiceEnv) -> None:
    r = await svc.client.post("/v1/consultations", json=household_8050(), headers=auth(stack, KITA))
    got = r.json()
    screening = got["screening"]
    assert screening["patterns"] == ["8050"]
    assert screening["recommendation"] == "refer_to_collaboration"
    assert screening["fields_involved"] == ["elderly", "other"] and screening["members_with_concerns"] == 2
    assert any(reason["code"] == "8050" for reason in screening["reasons"])
    assert len(got["members"]) == 2 and got["age_band"] == "80-84" and got["area_code"] == "SK-N-01"
    event = await svc.pool.fetchval(
        "SELECT payload FROM outbox WHERE aggregate_id = $1 AND type = 'kasane.intake.consultation.screened.v1'",
        got["id"])
    assert event["screening"]["patterns"] == ["8050"] and event["household_id"] == got["household_id"]
    links = await outbox_types(svc, got["household_id"])
    assert links == ["kasane.intake.household.member_linked.v1"] * 2


async def test_a_later_consultation_sees_the_household_reported_before(stack: TestStack, svc: ServiceEnv) -> None:
    """The mother first, alone; then the disability desk reports the son into her household:
    the second screening sees both and names 8050."""
    first = (await svc.client.post("/v1/consultations", json={
        "channel": "walk_in", "consulted_by": "self",
        "members": [{"person": person("佐藤", "トメ", "サトウ", "トメ", 84), "relationship": "head",
                     "subject": True, "concern_codes": ["elderly_care"]}]}, headers=auth(stack, KITA))).json()
    assert first["screening"]["patterns"] == []
    second = await svc.client.post("/v1/consultations", json={
        "channel": "home_visit", "consulted_by": "agency", "household_id": first["household_id"],
        "members": [{"person": {"family_name": "佐藤", "given_name": "一郎", "age_estimate": 55},
                     "relationship": "child", "subject": True, "concern_codes": ["employment", "mental_health"]}]},
        headers=auth(stack, KITA))
    assert second.status_code == 201, second.text
    assert second.json()["household_id"] == first["household_id"]
    assert "8050" in second.json()["screening"]["patterns"]


async def test_the_desks_list_filters_and_pages(stack: TestStack, svc: ServiceEnv) -> None:
    agency = "sk-jiritsu"
    headers = auth(stack, agency)
    days = [3, 2, 1, 0]
    for n, ago in enumerate(days):
        # the first minute of that day in Japan: in the past at any hour the suite runs
        when = datetime.combine(today() - timedelta(days=ago), time(0, 1), zone()).isoformat()
        body = {"channel": "walk_in", "consulted_by": "self", "received_at": when,
                "concern_codes": ["poverty"] if n % 2 == 0 else ["debt"],
                "area_code": "SK-C-01" if n < 2 else "SK-S-02"}
        assert (await svc.client.post("/v1/consultations", json=body, headers=headers)).status_code == 201
    everything = (await svc.client.get("/v1/consultations", headers=headers)).json()["items"]
    assert len(everything) == 4 and {i["agency_id"] for i in everything} == {agency}
    assert [i["received_at"] for i in everything] == sorted((i["received_at"] for i in everything), reverse=True)
    debt = (await svc.client.get("/v1/consultations", params={"concern": "debt"}, headers=headers)).json()["items"]
    assert len(debt) == 2 and all(i["concern_codes"] == ["debt"] for i in debt)
    central = (await svc.client.get("/v1/consultations", params={"area": "SK-C"}, headers=headers)).json()["items"]
    assert {i["area_code"] for i in central} == {"SK-C-01"} and len(central) == 2
    since = (today() - timedelta(days=1)).isoformat()
    recent = (await svc.client.get("/v1/consultations", params={"received_from": since}, headers=headers)).json()
    assert len(recent["items"]) == 2
    window = {"received_from": (today() - timedelta(days=3)).isoformat(),
              "received_to": (today() - timedelta(days=2)).isoformat()}
    assert len((await svc.client.get("/v1/consultations", params=window, headers=headers)).json()["items"]) == 2
    assert (await svc.client.get("/v1/consultations", params={"status": "open"}, headers=headers)).json()["items"]
    assert not (await svc.client.get("/v1/consultations", params={"status": "closed"},
                                     headers=headers)).json()["items"]
    pages, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await svc.client.get("/v1/consultations", params=params, headers=headers)).json()
        pages.append([i["id"] for i in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [len(p) for p in pages] == [3, 1]
    assert [i for p in pages for i in p] == [i["id"] for i in everything]
    # a cursor the API did not return is a 400 naming it, whatever is wrong inside (issue 20)
    for bad_cursor in ("nonsense", encode_cursor("yesterday", uuid.uuid4()),
                       encode_cursor("2026-11-02T10:00:00+00:00", "not-a-uuid")):
        bad = await svc.client.get("/v1/consultations", params={"cursor": bad_cursor}, headers=headers)
        assert (bad.status_code, bad.json()["errors"][0]["field"]) == (400, "cursor"), bad.text
    for bad_cursor in ("nonsense", encode_cursor("not-a-uuid")):
        bad = await svc.client.get("/v1/referrals", params={"cursor": bad_cursor}, headers=headers)
        assert (bad.status_code, bad.json()["errors"][0]["field"]) == (400, "cursor"), bad.text
    wrong = await svc.client.get("/v1/consultations", params={"status": "lost"}, headers=headers)
    assert wrong.status_code == 422


async def test_closing_is_for_the_receiving_desk(stack: TestStack, svc: ServiceEnv) -> None:
    got = (await svc.client.post("/v1/consultations", json={"channel": "phone", "consulted_by": "self"},
                                 headers=auth(stack, KITA))).json()
    other = await svc.client.post(f"/v1/consultations/{got['id']}/close", headers=auth(stack, "sk-shakyo"))
    assert other.status_code == 404
    closed = await svc.client.post(f"/v1/consultations/{got['id']}/close", headers=auth(stack, KITA))
    assert closed.status_code == 200 and closed.json()["status"] == "closed"


async def test_scopes_are_required(stack: TestStack, svc: ServiceEnv) -> None:
    body = {"channel": "phone", "consulted_by": "self"}
    r = await svc.client.post("/v1/consultations", json=body, headers=stack.auth(KITA, "consultations:read"))
    assert r.status_code == 403
    assert (await svc.client.post("/v1/consultations", json=body)).status_code == 401


def test_helpers_make_sensible_people() -> None:
    assert person("a", "b", "ア", "イ", 50, address=ADDRESS)["birth_date"] == years_ago(50)
