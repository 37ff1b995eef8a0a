"""Events community publishes on ``kasane.community.v1`` (program 3, 地域づくり事業).

Places are published with the facts participation needs to offer them as opportunities;
the place's name and contact point stay in community's directory (its API and HSDS
export), so events stay free of names and free text.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict

from kasane_shared.contracts.codes import AreaCode, Code, DevelopmentStatus, PlaceKind
from kasane_shared.contracts.participation import Slot
from kasane_shared.events.base import Event
from kasane_shared.events.streams import COMMUNITY


class PlaceFacts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: PlaceKind
    area_code: AreaCode
    lat: float | None = None
    lon: float | None = None
    organisation_id: UUID | None = None
    schedule: list[Slot] = []
    for_ages: list[str] = []  # age bands or "all"
    for_fields: list[Code] = []
    accessibility: list[Code] = []  # accommodation codes the place offers
    languages: list[Code] = []
    capacity: int | None = None
    status: Code  # open | paused | closed


class PlacePublished(Event, type="kasane.community.place.published.v1", stream=COMMUNITY, key="place_id"):
    place_id: UUID
    facts: PlaceFacts
    development_id: UUID | None = None  # set when a development project produced it


class PlaceChanged(Event, type="kasane.community.place.changed.v1", stream=COMMUNITY, key="place_id"):
    place_id: UUID
    facts: PlaceFacts


class PlaceClosed(Event, type="kasane.community.place.closed.v1", stream=COMMUNITY, key="place_id"):
    place_id: UUID


class OrganisationJoined(Event, type="kasane.community.organisation.joined.v1", stream=COMMUNITY,
                         key="organisation_id"):
    organisation_id: UUID
    kind: Code  # company, shop, npo, residents_association, shakyo, school, university, kominkan, ...
    area_code: AreaCode | None = None
    offers: list[Code] = []  # space, jobs, volunteers, food, transport, expertise


class CoordinatorAssigned(Event, type="kasane.community.coordinator.assigned.v1", stream=COMMUNITY,
                          key="coordinator_id"):
    coordinator_id: UUID
    role: Code  # seikatsu_shien_coordinator | csw | area_director
    area_codes: list[AreaCode]


class DevelopmentOpened(Event, type="kasane.community.development.opened.v1", stream=COMMUNITY,
                        key="development_id"):
    development_id: UUID
    area_code: AreaCode
    need_codes: list[Code]
    gap_need_ids: list[UUID] = []
    organisation_ids: list[UUID] = []


class DevelopmentStatusChanged(Event, type="kasane.community.development.status_changed.v1",
                               stream=COMMUNITY, key="development_id"):
    development_id: UUID
    from_status: DevelopmentStatus
    to_status: DevelopmentStatus


class ResourceProduced(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    place_id: UUID | None = None
    opportunity_id: UUID | None = None


class DevelopmentProducedResource(Event, type="kasane.community.development.produced.v1",
                                  stream=COMMUNITY, key="development_id"):
    development_id: UUID
    area_code: AreaCode
    produced: ResourceProduced
