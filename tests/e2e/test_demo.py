"""``make demo`` against a fresh system of four services: a small municipality reaches every
stage, as the public APIs show it, and a second run adds nothing."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

import pytest
from kasane_devstack.demo import Options, run
from kasane_devstack.municipality.agencies import Agencies
from kasane_devstack.municipality.directory import build
from kasane_devstack.municipality.households import household
from kasane_shared.events.streams import SERVICES
from kasane_shared.profile import load_profile

from tests.support.e2e import System, running_system
from tests.support.kafka import eventually
from tests.support.stack import PROFILE, TestStack

pytestmark = pytest.mark.e2e

DESK = "sk-jusou-suishin"  # the collaboration desk: on every case, answers every referral
AGENCIES = ["sk-houkatsu-kita", "sk-houkatsu-minami", "sk-shogai-soudan", "sk-kosodate", "sk-jiritsu",
            "sk-sougou-higashi", "sk-machihoken-minato", "sk-shakyo", "sk-hoken", "sk-kyoiku", "sk-school-kita",
            "sk-minsei-kita", DESK, "sk-npo-ibasho", "sk-saposute"]
HOUSEHOLDS = 12


async def _pages(system: System, stack: TestStack, service: str, path: str, agency: str, *scopes: str,
                 **params: Any) -> list[dict[str, Any]]:
    items, cursor = [], None
    while True:
        query = {**params, "limit": 200, **({"cursor": cursor} if cursor else {})}
        r = await system[service].get(path, params=query, headers=stack.auth(agency, *scopes))
        assert r.status_code == 200, (path, r.text)
        items += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if not cursor:
            return items


async def _get(system: System, stack: TestStack, service: str, path: str, agency: str, *scopes: str,
               **params: Any) -> Any:
    r = await system[service].get(path, params=params, headers=stack.auth(agency, *scopes))
    assert r.status_code == 200, (path, r.text)
    return r.json()


async def _census(system: System, stack: TestStack) -> dict[str, int]:
    """How many of each thing the system holds, read through the APIs."""
    consultations = set()
    for agency in AGENCIES:
        for c in await _pages(system, stack, "intake", "/v1/consultations", agency, "consultations:read"):
            consultations.add(c["id"])
    cases = await _pages(system, stack, "coordination", "/v1/cases", DESK, "cases:read")
    meetings = await _get(system, stack, "coordination", "/v1/meetings", DESK, "meetings:read")
    outreach = await _get(system, stack, "coordination", "/v1/outreach", DESK, "outreach:read", limit=200)
    contacts = sum(len(e["contacts"]) for e in outreach)
    requests = await _pages(system, stack, "participation", "/v1/requests", DESK, "requests:read")
    placements = await _get(system, stack, "participation", "/v1/placements", DESK, "placements:read", limit=200)
    follow_ups = sum(1 for p in placements for f in p["follow_ups"] if f["done_on"])
    opportunities = await _pages(system, stack, "participation", "/v1/opportunities", DESK, "opportunities:read")
    reads = "directory:read"
    return {
        "consultations": len(consultations), "cases": len(cases), "meetings": len(meetings),
        "engagements": len(outreach), "contacts": contacts, "requests": len(requests),
        "placements": len(placements), "follow_ups": follow_ups, "opportunities": len(opportunities),
        "places": len(await _pages(system, stack, "community", "/v1/places", DESK, reads)),
        "organisations": len(await _pages(system, stack, "community", "/v1/organisations", DESK, reads)),
        "coordinators": len(await _pages(system, stack, "community", "/v1/coordinators", DESK, reads)),
        "activities": len(await _pages(system, stack, "community", "/v1/activities", DESK, reads)),
        "developments": len(await _pages(system, stack, "community", "/v1/developments", DESK, "developments:read")),
        "gap_needs": len(await _get(system, stack, "community", "/v1/gap-needs", DESK, "developments:read",
                                    open_only="false")),
    }


async def test_the_demo_populates_every_stage_and_a_second_run_adds_nothing(stack: TestStack, tmp_path) -> None:
    async with running_system(stack, "demo", tmp_path) as system:
        urls = {s: f"http://127.0.0.1:{system.ports[f'{s}-api']}" for s in SERVICES}
        out = io.StringIO()
        first = await run(Options(households=HOUSEHOLDS, seed=7, urls=urls, keys_dir=stack.keys_dir,
                                  profile=PROFILE, wait_seconds=240, out=out))
        printed = out.getvalue()
        assert "Where to look" in printed and f"{urls['community']}/v1/directory/hsds" in printed
        for home in first.homes:  # the terminal shows ids and counts, never the generated people
            for m in home.h.members:
                assert m.given_name not in printed and m.given_kana not in printed
            assert home.h.street not in printed and home.h.phone not in printed

        census = await _census(system, stack)
        assert census["consultations"] == HOUSEHOLDS
        assert census["organisations"] >= 10 and census["coordinators"] >= 5 and census["activities"] >= 5
        assert census["places"] >= 20 and census["opportunities"] > census["places"]  # places become opportunities

        # cases opened from the referrals' events, with teams, leads and plans approved at a 重層的支援会議
        homes = {h.h.index: h for h in first.homes}
        approved = [h for h in first.homes if h.plan_status == "approved"]
        assert len(approved) >= 4
        for home in approved:
            case = await _get(system, stack, "coordination", f"/v1/cases/{home.case_id}", DESK, "cases:read")
            assert case["lead_agency_id"] and case["active_plan"]["status"] in ("approved", "under_review")
            plans = await _get(system, stack, "coordination", f"/v1/cases/{home.case_id}/plans", DESK, "cases:read")
            assert plans[-1]["decided_meeting_id"]
        statuses = {h.h.stage: (await _get(system, stack, "coordination", f"/v1/cases/{h.case_id}", DESK,
                                           "cases:read"))["status"] for h in first.homes if h.case_id}
        assert statuses["planning"] == "planning" and statuses["monitoring"] == "monitoring"
        assert statuses["ended"] == "ended" and statuses["shien_kaigi"] == "assessing"
        timeline = await _get(system, stack, "coordination", f"/v1/cases/{homes[0].case_id}/timeline", DESK,
                              "cases:read", limit=200)
        types = {e["type"] for e in timeline["items"]}
        assert {"intake.consultation.received", "intake.consultation.screened", "coordination.case.opened",
                "coordination.plan.approved", "participation.placement.started"} <= types, types

        # meetings: plans approved at a held 重層的支援会議, one awaiting the next, a 支援会議 without consent
        meetings = [await _get(system, stack, "coordination", f"/v1/meetings/{m['id']}", DESK, "meetings:read")
                    for m in await _get(system, stack, "coordination", "/v1/meetings", DESK, "meetings:read")]
        kinds = {(m["kind"], m["status"]) for m in meetings}
        assert {("jusou_shien_kaigi", "held"), ("jusou_shien_kaigi", "scheduled"), ("shien_kaigi", "held")} <= kinds
        shien = next(m for m in meetings if m["kind"] == "shien_kaigi")
        assert shien["agenda"] is None  # this staff member has not acknowledged the duty of confidentiality
        r = await system["coordination"].post(f"/v1/meetings/{shien['id']}/acknowledgements",
                                              headers=stack.auth(DESK, "meetings:read"))
        assert r.status_code == 200, r.text
        shien = r.json()
        assert homes[3].case_id in {a["case_id"] for a in shien["agenda"]}
        assert all(a["decision"] == "continue_case" for a in shien["agenda"])

        # outreach: engagements with contacts; the one who accepted support has a case
        outreach = await _get(system, stack, "coordination", "/v1/outreach", DESK, "outreach:read", limit=200)
        assert census["engagements"] >= 2 and census["contacts"] >= 5
        accepted = next(e for e in outreach if e["id"] == homes[1].engagement_id)
        assert accepted["stage"] == "accepts_support" and accepted["case_id"] == homes[1].case_id

        # participation: placements with follow-ups scheduled; gap needs recorded, one matched, one waiting
        placements = await _get(system, stack, "participation", "/v1/placements", DESK, "placements:read")
        assert len(placements) >= 3 and all(len(p["follow_ups"]) >= 3 for p in placements)
        summary = await _get(system, stack, "participation", "/v1/gap-needs/summary", DESK, "gap-needs:read")
        assert sum(i["recorded"] for i in summary["items"]) >= 2
        assert sum(i["matched"] for i in summary["items"]) >= 1 and sum(i["waiting"] for i in summary["items"]) >= 1
        matches = await _get(system, stack, "participation", f"/v1/requests/{homes[8].request_id}", DESK,
                             "requests:read")
        assert matches["status"] == "waiting"  # Tagalog: nothing offers it yet

        # community: the development produced a place, participation offered it, a person is placed there
        assert first.development is not None and first.development["status"] == "running"
        produced = first.development["produced"][0]
        place = await _get(system, stack, "community", f"/v1/places/{produced['place']['id']}", DESK,
                           "directory:read")
        assert place["development_id"] == first.development["id"]
        development = await eventually(
            lambda: _get(system, stack, "community", f"/v1/developments/{first.development['id']}", DESK,
                         "developments:read"),
            lambda d: sum(o["placements_started"] for p in d["produced"] for o in p["opportunities"]) >= 1,
            timeout=60, what="the placement at the new place to be counted")
        assert development["gap_needs"]
        stats = await _get(system, stack, "community", "/v1/areas/SK/stats", DESK, "stats:read")
        metrics = {r["metric"] for r in stats["rows"]}
        assert {"consultations_received", "cases_opened", "placements_started", "gap_needs_recorded"} <= metrics
        hsds = await _get(system, stack, "community", "/v1/directory/hsds", DESK, "directory:read")
        assert len(hsds["services"]) >= census["places"]

        # a second run finds everything and adds nothing
        again = io.StringIO()
        second = await run(Options(households=HOUSEHOLDS, seed=7, urls=urls, keys_dir=stack.keys_dir,
                                   profile=PROFILE, wait_seconds=240, out=again))
        assert second.created == 0, dict(second.tally.new)
        assert "already there" in again.getvalue()
        assert await _census(system, stack) == census


def _households(seed: int, n: int, today: date) -> list[Any]:
    profile = load_profile(PROFILE)
    agencies = Agencies(profile)
    districts = [a.code for a in profile.areas if a.kind.value == "school_district"]
    return [household(seed, i, today, agencies, districts, agencies.development_area) for i in range(n)]


def test_the_same_seed_gives_the_same_municipality_and_a_bigger_run_extends_a_smaller_one() -> None:
    today = date(2026, 11, 27)
    big, small, other = _households(7, 60, today), _households(7, 12, today), _households(8, 12, today)
    assert [h.summary for h in big[:12]] == [h.summary for h in small]
    assert [(m.given_name, m.birth_date) for h in big[:12] for m in h.members] == \
        [(m.given_name, m.birth_date) for h in small for m in h.members]
    assert [(m.given_name, m.birth_date) for h in other for m in h.members] != \
        [(m.given_name, m.birth_date) for h in small for m in h.members]
    profile = load_profile(PROFILE)
    assert build(profile, Agencies(profile), 7) == build(profile, Agencies(profile), 7)


def test_generated_people_have_kana_readings_and_every_stage_is_in_the_first_dozen() -> None:
    today = date(2026, 11, 27)
    households = _households(7, 200, today)
    kana = re.compile(r"^[\u30a0-\u30ff]+$")
    for h in households:
        assert h.received_at.date() < today
        for m in h.members:
            assert kana.match(m.family_kana) and kana.match(m.given_kana), (m.family_kana, m.given_kana)
            assert m.birth_date < today
            assert not m.consents or m.age(today) >= 18  # children never consent for themselves
        assert sum(m.subject for m in h.members) == 1
    kinds = {h.kind for h in households}
    assert {"8050", "double_care", "young_carer", "withdrawal", "foreign", "dementia_alone", "abuse"} <= kinds
    first = households[:12]
    stages = {h.stage for h in first}
    assert {"supported", "planning", "monitoring", "ended", "shien_kaigi", "outreach", "desk"} <= stages
    assert {"develop", "waiting"} <= {h.participation.gap for h in first if h.participation}
    eight_fifty = next(h for h in first if h.kind == "8050")
    ages = sorted(m.age(today) for m in eight_fifty.members)
    assert ages[-1] >= 75 and 40 <= ages[0] <= 64  # a parent of 75+ and a child in middle age
