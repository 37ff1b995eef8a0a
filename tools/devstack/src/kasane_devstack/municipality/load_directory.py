"""Loads the directory (community) and the providers' opportunities (participation).

A record already there (same name, or same title from the same provider) is found, not
posted again; new ones are posted with an ``Idempotency-Key`` made of the seed and the
record's key, so a retried request is answered with the first result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kasane_devstack.municipality.agencies import Agencies
from kasane_devstack.municipality.api import Api, created
from kasane_devstack.municipality.directory import Directory, Opportunity, Org, Place


@dataclass
class DirectoryIds:
    orgs: dict[str, str] = field(default_factory=dict)
    coordinators: dict[str, str] = field(default_factory=dict)
    places: dict[str, str] = field(default_factory=dict)
    opportunities: dict[str, str] = field(default_factory=dict)


async def load(api: Api, ag: Agencies, d: Directory, seed: int) -> DirectoryIds:
    """Organisations, coordinators, places with activities, then opportunities."""
    ids = DirectoryIds()
    await _orgs(api, ag, d, seed, ids)
    await _coordinators(api, ag, d, seed, ids)
    await _places(api, ag, d, seed, ids)
    await _opportunities(api, d, seed, ids)
    return ids


async def _orgs(api: Api, ag: Agencies, d: Directory, seed: int, ids: DirectoryIds) -> None:
    there = {o["name"]: o["id"] for o in await api.pages("community", "/v1/organisations", agency=ag.shakyo)}

    async def one(o: Org) -> None:
        if o.name in there:
            ids.orgs[o.key] = there[o.name]
            api.tally.add("organisations", False)
            return
        body = {"name": o.name, "kind": o.kind, "area_code": o.area_code, "offers": o.offers,
                "agency_id": o.agency_id, "description": o.description}
        r = await api.post("community", "/v1/organisations", body, agency=ag.shakyo, key=f"demo-{seed}-org-{o.key}")
        ids.orgs[o.key] = r.json()["id"]
        api.tally.add("organisations", created(r))

    await api.each(d.orgs, one)


async def _coordinators(api: Api, ag: Agencies, d: Directory, seed: int, ids: DirectoryIds) -> None:
    there = {(c["display_name"], c["role"]): c["id"]
             for c in await api.pages("community", "/v1/coordinators", agency=ag.shakyo)}
    for c in d.coordinators:  # in order: the first-tier coordinator first
        if (c.display_name, c.role) in there:
            ids.coordinators[c.key] = there[c.display_name, c.role]
            api.tally.add("coordinators", False)
            continue
        body = {"display_name": c.display_name, "role": c.role, "agency_id": c.agency_id, "area_codes": c.area_codes}
        r = await api.post("community", "/v1/coordinators", body, agency=c.agency_id,
                           key=f"demo-{seed}-coordinator-{c.key}")
        ids.coordinators[c.key] = r.json()["id"]
        api.tally.add("coordinators", created(r))


def publisher(ag: Agencies, place: Place) -> str:
    return ag.npo if place.org == "npo" else ag.shakyo


async def _places(api: Api, ag: Agencies, d: Directory, seed: int, ids: DirectoryIds) -> None:
    there = {p["name"]: p["id"] for p in await api.pages("community", "/v1/places", agency=ag.shakyo)
             if p["status"] != "closed"}

    async def one(p: Place) -> None:
        agency = publisher(ag, p)
        name = p.body["name"]
        if name in there:
            ids.places[p.key] = there[name]
            api.tally.add("places", False)
        else:
            body = {**p.body, "organisation_id": ids.orgs.get(p.org)}
            r = await api.post("community", "/v1/places", body, agency=agency, key=f"demo-{seed}-place-{p.key}")
            ids.places[p.key] = r.json()["id"]
            api.tally.add("places", created(r))
        if not p.activities:
            return
        have = {a["name"] for a in (await api.get("community", "/v1/activities", agency=agency,
                                                   params={"place_id": ids.places[p.key], "limit": 200}))["items"]}
        for i, (aname, kind, schedule) in enumerate(p.activities):
            if aname in have:
                api.tally.add("activities", False)
                continue
            body = {"place_id": ids.places[p.key], "name": aname, "kind": kind, "schedule": schedule}
            r = await api.post("community", "/v1/activities", body, agency=agency,
                               key=f"demo-{seed}-activity-{p.key}-{i}")
            api.tally.add("activities", created(r))

    await api.each(d.places, one)


async def _opportunities(api: Api, d: Directory, seed: int, ids: DirectoryIds) -> None:
    there: dict[tuple[str, str], str] = {}
    for agency in sorted({o.agency for o in d.opportunities}):
        for o in await api.pages("participation", "/v1/opportunities", agency=agency, params={"mine": "true"}):
            if o["title"] and o["status"] != "closed":
                there[agency, o["title"]] = o["id"]

    async def one(o: Opportunity) -> None:
        found = there.get((o.agency, o.body["title"]))
        if found:
            ids.opportunities[o.key] = found
            api.tally.add("opportunities", False)
            return
        r = await api.post("participation", "/v1/opportunities", o.body, agency=o.agency,
                           key=f"demo-{seed}-opportunity-{o.key}")
        ids.opportunities[o.key] = r.json()["id"]
        api.tally.add("opportunities", created(r))

    await api.each(d.opportunities, one)
