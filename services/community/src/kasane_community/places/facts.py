"""What travels about a place: its facts, never its name, address or contact point.

Pure functions, unit-tested without servers: the facts participation turns into an
opportunity, and whether a change is one participation needs to hear about.
"""

from __future__ import annotations

from typing import Any

from kasane_shared.contracts.community import PlaceFacts

from kasane_community.places.models import PlaceRead

# Columns that only the directory shows (name, address, contact point, description):
# changing them alone emits nothing, as no event carries them.
DIRECTORY_ONLY = frozenset({"name", "description", "address", "contact"})
CLOSED = "closed"
_LISTS = frozenset({"schedule", "for_ages", "for_fields", "accessibility", "languages"})


def facts_of(place: PlaceRead) -> PlaceFacts:
    """The place's facts as events carry them (ids, codes, area, schedule, capacity)."""
    return PlaceFacts(
        kind=place.kind,
        area_code=place.area_code,
        lat=place.lat,
        lon=place.lon,
        organisation_id=place.organisation_id,
        schedule=[s.slot() for s in place.schedule],
        for_ages=list(place.for_ages),
        for_fields=[str(f) for f in place.for_fields],
        accessibility=[str(a) for a in place.accessibility],
        languages=list(place.languages),
        capacity=place.capacity,
        status=place.status,
    )


def facts_changed(before: PlaceRead, after: PlaceRead) -> bool:
    """Whether participation must hear about the change (``place.changed``)."""
    return facts_of(before) != facts_of(after)


def column_values(changes: dict[str, Any]) -> dict[str, Any]:
    """An update's fields as the database stores them (enums as codes, JSON as dicts)."""
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if key in _LISTS and value is None:
            value = []  # an explicit null clears the list
        elif key in ("for_fields", "accessibility"):
            value = [str(v) for v in value]
        elif key == "schedule":
            value = [dict(v) for v in value]
        elif key == "contact":
            value = {k: v for k, v in (value or {}).items() if v is not None}
        elif key == "address" and value is not None:
            value = {k: v for k, v in value.items() if v is not None}
        elif key in ("kind", "status") and value is not None:
            value = str(value)
        out[key] = value
    return out
