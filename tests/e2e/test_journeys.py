"""Kasane's three end-to-end journeys (issue 8), over HTTP and Kafka with all four services
running as processes (API and worker each) on fresh databases and a private topic namespace.

The system starts once for the module; each journey uses its own household, agencies' data
and trace. Each journey walks its story through the public APIs, waits for asynchronous
outcomes by polling the APIs, then checks the events it caused on every topic it touched
(in order per key, no personal data) and that its one trace id reached every process it went
through, up to the consumer span of the last event applied. The steps and their assertions
are in ``tests/e2e/journeys/``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.e2e.journeys import household_8050, no_place_fits, school_report
from tests.e2e.journeys.support import Journey
from tests.support.e2e import System, running_system
from tests.support.stack import TestStack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
async def system(stack: TestStack, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[System]:
    async with running_system(stack, "journeys", tmp_path_factory.mktemp("journeys")) as running:
        yield running


async def test_an_8050_household_from_consultation_to_a_placement_followed_up(
    system: System, stack: TestStack,
) -> None:
    """The elderly-care centre's consultation is screened 8050 and referred; a case opens;
    the disability and self-reliance agencies join under one lead; team members see no
    personal detail until the household consents, outsiders see nothing (404); a plan
    approved at a 重層的支援会議; outreach until the son accepts support; a place to be near
    home found through participation; a placement started and followed up; the case timeline
    shows every step in order."""
    await household_8050.run(Journey(system, stack))


async def test_a_school_report_goes_to_a_shien_kaigi_then_with_consent_to_a_jusou_kaigi_and_a_plan(
    system: System, stack: TestStack,
) -> None:
    """The school's consultation (no consent) is referred and opens a case; a 重層的支援会議
    refuses it (409) while a 支援会議 takes it; its material is refused to a non-member and to
    members (even a colleague) who have not acknowledged confidentiality, and shown after they
    do; the mother's consent, recorded at intake, reaches coordination; the case then goes to
    a 重層的支援会議 that approves a plan, and intake opens to the joining health centre the
    mother's record (she consented) but not her children's."""
    await school_report.run(Journey(system, stack))


async def test_no_place_fits_so_community_develops_one_and_the_waiting_request_is_matched(
    system: System, stack: TestStack,
) -> None:
    """A request that nothing nearby fits waits with a gap need (codes and an area only);
    community groups it and a development project with a local association produces a
    place; participation offers the place and proposes it to the waiting request by itself;
    the person accepts, and the project shows its place in use."""
    await no_place_fits.run(Journey(system, stack))
