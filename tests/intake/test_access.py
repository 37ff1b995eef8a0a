"""Access by relationship, consent, case team and break glass; 404 for everything else;
every read audit-logged."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from kasane_shared.contracts.codes import CaseStatus
from kasane_shared.contracts.coordination import (
    CaseEnded,
    CaseOpened,
    CaseStatusChanged,
    TeamMemberJoined,
    TeamMemberLeft,
)

from tests.intake.conftest import auth, household_8050
from tests.support.clock import days_ago, today
from tests.support.kafka import eventually
from tests.support.service_env import ServiceEnv
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration

KITA = "sk-houkatsu-kita"
TEAM = "sk-shogai-soudan"


async def posted(stack: TestStack, svc: ServiceEnv) -> dict:
    r = await svc.client.post("/v1/consultations", json=household_8050(), headers=auth(stack, KITA))
    assert r.status_code == 201
    return r.json()


def problem_without_instance(r) -> dict:
    return {k: v for k, v in r.json().items() if k != "instance"}


async def test_another_agency_gets_404_exactly_like_an_unknown_id(stack: TestStack, svc: ServiceEnv) -> None:
    c = await posted(stack, svc)
    referral = (await svc.client.post(f"/v1/consultations/{c['id']}/referrals",
                                      json={"target": "collaboration", "reason_code": "complex_needs"},
                                      headers=auth(stack, KITA))).json()
    other = auth(stack, "sk-shakyo")
    for path in ("/v1/consultations/{}", "/v1/persons/{}", "/v1/households/{}", "/v1/referrals/{}"):
        real_id = {"consultations": c["id"], "persons": c["person_id"], "households": c["household_id"],
                   "referrals": referral["id"]}[path.split("/")[2]]
        mine = await svc.client.get(path.format(real_id), headers=other)
        unknown = await svc.client.get(path.format(uuid.uuid4()), headers=other)
        assert (mine.status_code, unknown.status_code) == (404, 404), path
        assert problem_without_instance(mine) == problem_without_instance(unknown)
    assert (await svc.client.get("/v1/consultations", headers=other)).json()["items"] == []
    # the receiving desk reads everything, and every read is in the audit log with its purpose
    headers = {**auth(stack, KITA, subject="staff-7"), "Kasane-Purpose": "home_visit_planning"}
    assert (await svc.client.get(f"/v1/consultations/{c['id']}", headers=headers)).status_code == 200
    assert (await svc.client.get(f"/v1/persons/{c['person_id']}", headers=headers)).status_code == 200
    rows = await svc.pool.fetch(
        """SELECT resource_type, resource_id, actor, purpose, break_glass FROM audit_log
            WHERE agency_id = $1 AND action = 'read' AND actor = 'staff-7' ORDER BY id""", KITA)
    assert [(r["resource_type"], r["resource_id"]) for r in rows] == [
        ("consultation", c["id"]), ("person", c["members"][0]["person_id"]),
        ("person", c["members"][1]["person_id"]), ("person", c["person_id"])]
    assert {(r["purpose"], r["break_glass"]) for r in rows} == {("home_visit_planning", False)}


async def test_a_case_team_member_reads_the_household_as_consent_allows(stack: TestStack, svc: ServiceEnv) -> None:
    c = await posted(stack, svc)
    mother, son = (m["person_id"] for m in c["members"])
    household = c["household_id"]
    team = auth(stack, TEAM)
    assert (await svc.client.get(f"/v1/households/{household}", headers=team)).status_code == 404
    case_id = uuid.uuid4()
    joined = TeamMemberJoined(case_id=case_id, agency_id=TEAM, role="field_supporter",
                              household_id=uuid.UUID(household))

    async def team_rows() -> int:
        return await svc.pool.fetchval("SELECT count(*) FROM case_team WHERE left_at IS NULL AND agency_id = $1",
                                       TEAM)

    async with svc.worker():
        joined_id = await svc.publish(joined)
        await eventually(team_rows, lambda n: n == 1, timeout=40, what="team membership applied")

        # no consent yet: the household's shape, age bands and areas; no names, no summary
        view = (await svc.client.get(f"/v1/households/{household}", headers=team)).json()
        assert view["access"] == "limited"
        assert [(m["person"]["access"], m["person"]["family_name"], m["person"]["age_band"])
                for m in view["members"]] == [("limited", None, "80-84"), ("limited", None, "50-54")]
        assert [(x["access"], x["summary"]) for x in view["consultations"]] == [("limited", None)]
        assert view["latest_screening"]["patterns"] == ["8050"]
        # naming the household in a consultation would make the team a desk of it: not without consent
        named = await svc.client.post("/v1/consultations", json={
            "channel": "agency_referral", "consulted_by": "agency", "household_id": household}, headers=team)
        assert named.status_code == 422 and named.json()["errors"][0]["field"] == "household_id"
        limited = (await svc.client.get(f"/v1/consultations/{c['id']}", headers=team)).json()
        assert limited["access"] == "limited" and limited["summary"] is None and limited["members"] == []
        son_limited = (await svc.client.get(f"/v1/persons/{son}", headers=team)).json()
        assert (son_limited["access"], son_limited["phone"], son_limited["households"]) == ("limited", None, [])

        # the son consents to sharing with the collaboration: his record opens to the team
        for pid in (son,):
            assert (await svc.client.post("/v1/consents", json={
                "person_id": pid, "scope": "collaboration", "method": "oral",
                "granted_on": today().isoformat()}, headers=auth(stack, KITA))).status_code == 201
        son_view = (await svc.client.get(f"/v1/persons/{son}", headers=team)).json()
        assert son_view["access"] == "full" and son_view["given_name"] == "太郎"
        assert (await svc.client.get(f"/v1/persons/{mother}", headers=team)).json()["access"] == "limited"
        assert (await svc.client.get(f"/v1/consultations/{c['id']}", headers=team)).json()["access"] == "limited"
        # and the mother too: the consultation about both of them opens
        assert (await svc.client.post("/v1/consents", json={
            "person_id": mother, "scope": "collaboration", "method": "proxy", "proxy_relationship": "child",
            "granted_on": today().isoformat()}, headers=auth(stack, KITA))).status_code == 201
        full = (await svc.client.get(f"/v1/consultations/{c['id']}", headers=team)).json()
        assert full["access"] == "full" and full["summary"].startswith("母（82）")

        # leaving the team closes the household again; a redelivered join changes nothing
        await svc.publish(TeamMemberLeft(case_id=case_id, agency_id=TEAM, household_id=uuid.UUID(household)))
        await eventually(team_rows, lambda n: n == 0, timeout=40, what="team membership ended")
        before = await svc.pool.fetchval("SELECT count(*) FROM inbox")
        await svc.publish(joined, event_id=joined_id)
        await svc.publish(TeamMemberLeft(case_id=case_id, agency_id="sk-kyoiku"))  # a marker after it
        await eventually(lambda: svc.pool.fetchval("SELECT count(*) FROM inbox"), lambda n: n == before + 1,
                         timeout=40, what="the marker consumed")
        assert await team_rows() == 0
    assert (await svc.client.get(f"/v1/households/{household}", headers=team)).status_code == 404
    # consent covers the team only while it is on the case team
    assert (await svc.client.get(f"/v1/persons/{son}", headers=team)).status_code == 404


async def test_ending_the_case_ends_the_access_its_team_had(stack: TestStack, svc: ServiceEnv) -> None:
    """Issue 12: ending a case ends the access its team had in intake, though no member left
    the team; reopening it gives the access back; another open case of the household keeps it."""
    c = await posted(stack, svc)
    household, son = uuid.UUID(c["household_id"]), c["members"][1]["person_id"]
    team = auth(stack, TEAM)
    case_id = uuid.uuid4()

    async def household_status() -> int:
        return (await svc.client.get(f"/v1/households/{household}", headers=team)).status_code

    async def son_access() -> str | None:
        r = await svc.client.get(f"/v1/persons/{son}", headers=team)
        return r.json()["access"] if r.status_code == 200 else None

    async with svc.worker():
        await svc.publish(CaseOpened(case_id=case_id, origin="direct", household_id=household))
        await svc.publish(TeamMemberJoined(case_id=case_id, agency_id=TEAM, role="field_supporter",
                                           household_id=household))
        await eventually(household_status, lambda s: s == 200, timeout=40, what="the team reading the household")
        assert (await svc.client.post("/v1/consents", json={
            "person_id": son, "scope": "collaboration", "method": "oral",
            "granted_on": today().isoformat()}, headers=auth(stack, KITA))).status_code == 201
        assert await son_access() == "full"

        await svc.publish(CaseStatusChanged(case_id=case_id, from_status=CaseStatus.in_support,
                                            to_status=CaseStatus.ended, reason_code="resolved", by_agency_id=TEAM))
        await svc.publish(CaseEnded(case_id=case_id, outcome_code="resolved", ended_on=today(),
                                    area_code="SK-N-01"))
        await eventually(household_status, lambda s: s == 404, timeout=40, what="the ended case closing the household")
        assert await son_access() is None  # the collaboration consent covered it only through the case
        assert await svc.pool.fetchval("SELECT left_at IS NULL FROM case_team WHERE case_id = $1", case_id)

        await svc.publish(CaseStatusChanged(case_id=case_id, from_status=CaseStatus.ended,
                                            to_status=CaseStatus.assessing, reason_code="reopened",
                                            by_agency_id=TEAM))
        await eventually(household_status, lambda s: s == 200, timeout=40, what="the reopened case")
        assert await son_access() == "full"


async def test_break_glass_opens_one_record_and_is_flagged(stack: TestStack, svc: ServiceEnv) -> None:
    c = await posted(stack, svc)
    household = c["household_id"]
    nurse = auth(stack, "sk-hoken", "break-glass", subject="nurse-3")
    assert (await svc.client.get(f"/v1/households/{household}", headers=nurse)).status_code == 404
    reason = "本人が倒れているとの通報、緊急訪問のため"
    grant = await svc.client.post("/v1/break-glass", json={"resource_type": "household", "resource_id": household,
                                                           "reason": reason}, headers=nurse)
    assert grant.status_code == 201
    opened = await svc.client.get(f"/v1/households/{household}", headers=nurse)
    assert opened.status_code == 200 and opened.json()["access"] == "full"
    assert {m["person"]["access"] for m in opened.json()["members"]} == {"full"}
    assert opened.json()["consultations"][0]["summary"].startswith("母（82）")
    person = await svc.client.get(f"/v1/persons/{c['person_id']}", headers=nurse)
    assert person.status_code == 200 and person.json()["family_name"] == "山田"
    flagged = await svc.pool.fetch(
        "SELECT resource_type, purpose FROM audit_log WHERE actor = 'nurse-3' AND action = 'read' AND break_glass")
    assert {r["resource_type"] for r in flagged} >= {"household", "person", "consultation"}
    assert {r["purpose"] for r in flagged} == {reason}
    # the grant is the nurse's own: a colleague of the same agency still gets 404
    colleague = auth(stack, "sk-hoken", "break-glass", subject="nurse-4")
    assert (await svc.client.get(f"/v1/households/{household}", headers=colleague)).status_code == 404
    unknown_type = await svc.client.post("/v1/break-glass", json={"resource_type": "case", "resource_id": household,
                                                                  "reason": reason}, headers=nurse)
    assert unknown_type.status_code == 422


async def test_break_glass_never_becomes_standing_access(stack: TestStack, svc: ServiceEnv) -> None:
    """Issue 12: a break-glass reader with every scope tries each write that would make its
    agency a desk of the household or the person (a consultation on the household or naming
    the person, a consent naming itself, a merge into its own record). Each is refused,
    nothing is written, and a colleague without the grant still gets 404 afterwards."""
    c = await posted(stack, svc)
    household, person = c["household_id"], c["person_id"]
    scopes = ("break-glass", "consultations:read", "consultations:write", "persons:read", "persons:write",
              "persons:merge", "consents:write")
    nurse = auth(stack, "sk-hoken", *scopes, subject="nurse-5")
    for resource_type, resource_id in (("household", household), ("person", person)):
        assert (await svc.client.post("/v1/break-glass", json={
            "resource_type": resource_type, "resource_id": resource_id,
            "reason": "本人が倒れているとの通報、緊急訪問のため"}, headers=nurse)).status_code == 201
    assert (await svc.client.get(f"/v1/persons/{person}", headers=nurse)).json()["access"] == "full"
    own = await svc.client.post("/v1/persons", json={"family_name": "山田", "given_name": "花子"}, headers=nurse)
    assert own.status_code == 201
    tables = ("consultations", "consultation_members", "household_members", "consents", "persons", "outbox")

    async def counts() -> dict[str, int]:
        return {t: await svc.pool.fetchval(f"SELECT count(*) FROM {t}") for t in tables}

    before = await counts()
    attempts = [
        ("/v1/consultations", {"channel": "phone", "consulted_by": "agency", "household_id": household},
         422, "household_id"),
        ("/v1/consultations", {"channel": "phone", "consulted_by": "agency",
                               "members": [{"person_id": person, "subject": True}]}, 422, "members.0.person_id"),
        ("/v1/consents", {"person_id": person, "scope": "named_agencies", "agency_ids": ["sk-hoken"],
                          "method": "oral", "granted_on": today().isoformat()}, 403, None),
        ("/v1/consents", {"person_id": person, "scope": "collaboration", "method": "oral",
                          "granted_on": today().isoformat()}, 403, None),
        (f"/v1/persons/{own.json()['id']}/merges", {"merged_person_id": person}, 403, None),
        (f"/v1/persons/{person}/merges", {"merged_person_id": own.json()["id"]}, 403, None),
    ]
    for path, body, status, field in attempts:
        r = await svc.client.post(path, json=body, headers=nurse)
        assert r.status_code == status, (path, body, r.text)
        if field is not None:
            assert r.json()["errors"][0]["field"] == field
        else:
            assert r.json()["type"].endswith("/break-glass-read-only")
    assert await counts() == before
    colleague = auth(stack, "sk-hoken", *scopes, subject="nurse-6")
    for path in (f"/v1/households/{household}", f"/v1/persons/{person}", f"/v1/consultations/{c['id']}"):
        assert (await svc.client.get(path, headers=colleague)).status_code == 404, path


async def test_agency_named_in_a_referral_reads_while_it_holds_it(stack: TestStack, svc: ServiceEnv) -> None:
    c = await posted(stack, svc)
    shakyo = auth(stack, "sk-shakyo")
    assert (await svc.client.get(f"/v1/consultations/{c['id']}", headers=shakyo)).status_code == 404
    referral = (await svc.client.post(f"/v1/consultations/{c['id']}/referrals", json={
        "target": "agency", "to_agency_id": "sk-shakyo", "reason_code": "volunteer_support"},
        headers=auth(stack, KITA))).json()
    seen = await svc.client.get(f"/v1/consultations/{c['id']}", headers=shakyo)
    assert seen.status_code == 200 and seen.json()["access"] == "full"
    assert (await svc.client.get(f"/v1/households/{c['household_id']}", headers=shakyo)).json()["access"] == "full"
    listed = (await svc.client.get("/v1/consultations", headers=shakyo)).json()["items"]
    assert [i["id"] for i in listed] == [c["id"]]
    inbox = (await svc.client.get("/v1/referrals", params={"direction": "in"}, headers=shakyo)).json()["items"]
    assert [i["id"] for i in inbox] == [referral["id"]]
    await svc.client.post(f"/v1/referrals/{referral['id']}/status",
                          json={"status": "rejected", "reason_code": "not_our_field"}, headers=shakyo)
    assert (await svc.client.get(f"/v1/consultations/{c['id']}", headers=shakyo)).status_code == 404


async def _database_day_in(svc: ServiceEnv, zone: str | None) -> date:
    """Set the zone of the API's database sessions (None: the server's) and return its day."""
    db = await svc.pool.fetchval("SELECT current_database()")
    await svc.pool.execute(f"ALTER DATABASE \"{db}\" SET timezone = '{zone}'" if zone
                           else f"ALTER DATABASE \"{db}\" RESET timezone")
    await svc.app.state.pool.expire_connections()  # the API's connections take the new zone
    return await svc.app.state.pool.fetchval("SELECT current_date")


async def test_a_consent_ends_with_the_municipalitys_day_not_the_database_servers(
        stack: TestStack, svc: ServiceEnv) -> None:
    """Whether a consent is still in force is decided on the municipality's calendar day,
    not on the database server's (a UTC server is a day behind Japan until 09:00). The
    database's zone is set to one whose day differs from Japan's right now, behind or
    ahead, and the consent must still end exactly at the end of its day in Japan."""
    c = await posted(stack, svc)
    son = next(m["person_id"] for m in c["members"] if not m["subject"])
    shakyo = auth(stack, "sk-shakyo")
    granted = await svc.client.post("/v1/consents", json={
        "person_id": son, "scope": "named_agencies", "agency_ids": ["sk-shakyo"], "method": "written",
        "granted_on": days_ago(1).isoformat(), "expires_on": today().isoformat()},
        headers=auth(stack, KITA))
    assert granted.status_code == 201, granted.text
    assert (await svc.client.get(f"/v1/persons/{son}", headers=shakyo)).status_code == 200
    try:
        # UTC-12 is a day behind Japan from 00:00 to 21:00 there, UTC+14 a day ahead after 19:00
        for zone in ("Etc/GMT+12", "Etc/GMT-14"):
            shift = ((await _database_day_in(svc, zone)) - today()).days
            if shift in (-1, 1):
                break
        assert shift in (-1, 1), "no zone puts the database a day away from Japan"
        if shift == -1:
            # the database still calls yesterday today: a consent that expired yesterday in
            # Japan (its dates moved back a day instead of waiting for one) must open nothing
            await svc.pool.execute("UPDATE consents SET granted_on = granted_on - 1, expires_on = expires_on - 1"
                                   " WHERE id = $1", uuid.UUID(granted.json()["id"]))
            assert (await svc.client.get(f"/v1/persons/{son}", headers=shakyo)).status_code == 404
        else:
            # the database already calls tomorrow today: the consent is in force until tonight in Japan
            assert (await svc.client.get(f"/v1/persons/{son}", headers=shakyo)).status_code == 200
    finally:
        await _database_day_in(svc, None)
