"""Area statistics built from intake's, coordination's and participation's events over
real Kafka and PostgreSQL: counts per area, month and concern, small numbers suppressed
whichever way the figures are sliced, each event counted once, and no id kept."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from kasane_shared.contracts.coordination import CaseEnded, CaseOpened, OutreachStarted
from kasane_shared.contracts.intake import ConsultationReceived, ConsultationReferred
from kasane_shared.contracts.participation import GapNeedRecorded, PlacementEnded, PlacementStarted
from kasane_shared.events.base import Event

from tests.community.helpers import auth, community
from tests.support.clock import now, today
from tests.support.kafka import eventually
from tests.support.service_env import ServiceEnv
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration

MARCH = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
APRIL = datetime(2026, 4, 7, 2, 0, tzinfo=UTC)
# 2026-03-31 20:00 UTC is 1 April 05:00 in Tokyo: an April consultation
LATE_MARCH_UTC = datetime(2026, 3, 31, 20, 0, tzinfo=UTC)


def _consultation(area: str | None, at: datetime, *concerns: str) -> ConsultationReceived:
    return ConsultationReceived(
        consultation_id=uuid.uuid4(), agency_id="sk-houkatsu-kita", received_at=at, channel="walk_in",
        consulted_by="self", anonymous=False, person_id=uuid.uuid4(), household_id=uuid.uuid4(), area_code=area,
        age_band="80-84", concern_codes=list(concerns),
    )


# what the city's desks received (area, month, concerns), and the other services' facts
CONSULTATIONS = (
    [_consultation("SK-N-01", MARCH, "dementia", "isolation") for _ in range(2)]
    + [_consultation("SK-N-02", MARCH, "elderly_care") for _ in range(7)]
    + [_consultation("SK-N-01", APRIL, "dementia") for _ in range(5)]
    + [_consultation("SK-N-01", LATE_MARCH_UTC, "dementia")]
    + [_consultation("SK-C-01", MARCH, "poverty") for _ in range(8)]
    + [_consultation(None, MARCH, "other")]  # no area known: counted at the city, unassigned
)


def _others() -> list[tuple[Event, datetime]]:
    case_id = uuid.uuid4()
    return [
        (ConsultationReferred(referral_id=uuid.uuid4(), consultation_id=CONSULTATIONS[0].consultation_id,
                              from_agency_id="sk-houkatsu-kita", target="collaboration", reason_code="complex",
                              household_id=CONSULTATIONS[0].household_id, area_code="SK-N-01",
                              concern_codes=["dementia"]), MARCH),
        (CaseOpened(case_id=case_id, origin="referral", household_id=uuid.uuid4(), area_code="SK-N-01",
                    concern_codes=["dementia", "isolation"]), MARCH),
        (CaseEnded(case_id=case_id, outcome_code="resolved", ended_on=date(2026, 4, 20), area_code="SK-N-01"), APRIL),
        (OutreachStarted(engagement_id=uuid.uuid4(), case_id=case_id, agency_id="sk-jusou-suishin",
                         area_code="SK-N-02"), MARCH),
        (PlacementStarted(placement_id=uuid.uuid4(), request_id=uuid.uuid4(), opportunity_id=uuid.uuid4(),
                          kind="place_to_be", area_code="SK-C-01", started_on=date(2026, 3, 3)), MARCH),
        (PlacementEnded(placement_id=uuid.uuid4(), request_id=uuid.uuid4(), outcome="moved_to_next_step",
                        ended_on=date(2026, 4, 1), area_code="SK-C-01"), APRIL),
        (GapNeedRecorded(gap_need_id=uuid.uuid4(), area_code="SK-S-02", need_codes=["daytime_place"]), MARCH),
    ]


OTHERS = _others()
CE_IDS: dict[uuid.UUID, str] = {}  # the ce_id each consultation was published with
EVENTS = len(CONSULTATIONS) + len(OTHERS)


@pytest.fixture(scope="module")
async def svc(stack: TestStack) -> AsyncIterator[ServiceEnv]:
    async with community(stack, "statistics") as env:
        async with env.worker(relay=False):
            for event in CONSULTATIONS:
                CE_IDS[event.consultation_id] = await env.publish(event, time=event.received_at)
            for event, at in OTHERS:
                await env.publish(event, time=at)
            await eventually(lambda: env.pool.fetchval("SELECT count(*) FROM inbox"), lambda n: n == EVENTS,
                             what="every event applied")
        yield env


async def _stats(stack: TestStack, svc: ServiceEnv, area: str, **params: str) -> dict:
    r = await svc.client.get(f"/v1/areas/{area}/stats", params=params, headers=auth(stack, "sk-jusou-suishin",
                                                                                        "stats:read"))
    assert r.status_code == 200, r.text
    return r.json()


def _cell(report: dict, month: str, metric: str, code: str, scope: str, area: str) -> str | None:
    found = [r["display"] for r in report["rows"] if (r["month"], r["metric"], r["code"], r["scope"],
                                                      r["area_code"]) == (month, metric, code, scope, area)]
    assert len(found) <= 1
    return found[0] if found else None


async def test_counts_come_from_every_service_per_area_month_and_concern(stack: TestStack, svc: ServiceEnv) -> None:
    city = await _stats(stack, svc, "SK", **{"from": "2026-03", "to": "2026-04"})
    assert city["includes"] == sorted(city["includes"]) and "SK-N-01" in city["includes"]
    assert (city["threshold"], city["rules_version"]) == (5, "2026.11-1")
    consult = "consultations_received"
    assert _cell(city, "2026-03", consult, "total", "area", "SK") == "18"  # 2 + 7 + 8 + 1 unassigned
    assert _cell(city, "2026-04", consult, "total", "area", "SK") == "6"  # 5 + the late-March-UTC one
    assert _cell(city, "2026-03", consult, "total", "child", "SK-N") == "9"
    # the one consultation with no area is small, so Central's 8 is withheld with it: else
    # 18 - 9 - 8 would give it away
    assert _cell(city, "2026-03", consult, "total", "unassigned", "SK") == "<5"
    assert _cell(city, "2026-03", consult, "total", "child", "SK-C") == "x"
    assert _cell(city, "2026-03", consult, "poverty", "child", "SK-C") == "8"  # no small count in that table
    north = await _stats(stack, svc, "SK-N", **{"from": "2026-04", "to": "2026-04"})
    assert _cell(north, "2026-04", consult, "dementia", "child", "SK-N-01") == "6"
    # one row per metric total for the area, whatever the metric
    metrics = {r["metric"] for r in city["rows"] if r["scope"] == "area" and r["code"] == "total"}
    assert metrics == {"consultations_received", "consultations_referred", "cases_opened", "cases_ended",
                       "outreach_started", "placements_started", "placements_ended", "gap_needs_recorded"}


async def test_small_counts_are_suppressed_when_slicing_by_area_and_month_together(
    stack: TestStack, svc: ServiceEnv,
) -> None:
    consult = "consultations_received"
    # Kita (SK-N-01) had 2 consultations in March: "<5" as a child of North, and on its own
    north_march = await _stats(stack, svc, "SK-N", **{"from": "2026-03", "to": "2026-03"})
    assert _cell(north_march, "2026-03", consult, "total", "child", "SK-N-01") == "<5"
    kita = await _stats(stack, svc, "SK-N-01", **{"from": "2026-03", "to": "2026-04"})
    assert _cell(kita, "2026-03", consult, "total", "area", "SK-N-01") == "<5"
    assert _cell(kita, "2026-04", consult, "total", "area", "SK-N-01") == "6"  # April is big enough to show
    row = next(r for r in kita["rows"] if r["month"] == "2026-03" and r["metric"] == consult
               and r["code"] == "total")
    assert (row["count"], row["suppressed"]) == (None, "small")
    # the concern cut of the same area and month too, and the other services' small counts
    assert _cell(kita, "2026-03", consult, "dementia", "area", "SK-N-01") == "<5"
    assert _cell(kita, "2026-03", "cases_opened", "total", "area", "SK-N-01") == "<5"
    assert _cell(kita, "2026-04", "cases_ended", "total", "area", "SK-N-01") == "<5"
    # no small number is shown anywhere, in any report
    for area in ("SK", "SK-N", "SK-N-01", "SK-N-02", "SK-C", "SK-C-01", "SK-S", "SK-S-02"):
        report = await _stats(stack, svc, area, **{"from": "2026-03", "to": "2026-04"})
        for r in report["rows"]:
            assert r["count"] is None or r["count"] == 0 or r["count"] >= 5, (area, r)


async def test_a_parent_minus_its_visible_children_does_not_reveal_a_suppressed_child(
    stack: TestStack, svc: ServiceEnv,
) -> None:
    consult = "consultations_received"
    north = await _stats(stack, svc, "SK-N", **{"from": "2026-03", "to": "2026-03"})
    total = int(_cell(north, "2026-03", consult, "total", "area", "SK-N"))
    assert total == 9  # shown: 9 is not small
    parts = [r for r in north["rows"] if r["metric"] == consult and r["code"] == "total" and r["scope"] != "area"]
    visible = sum(r["count"] for r in parts if r["count"] is not None)
    hidden = [r for r in parts if r["count"] is None]
    # Sakuradai's 7 is withheld too ("x"), or 9 - 7 would give Kita's 2 away
    assert {(r["area_code"], r["display"]) for r in hidden} == {("SK-N-01", "<5"), ("SK-N-02", "x")}
    assert total - visible != 2 and total - visible >= 5 + 1  # what remains could be 0..4 plus 5 or more
    # the same cells show the same way from the city's report and the school district's own
    city = await _stats(stack, svc, "SK", **{"from": "2026-03", "to": "2026-03"})
    assert _cell(city, "2026-03", consult, "total", "child", "SK-N") == "9"
    sakuradai = await _stats(stack, svc, "SK-N-02", **{"from": "2026-03", "to": "2026-03"})
    assert _cell(sakuradai, "2026-03", consult, "total", "area", "SK-N-02") == "x"


async def test_a_redelivered_event_counts_once(stack: TestStack, svc: ServiceEnv) -> None:
    before = {(r["month"], r["metric"], r["code"], r["area_code"]): r["count"]
              for r in await svc.pool.fetch("SELECT * FROM stat_counts")}
    event = CONSULTATIONS[3]  # an SK-N-02 March consultation
    # a new fact on the same key, so on the same partition: applied after the repeat
    marker = ConsultationReferred(referral_id=uuid.uuid4(), consultation_id=event.consultation_id,
                                  from_agency_id="sk-houkatsu-kita", target="agency", reason_code="housing",
                                  area_code="SK-N-02")
    async with svc.worker(relay=False):
        await svc.publish(event, event_id=CE_IDS[event.consultation_id], time=event.received_at)  # same ce_id
        await svc.publish(marker, time=MARCH)
        await eventually(lambda: svc.pool.fetchval("SELECT count(*) FROM inbox"), lambda n: n == EVENTS + 1,
                         what="the marker applied after the repeat")
    after = {(r["month"], r["metric"], r["code"], r["area_code"]): r["count"]
             for r in await svc.pool.fetch("SELECT * FROM stat_counts")}
    # the repeated consultation added nothing; the marker added its one referral
    assert after == {**before, (date(2026, 3, 1), "consultations_referred", "total", "SK-N-02"): 1}


async def test_no_person_household_case_or_consultation_id_is_kept(stack: TestStack, svc: ServiceEnv) -> None:
    columns = [r["column_name"] for r in await svc.pool.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'stat_counts'"
        " ORDER BY ordinal_position")]
    assert columns == ["month", "area_code", "metric", "code", "count"]
    personal = ("consultation_id", "person_id", "household_id", "case_id", "referral_id", "engagement_id",
                "request_id", "placement_id")
    ids = {str(getattr(e, f)) for e in [*CONSULTATIONS, *(e for e, _ in OTHERS)] for f in personal
           if getattr(e, f, None) is not None}
    assert len(ids) > 3 * len(CONSULTATIONS)
    # nothing in any table of community's database holds them (the inbox keeps ce_ids only)
    tables = [r["tablename"] for r in
              await svc.pool.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
    assert "stat_counts" in tables and "inbox" in tables
    for table in tables:
        rows = await svc.pool.fetch(f'SELECT row_to_json(t)::text AS j FROM "{table}" t')
        dump = "\n".join(r["j"] for r in rows)
        leaked = [i for i in ids if i in dump]
        assert not leaked, f"{table} holds {leaked[:2]}"


async def test_stats_need_the_scope_and_a_known_area_and_a_sane_period(stack: TestStack, svc: ServiceEnv) -> None:
    url = "/v1/areas/SK-N/stats"
    assert (await svc.client.get(url)).status_code == 401
    assert (await svc.client.get(url, headers=auth(stack, "sk-shakyo", "directory:read"))).status_code == 403
    headers = auth(stack, "sk-shakyo", "stats:read")
    assert (await svc.client.get("/v1/areas/SK-Q/stats", headers=headers)).status_code == 404
    r = await svc.client.get(url, params={"from": "2026-05", "to": "2026-03"}, headers=headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "from"
    r = await svc.client.get(url, params={"from": "2020-01", "to": "2026-03"}, headers=headers)
    assert r.status_code == 422 and "at most 24 months" in r.json()["detail"]
    r = await svc.client.get(url, params={"from": "2026-13"}, headers=headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "from"
    # year 0 is no date (it was a 500): both ends, and `to` whose default `from` would be year 0
    for params, field in (({"to": "0000-01"}, "to"), ({"to": "0001-01"}, "to"), ({"from": "0000-12"}, "from")):
        r = await svc.client.get(url, params=params, headers=headers)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == field, (params, r.text)
    r = await svc.client.get(url, params={"from": "2026-03", "to": "2026-03", "metric": "cases_opened"},
                             headers=headers)
    assert {row["metric"] for row in r.json()["rows"]} == {"cases_opened"}


async def test_a_consultation_received_now_counts_in_the_municipalitys_month(stack: TestStack) -> None:
    """The month a fact counts in, and the default "this month" of a report, are the
    municipality's: at 00:30 on 1 April in Japan (still 31 March in UTC) a consultation
    received now is April's, and April is the last month shown. The faked-clock runs
    (tests/support/faked_clock.py) put this test at the ends of a month and a fiscal year."""
    async with community(stack, "statistics_now") as env:
        received = now()
        async with env.worker(relay=False):
            for _ in range(6):
                await env.publish(_consultation("SK-N-01", received, "dementia"), time=received)
            await eventually(lambda: env.pool.fetchval("SELECT count(*) FROM inbox"), lambda n: n == 6,
                             what="every event applied")
        report = await _stats(stack, env, "SK-N")
    this_month = today().strftime("%Y-%m")
    assert report["to_month"] == this_month
    assert _cell(report, this_month, "consultations_received", "dementia", "child", "SK-N-01") == "6"
