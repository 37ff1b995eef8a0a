"""The directory as Open Referral HSDS 3 JSON: pure mapping, no I/O.

Organisations become ``organizations``; each live place becomes a ``service`` (what it
offers) at a ``location`` (where it is), and each of its activities a further service at
the same location; every weekly slot becomes a ``schedule``. Ids of places, activities
and organisations are kept; ids of the objects HSDS needs besides (locations, addresses,
phones, schedules, attributes ...) are UUIDv5 derived from them, so they are stable from
one export to the next.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from kasane_shared.profile import MunicipalityProfile

from kasane_community.directory.labels import (
    ACCESSIBILITY,
    FIELDS,
    LANGUAGES,
    OFFERS,
    ORGANISATION_KINDS,
    PLACE_KINDS,
    WEEKDAYS,
    WEEKDAYS_JA,
)
from kasane_community.organisations.models import OrganisationRead
from kasane_community.places.models import ActivityRead, PlaceRead
from kasane_community.shapes import ContactPoint, WeeklySlot

HSDS_VERSION = "3.0"
_NS = uuid.UUID("5b0d2a8e-7c55-4f0e-9d0c-6b6173616e65")  # Kasane's namespace for derived ids
_STATUS = {"open": "active", "paused": "temporarily closed", "closed": "inactive"}
TAXONOMIES = {
    "place_kind": "kasane:place-kind",
    "organisation_kind": "kasane:organisation-kind",
    "offer": "kasane:organisation-offer",
    "audience": "kasane:audience",
}


def derived_id(*parts: object) -> str:
    """A stable id for an HSDS object Kasane has no id of its own for."""
    return str(uuid.uuid5(_NS, ":".join(str(p) for p in parts)))


def _attribute(link_id: uuid.UUID, link_entity: str, link_type: str, code: str,
               labels: tuple[str, str]) -> dict[str, Any]:
    ja, en = labels
    taxonomy = TAXONOMIES[link_type]
    return {
        "id": derived_id("attribute", link_entity, link_id, link_type, code),
        "link_id": str(link_id),
        "link_type": link_type,
        "link_entity": link_entity,
        "value": code,
        "taxonomy_term": {
            "id": derived_id("term", taxonomy, code), "code": code, "name": ja, "description": en,
            "taxonomy": taxonomy, "language": "ja",
        },
    }


def _phones(contact: ContactPoint, **links: uuid.UUID) -> list[dict[str, Any]]:
    if not contact.phone:
        return []
    key = next(iter(links.values()))
    return [{"id": derived_id("phone", key), "number": contact.phone, "type": "voice",
             **{k: str(v) for k, v in links.items()}}]


def _contacts(contact: ContactPoint, **links: uuid.UUID) -> list[dict[str, Any]]:
    if not (contact.name or contact.email):
        return []
    key = next(iter(links.values()))
    entry: dict[str, Any] = {"id": derived_id("contact", key), **{k: str(v) for k, v in links.items()}}
    if contact.name:
        entry["name"] = contact.name
    if contact.email:
        entry["email"] = contact.email
    return [entry]


def organization(org: OrganisationRead) -> dict[str, Any]:
    """One organisation as an HSDS ``organization``."""
    ja, en = ORGANISATION_KINDS[org.kind]
    out: dict[str, Any] = {
        "id": str(org.id),
        "name": org.name,
        "description": org.description or f"{ja} ({en})",
        "phones": _phones(org.contact, organization_id=org.id),
        "contacts": _contacts(org.contact, organization_id=org.id),
        "attributes": [_attribute(org.id, "organization", "organisation_kind", org.kind, (ja, en))]
        + [_attribute(org.id, "organization", "offer", o, OFFERS[o]) for o in org.offers],
    }
    if org.website:
        out["website"] = org.website
    if org.contact.email:
        out["email"] = org.contact.email
    return out


def _age_range(for_ages: Iterable[str]) -> tuple[int | None, int | None]:
    bands = list(for_ages)
    if not bands or "all" in bands:
        return None, None
    lows, highs = [], []
    for band in bands:
        if band.endswith("+"):
            lows.append(int(band[:-1]))
            highs.append(None)
        else:
            low, high = band.split("-")
            lows.append(int(low))
            highs.append(int(high))
    return min(lows), None if None in highs else max(h for h in highs if h is not None)


def _hhmm(hour: int, offset: str) -> str:
    return ("23:59" if hour == 24 else f"{hour:02d}:00") + offset


def _offset(utcoffset: timedelta) -> tuple[str, float]:
    minutes = int(utcoffset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}", minutes / 60


def schedules(slots: Iterable[WeeklySlot], *, service_id: uuid.UUID, location_id: str,
              utcoffset: timedelta) -> list[dict[str, Any]]:
    """A place's or activity's weekly slots as HSDS ``schedule`` objects (RRULE style)."""
    offset, hours = _offset(utcoffset)
    return [{
        "id": derived_id("schedule", service_id, s.weekday, s.start_hour, s.end_hour),
        "service_id": str(service_id),
        "location_id": location_id,
        "freq": "WEEKLY",
        "interval": 1,
        "wkst": "MO",
        "byday": WEEKDAYS[s.weekday],
        "opens_at": _hhmm(s.start_hour, offset),
        "closes_at": _hhmm(s.end_hour, offset),
        "timezone": hours,
        "description": f"毎週{WEEKDAYS_JA[s.weekday]}曜 {s.start_hour}:00-{s.end_hour}:00",
    } for s in slots]


def location(place: PlaceRead, profile: MunicipalityProfile) -> dict[str, Any]:
    """Where a place is, as an HSDS ``location``."""
    location_id = derived_id("location", place.id)
    out: dict[str, Any] = {
        "id": location_id,
        "location_type": "physical",
        "name": place.name,
        "external_identifier": place.area_code,
        "external_identifier_type": "kasane_area_code",
        "languages": [{"id": derived_id("language", location_id, code), "location_id": location_id,
                       "code": code, "name": LANGUAGES.get(code, code)} for code in place.languages],
        "accessibility": [{"id": derived_id("accessibility", location_id, code), "location_id": location_id,
                           "description": ACCESSIBILITY[code][0], "details": code} for code in place.accessibility],
        "addresses": [],
    }
    if place.organisation_id:
        out["organization_id"] = str(place.organisation_id)
    if place.lat is not None and place.lon is not None:
        out["latitude"], out["longitude"] = place.lat, place.lon
    if place.address is not None:
        a = place.address
        address: dict[str, Any] = {
            "id": derived_id("address", location_id), "location_id": location_id, "address_1": a.line1,
            "city": a.city, "state_province": a.prefecture or profile.municipality.prefecture,
            "postal_code": a.postal_code, "country": "JP", "address_type": "physical",
        }
        if a.line2:
            address["address_2"] = a.line2
        out["addresses"].append(address)
    return out


def _service_at_location(service_id: uuid.UUID, location_id: str) -> dict[str, Any]:
    return {"id": derived_id("service_at_location", service_id, location_id), "service_id": str(service_id),
            "location_id": location_id}


def place_service(place: PlaceRead) -> dict[str, Any]:
    """What a place offers, as an HSDS ``service``."""
    location_id = derived_id("location", place.id)
    kind_ja, kind_en = PLACE_KINDS[place.kind]
    out: dict[str, Any] = {
        "id": str(place.id),
        "name": place.name,
        "description": place.description or f"{kind_ja} ({kind_en})",
        "status": _STATUS[place.status],
        "eligibility_description": "対象: " + "、".join(FIELDS[f][0] for f in place.for_fields)
        if place.for_fields else "対象: どなたでも",
        "languages": [{"id": derived_id("language", place.id, code), "service_id": str(place.id), "code": code,
                       "name": LANGUAGES.get(code, code)} for code in place.languages],
        "phones": _phones(place.contact, service_id=place.id),
        "contacts": _contacts(place.contact, service_id=place.id),
        "service_at_locations": [_service_at_location(place.id, location_id)],
        "attributes": [_attribute(place.id, "service", "place_kind", place.kind, (kind_ja, kind_en))]
        + [_attribute(place.id, "service", "audience", f, FIELDS[f]) for f in place.for_fields],
        "last_modified": place.updated_at.isoformat(),
    }
    if place.organisation_id:
        out["organization_id"] = str(place.organisation_id)
    low, high = _age_range(place.for_ages)
    if low is not None:
        out["minimum_age"] = low
    if high is not None:
        out["maximum_age"] = high
    if place.contact.email:
        out["email"] = place.contact.email
    if place.contact.url:
        out["url"] = place.contact.url
    if place.capacity is not None:
        out["wait_time"] = f"定員 {place.capacity} 人"  # HSDS has no capacity field
    return out


def activity_service(activity: ActivityRead, place: PlaceRead) -> dict[str, Any]:
    """An activity at a place, as a further HSDS ``service`` at the place's location."""
    out: dict[str, Any] = {
        "id": str(activity.id),
        "name": activity.name,
        "description": activity.description or place.name,
        "status": _STATUS[activity.status],
        "service_at_locations": [_service_at_location(activity.id, derived_id("location", place.id))],
        "last_modified": activity.updated_at.isoformat(),
    }
    if place.organisation_id:
        out["organization_id"] = str(place.organisation_id)
    low, high = _age_range(activity.for_ages)
    if low is not None:
        out["minimum_age"] = low
    if high is not None:
        out["maximum_age"] = high
    return out


def export(*, organisations: list[OrganisationRead], places: list[PlaceRead], activities: list[ActivityRead],
           profile: MunicipalityProfile, generated_at: datetime, utcoffset: timedelta) -> dict[str, Any]:
    """The whole live directory: organizations, services, locations and schedules."""
    by_id = {p.id: p for p in places}
    services = [place_service(p) for p in places]
    locations = [location(p, profile) for p in places]
    slots = [s for p in places
             for s in schedules(p.schedule, service_id=p.id, location_id=derived_id("location", p.id),
                                utcoffset=utcoffset)]
    for a in activities:
        place = by_id.get(a.place_id)
        if place is None:
            continue  # its place is closed
        services.append(activity_service(a, place))
        slots += schedules(a.schedule, service_id=a.id, location_id=derived_id("location", place.id),
                           utcoffset=utcoffset)
    return {
        "hsds_version": HSDS_VERSION,
        "generated_at": generated_at.isoformat(),
        "publisher": {"municipality_code": profile.municipality.code, "name": profile.municipality.name},
        "organizations": [organization(o) for o in organisations],
        "services": services,
        "locations": locations,
        "schedules": slots,
    }
