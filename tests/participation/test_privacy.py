"""Every event type participation publishes, read back from kasane.participation.v1: no
titles, notes, names or other personal data."""

from __future__ import annotations

import pytest
from kasane_shared.contracts.participation import (
    GapNeedRecorded,
    MatchProposed,
    OpportunityChanged,
    OpportunityClosed,
    OpportunityPublished,
    PlacementEnded,
    PlacementFollowedUp,
    PlacementStarted,
)
from kasane_shared.events.streams import PARTICIPATION

from tests.participation.helpers import PROVIDER, SPEC, Api
from tests.support.kafka import header
from tests.support.privacy import assert_no_personal_data
from tests.support.service_env import service_env
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration

TITLES = ["農園しごと体験（代表 鈴木一郎）", "ひだまりサロン 高橋さん宅"]
NOTES = ["鈴木様の息子さん、作業中に笑顔。母親の介護の話も出た。", "090-9876-5432 に電話しないこと"]


async def test_the_topic_carries_no_personal_data(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "p_privacy") as svc:
        api = Api(svc)
        async with svc.worker():
            farm = await api.opportunity(title=TITLES[0], kind="employment_trial", capacity=1)
            salon = await api.opportunity(title=TITLES[1])
            request = await api.request(current_step="place_to_be")
            placement = await api.accept((await api.propose(request["id"], farm["id"]))["id"])  # farm full
            await api.post(f"/v1/placements/{placement['id']}/follow-ups",
                           {"followed_up_on": "2026-05-01", "status_code": "going_well", "note": NOTES[0]},
                           status=201)
            await api.post(f"/v1/placements/{placement['id']}/follow-ups",
                           {"followed_up_on": "2026-05-08", "status_code": "struggling", "note": NOTES[1]},
                           agency=PROVIDER, status=201)
            await api.post(f"/v1/placements/{placement['id']}/end", {"outcome": "ended_by_person"})
            r = await svc.client.patch(f"/v1/opportunities/{salon['id']}", json={"status": "closed"},
                                       headers=api.auth(PROVIDER))
            assert r.status_code == 200
            await api.request(area_code="SK-S-02", needs=["withdrawal"])  # nothing there: a gap need
            records = await svc.read(PARTICIPATION.name, at_least=10)
        types = {header(r, "ce_type") for r in records}
        assert types == {cls.event_type for cls in (
            OpportunityPublished, OpportunityChanged, OpportunityClosed, MatchProposed, PlacementStarted,
            PlacementFollowedUp, PlacementEnded, GapNeedRecorded)}
        sent = [*TITLES, *NOTES, "鈴木", "高橋", "090-9876-5432"]
        assert assert_no_personal_data(records, sent) == len(records) >= 10
