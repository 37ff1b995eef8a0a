"""What participation's integration tests share: agencies, scopes, and makers of
opportunities and requests over the real API."""

from __future__ import annotations

import uuid
from typing import Any

from kasane_participation.main import SPEC
from kasane_shared.contracts.community import PlaceFacts, PlacePublished
from kasane_shared.contracts.coordination import Availability, ParticipationRequested

from tests.support.service_env import ServiceEnv

__all__ = ["SPEC", "Api"]

COORDINATOR = "sk-jusou-suishin"  # runs 参加支援事業 in the sample profile
PROVIDER = "sk-npo-ibasho"  # posts its own places to be
OTHER_PROVIDER = "sk-saposute"
REQUESTER = "sk-jiritsu"  # not a coordinator: sees only the requests it made
SCOPES = ("opportunities:read", "opportunities:write", "requests:read", "requests:write", "matches:write",
          "placements:read", "placements:write", "gap-needs:read")

HOME_AREA = "SK-N-01"
HOME = (35.048, 136.892)  # SK-N-01's centroid


def north(km: float, east_km: float = 0.0) -> tuple[float, float]:
    """A point ``km`` north (and ``east_km`` east) of HOME."""
    return HOME[0] + km / 111.19508, HOME[1] + east_km / (111.19508 * 0.8187)


def opportunity_body(**kw: Any) -> dict[str, Any]:
    lat, lon = north(kw.pop("km", 1.0))
    body = {
        "kind": "place_to_be", "area_code": HOME_AREA, "lat": lat, "lon": lon, "capacity": 3,
        "schedule": [{"weekday": 0, "start_hour": 10, "end_hour": 12}],
        "accommodations": ["quiet_space", "short_hours"], "languages": ["ja", "pt"],
    }
    body.update(kw)
    return body


def request_body(**kw: Any) -> dict[str, Any]:
    body = {
        "area_code": HOME_AREA, "travel_km": 3.0, "current_step": None, "max_step": "employment_trial",
        "required_accommodations": ["quiet_space"], "languages": ["pt"],
        "availability": [{"weekdays": [0, 1, 2], "start_hour": 10, "end_hour": 14}],
    }
    body.update(kw)
    return body


def requested_event(**kw: Any) -> ParticipationRequested:
    values: dict[str, Any] = dict(
        request_id=uuid.uuid4(), case_id=uuid.uuid4(), participant_id=uuid.uuid4(),
        needs=["withdrawal", "short_hours"], preferences=["place_to_be"], required_accommodations=["quiet_space"],
        languages=["ja"], area_code=HOME_AREA, travel_km=2.0, current_step=None, max_step="place_to_be",
        availability=[Availability(weekdays=[1, 3], start_hour=13, end_hour=16)], age_band="40-44",
    )
    values.update(kw)
    return ParticipationRequested(**values)


def place_event(**kw: Any) -> PlacePublished:
    lat, lon = north(kw.pop("km", 0.8))
    facts = dict(kind="ibasho", area_code=HOME_AREA, lat=lat, lon=lon,
                 schedule=[{"weekday": 1, "start_hour": 13, "end_hour": 15}],
                 accessibility=["quiet_space", "short_hours"], languages=["ja"], capacity=None, status="open")
    facts.update(kw.pop("facts", {}))
    return PlacePublished(place_id=kw.pop("place_id", uuid.uuid4()), facts=PlaceFacts(**facts), **kw)


class Api:
    """The service's HTTP API as a coordinator, a provider or another agency calls it."""

    def __init__(self, svc: ServiceEnv) -> None:
        self.svc = svc

    def auth(self, agency: str = COORDINATOR, *scopes: str) -> dict[str, str]:
        return self.svc.stack.auth(agency, *(scopes or SCOPES))

    async def opportunity(self, agency: str = PROVIDER, **kw: Any) -> dict[str, Any]:
        r = await self.svc.client.post("/v1/opportunities", json=opportunity_body(**kw), headers=self.auth(agency))
        assert r.status_code == 201, r.text
        return r.json()

    async def request(self, agency: str = COORDINATOR, **kw: Any) -> dict[str, Any]:
        r = await self.svc.client.post("/v1/requests", json=request_body(**kw), headers=self.auth(agency))
        assert r.status_code == 201, r.text
        return r.json()

    async def matches(self, request_id: str, agency: str = COORDINATOR, **params: Any) -> dict[str, Any]:
        r = await self.svc.client.get(f"/v1/requests/{request_id}/matches", params=params,
                                      headers=self.auth(agency))
        assert r.status_code == 200, r.text
        return r.json()

    async def match_ids(self, request_id: str, **params: Any) -> list[str]:
        return [m["opportunity"]["id"] for m in (await self.matches(request_id, **params))["matches"]]

    async def propose(self, request_id: str, opportunity_id: str, agency: str = COORDINATOR) -> dict[str, Any]:
        r = await self.svc.client.post(f"/v1/requests/{request_id}/proposals",
                                       json={"opportunity_id": opportunity_id}, headers=self.auth(agency))
        assert r.status_code == 201, r.text
        return r.json()

    async def accept(self, match_id: str, agency: str = COORDINATOR, **body: Any) -> dict[str, Any]:
        r = await self.svc.client.post(f"/v1/matches/{match_id}/accept", json=body or None,
                                       headers=self.auth(agency))
        assert r.status_code == 201, r.text
        return r.json()

    async def get(self, path: str, agency: str = COORDINATOR, status: int = 200) -> dict[str, Any]:
        r = await self.svc.client.get(path, headers=self.auth(agency))
        assert r.status_code == status, r.text
        return r.json()

    async def post(self, path: str, body: Any = None, agency: str = COORDINATOR, status: int = 200) -> dict[str, Any]:
        r = await self.svc.client.post(path, json=body, headers=self.auth(agency))
        assert r.status_code == status, r.text
        return r.json()

    async def outbox_types(self) -> list[str]:
        """The event types written so far, in order (short names: match.proposed, ...)."""
        rows = await self.svc.pool.fetch("SELECT type FROM outbox ORDER BY seq")
        return [r["type"].removeprefix("kasane.participation.").removesuffix(".v1") for r in rows]
