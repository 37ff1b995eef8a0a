"""Issue 12's five steps on the running system: an agency with every scope and no
relationship to a DV household names its id (taken from the bus) in a case it opens by
hand. The opening must end at step 3 with 404 and no case, so that neither the household's
timeline nor intake's household record ever opens to it; the household's own desk, asking
the same, gets its case."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.journeys.support import DESK, Journey, until, years_before
from tests.support.clock import today
from tests.support.e2e import running_system
from tests.support.stack import TestStack

pytestmark = pytest.mark.e2e

MINAMI = "sk-houkatsu-minami"  # 南部地域包括支援センター: the household's desk
SAPOSUTE = "sk-saposute"  # 地域若者サポートステーション: no relationship to the household


def dv_consultation() -> dict[str, Any]:
    return {
        "channel": "walk_in", "consulted_by": "self", "area_code": "SK-S-01",
        "summary": "夫からの暴力について相談。",
        "members": [{"person": {"family_name": "南", "given_name": "由美", "birth_date": years_before(today(), 41),
                                "sex": "female"},
                     "relationship": "head", "lives_together": True, "subject": True,
                     "concern_codes": ["abuse_dv"]}],
    }


async def test_a_household_id_from_the_bus_opens_no_case_and_no_household(stack: TestStack, tmp_path) -> None:
    async with running_system(stack, "compose", tmp_path) as system:
        journey = Journey(system, stack)
        desk, outsider, collaboration = journey.agency(MINAMI), journey.agency(SAPOSUTE), journey.agency(DESK)
        # 1. the desk takes the consultation; the household id is what travels on Kafka
        household = (await desk.post("intake", "/v1/consultations", dv_consultation()))["household_id"]
        # 2. the outsider cannot read the household
        await outsider.refused("GET", "intake", f"/v1/households/{household}", 404)

        # the desk itself may open a case by hand once coordination has the consultation's fact
        # (polling a refused POST is safe: a 404 writes nothing)
        async def desk_opens() -> Any:
            return await desk.call("POST", "coordination", "/v1/cases", json={"household_id": household})

        opened = await until(desk_opens, lambda r: r.status_code == 201, what="the desk's case on the household")
        case_id = opened.json()["id"]

        # 3. the outsider names the same household: 404, as for an id that does not exist, and no case
        for body in ({"household_id": household}, {"household_id": household, "area_code": "SK-S-01"},
                     {"household_id": household, "meeting_id": None}):
            problem = await outsider.refused("POST", "coordination", "/v1/cases", 404, body=body)
            assert "household_id" in problem["detail"]
        assert (await outsider.get("coordination", "/v1/cases"))["items"] == []
        assert (await outsider.get("coordination", "/v1/cases", membership="invited"))["items"] == []
        # 4. the desk's case (and its timeline) stays closed to the outsider
        await outsider.refused("GET", "coordination", f"/v1/cases/{case_id}/timeline", 404)
        # 5. intake has had the case's team facts (the collaboration desk, on the team, reads the
        # household now), and the household is still closed to the outsider
        await until(lambda: collaboration.call("GET", "intake", f"/v1/households/{household}"),
                    lambda r: r.status_code == 200, what="intake opening the household to the case team")
        await outsider.refused("GET", "intake", f"/v1/households/{household}", 404)
        # outreach is refused the same way (an engagement can become a case)
        await outsider.refused("POST", "coordination", "/v1/outreach", 404,
                               body={"household_id": household, "reason_code": "no_response"})
        assert await outsider.get("coordination", "/v1/outreach") == []
