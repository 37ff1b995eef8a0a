"""The service's shape as the rest of the system relies on it: the stream it writes, the
topics it reads, the strict inbound topic, one handler registry, and rules that refuse
a desk the profile does not have."""

from __future__ import annotations

import pytest
from kasane_intake.main import SPEC
from kasane_intake.rules import intake_rules
from kasane_shared.events.streams import COORDINATION, INTAKE, PARTNER_CONSULTATIONS
from kasane_shared.profile import load_profile
from kasane_shared.service import WorkerContext

from tests.support.stack import PROFILE


def test_spec_streams_and_handlers() -> None:
    assert SPEC.stream == INTAKE
    assert tuple(SPEC.consumes) == (PARTNER_CONSULTATIONS, COORDINATION)
    assert tuple(SPEC.strict_topics) == (PARTNER_CONSULTATIONS,)
    handlers = SPEC.handlers(WorkerContext(settings=None, profile=load_profile(PROFILE)))  # type: ignore[arg-type]
    assert set(handlers) == {
        "kasane.partner.consultation.submitted.v1", "kasane.coordination.case.opened.v1",
        "kasane.coordination.outreach.started.v1", "kasane.coordination.case.ended.v1",
        "kasane.coordination.team.member_joined.v1", "kasane.coordination.team.member_left.v1",
        "kasane.coordination.case.status_changed.v1",
    }


def test_a_desk_missing_from_the_profile_stops_the_start() -> None:
    profile = load_profile(PROFILE)
    broken = profile.model_copy(update={"rules": {**profile.rules, "referrals": {
        **profile.rules["referrals"], "collaboration_desk": "sk-nowhere"}}})
    with pytest.raises(ValueError, match="collaboration_desk"):
        intake_rules(broken)
