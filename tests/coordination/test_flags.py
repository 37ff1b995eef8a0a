"""Cases falling between agencies: no lead after N days, review overdue, a referral bounced
between desks (intake's flag), no contact in N days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from kasane_coordination.main import SPEC
from kasane_shared.contracts.codes import ReferralStatus
from kasane_shared.contracts.intake import ReferralStatusChanged

from tests.coordination.support import (
    DESK,
    ELDERLY,
    OUTSIDER,
    approved_case,
    auth,
    case_of_referral,
    name_lead,
    ok,
    open_case,
    plan_body,
    referral,
)
from tests.support.clock import today
from tests.support.kafka import eventually
from tests.support.service_env import service_env
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration


def _codes(flags: list[dict], case_id: str) -> set[str]:
    return {f["code"] for f in flags if f["case_id"] == case_id}


async def test_the_between_agencies_flags(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "coord_flags") as svc, svc.worker():
        now = datetime.now(UTC)
        # referred 20 days ago and nobody took the lead or did anything since
        old = referral()
        await svc.publish(old, time=now - timedelta(days=20))
        stale = str(await case_of_referral(svc, old.referral_id))
        # referred 40 days ago: also silent for longer than no_contact_days
        older = referral()
        await svc.publish(older, time=now - timedelta(days=40))
        silent = str(await case_of_referral(svc, older.referral_id))
        # referred today
        fresh = referral()
        await svc.publish(fresh)
        calm = str(await case_of_referral(svc, fresh.referral_id))
        # a referral intake flagged as bounced (たらい回し), for the fresh case's consultation
        await svc.publish(ReferralStatusChanged(
            referral_id=uuid4(), consultation_id=fresh.consultation_id, status=ReferralStatus.rejected,
            by_agency_id="sk-jiritsu", reason_code="not_our_field", bounce_count=3, flagged=True,
            household_id=fresh.household_id))
        # and one no case holds yet
        loose_household = uuid4()
        loose = uuid4()
        await svc.publish(ReferralStatusChanged(
            referral_id=loose, consultation_id=uuid4(), status=ReferralStatus.rejected, by_agency_id="sk-jiritsu",
            bounce_count=4, flagged=True, household_id=loose_household))
        await eventually(lambda: svc.pool.fetchval("SELECT count(*) FROM referral_bounces"), lambda n: n == 2,
                         what="both bounces", timeout=60)
        # a plan whose review date has passed
        past = plan_body(start_on=(today() - timedelta(days=120)).isoformat(),
                         review_on=(today() - timedelta(days=10)).isoformat())
        reviewed = await approved_case(svc, stack, plan=past)

        await svc.run_job("between_agencies")
        desk = ok(await svc.client.get("/v1/flags", headers=auth(stack, DESK)))
        assert _codes(desk, stale) == {"no_lead"}
        assert _codes(desk, silent) == {"no_lead", "no_contact"}
        assert _codes(desk, calm) == {"referral_bounced"}
        assert _codes(desk, reviewed.case_id) == {"review_overdue"}
        unheld = [f for f in desk if f["case_id"] is None]
        assert [(f["code"], f["ref_id"], f["household_id"]) for f in unheld] == [
            ("referral_bounced", str(loose), str(loose_household))]
        detail = next(f for f in desk if f["case_id"] == silent and f["code"] == "no_contact")["detail"]
        assert detail["days_without_contact"] >= 40
        case = ok(await svc.client.get(f"/v1/cases/{silent}", headers=auth(stack, ELDERLY)))
        assert case["flags"] == ["no_contact", "no_lead"]

        # a team member sees its own cases' flags only; an outsider sees none
        centre = ok(await svc.client.get("/v1/flags", headers=auth(stack, ELDERLY)))
        assert {f["case_id"] for f in centre} == {stale, silent, calm, reviewed.case_id}
        assert all(f["household_id"] is None for f in centre)
        assert ok(await svc.client.get("/v1/flags", headers=auth(stack, OUTSIDER))) == []

        # naming a lead and acting clears them on the next run; the bounce clears when the referral lands
        await name_lead(svc, stack, stale)
        await name_lead(svc, stack, silent)
        await svc.publish(ReferralStatusChanged(
            referral_id=loose, consultation_id=uuid4(), status=ReferralStatus.accepted, by_agency_id=DESK,
            bounce_count=4, flagged=True, household_id=loose_household))
        await eventually(lambda: svc.pool.fetchval(
            "SELECT resolved_at FROM referral_bounces WHERE referral_id = $1", loose), lambda v: v is not None,
            what="the bounce to resolve", timeout=60)
        await svc.run_job("between_agencies")
        desk = ok(await svc.client.get("/v1/flags", headers=auth(stack, DESK)))
        assert _codes(desk, stale) == set() and _codes(desk, silent) == set()
        assert [f for f in desk if f["case_id"] is None] == []
        cleared = await svc.pool.fetchval("SELECT count(*) FROM case_flags WHERE cleared_at IS NOT NULL")
        assert cleared == 4  # no_lead twice, no_contact, the loose bounce
        filtered = ok(await svc.client.get("/v1/flags?code=review_overdue", headers=auth(stack, DESK)))
        assert [f["case_id"] for f in filtered] == [reviewed.case_id]


async def test_a_fresh_case_raises_no_flag(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "coord_flags_fresh") as svc:
        case = await open_case(svc, stack)
        await svc.run_job("between_agencies")
        assert ok(await svc.client.get("/v1/flags", headers=auth(stack, DESK))) == []
        assert ok(await svc.client.get(f"/v1/cases/{case['id']}", headers=auth(stack, ELDERLY)))["flags"] == []
