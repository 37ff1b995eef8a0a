"""Community's places (kasane.community.v1) become places to be (居場所) to match people to."""

from __future__ import annotations

import asyncpg
from kasane_shared.contracts.community import PlaceChanged, PlaceClosed, PlacePublished
from kasane_shared.events.consumer import EventContext
from kasane_shared.profile import MunicipalityProfile

from kasane_participation.opportunities import service
from kasane_participation.rules import ParticipationRules


async def place_published(conn: asyncpg.Connection, event: PlacePublished, _ctx: EventContext, *,
                          profile: MunicipalityProfile, rules: ParticipationRules) -> None:
    """A new place (maybe from a development project): an opportunity, offered to waiting requests."""
    await service.apply_place(conn, place_id=event.place_id, place=event.facts,
                              development_id=event.development_id, profile=profile, rules=rules)


async def place_changed(conn: asyncpg.Connection, event: PlaceChanged, _ctx: EventContext, *,
                        profile: MunicipalityProfile, rules: ParticipationRules) -> None:
    """Facts changed (or a place not seen before): update it, and re-match waiting requests."""
    await service.apply_place(conn, place_id=event.place_id, place=event.facts, development_id=None,
                              profile=profile, rules=rules)


async def place_closed(conn: asyncpg.Connection, event: PlaceClosed, _ctx: EventContext, *,
                       profile: MunicipalityProfile, rules: ParticipationRules) -> None:
    """The place closed: so does its opportunity (placements there go on until ended)."""
    await service.close_place(conn, place_id=event.place_id, rules=rules)
