"""Events participation publishes on ``kasane.participation.v1`` (program 2, 参加支援事業).

Opportunities are keyed by opportunity; matches and placements by the participation
request, so one person's path stays in order. ``case_id`` lets coordination put them on
the case's timeline. Follow-up notes stay in participation.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from kasane_shared.contracts.codes import AreaCode, Code, OpportunityKind, PlacementOutcome
from kasane_shared.events.base import Event
from kasane_shared.events.streams import PARTICIPATION


class Slot(BaseModel):
    """Weekday 0=Mon..6=Sun and hours [start, end)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    weekday: int
    start_hour: int
    end_hour: int


class OpportunityFacts(BaseModel):
    """What matching needs to know about an opportunity (no provider names or contacts)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: OpportunityKind
    area_code: AreaCode
    lat: float | None = None
    lon: float | None = None
    capacity: int
    accommodations: list[Code] = []
    languages: list[Code] = []
    schedule: list[Slot] = []
    for_ages: list[str] = []
    status: Code  # draft | open | full | paused | closed
    source_place_id: UUID | None = None  # set when the opportunity came from community's place


class OpportunityPublished(Event, type="kasane.participation.opportunity.published.v1",
                           stream=PARTICIPATION, key="opportunity_id"):
    opportunity_id: UUID
    facts: OpportunityFacts


class OpportunityChanged(Event, type="kasane.participation.opportunity.changed.v1",
                         stream=PARTICIPATION, key="opportunity_id"):
    opportunity_id: UUID
    facts: OpportunityFacts


class OpportunityClosed(Event, type="kasane.participation.opportunity.closed.v1",
                        stream=PARTICIPATION, key="opportunity_id"):
    opportunity_id: UUID
    source_place_id: UUID | None = None


class MatchProposed(Event, type="kasane.participation.match.proposed.v1", stream=PARTICIPATION,
                    key="request_id", aggregate="request"):
    match_id: UUID
    request_id: UUID
    case_id: UUID | None = None
    opportunity_id: UUID
    kind: OpportunityKind
    score: float


class PlacementStarted(Event, type="kasane.participation.placement.started.v1", stream=PARTICIPATION,
                       key="request_id", aggregate="request"):
    placement_id: UUID
    request_id: UUID
    case_id: UUID | None = None
    opportunity_id: UUID
    kind: OpportunityKind
    area_code: AreaCode
    started_on: date


class PlacementFollowedUp(Event, type="kasane.participation.placement.followed_up.v1",
                          stream=PARTICIPATION, key="request_id", aggregate="request"):
    placement_id: UUID
    request_id: UUID
    case_id: UUID | None = None
    followed_up_on: date
    status_code: Code  # going_well | struggling | paused | ...


class PlacementEnded(Event, type="kasane.participation.placement.ended.v1", stream=PARTICIPATION,
                     key="request_id", aggregate="request"):
    placement_id: UUID
    request_id: UUID
    case_id: UUID | None = None
    outcome: PlacementOutcome
    ended_on: date
    area_code: AreaCode | None = None


class GapNeedRecorded(Event, type="kasane.participation.gap_need.recorded.v1", stream=PARTICIPATION,
                      key="gap_need_id"):
    """Nothing fitted: what was needed and where, with no person data, for community development."""

    gap_need_id: UUID
    area_code: AreaCode
    need_codes: list[Code]
    wanted_kinds: list[OpportunityKind] = []
    accommodations: list[Code] = []
    languages: list[Code] = []
