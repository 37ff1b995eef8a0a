"""``GET /v1/directory/hsds``: the place and organisation directory in Open Referral HSDS 3."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from kasane_shared import audit
from kasane_shared.db import Conn
from kasane_shared.http.deps import Profile

from kasane_community.access import DirectoryReader
from kasane_community.directory.hsds import export
from kasane_community.organisations import store as organisations
from kasane_community.places import store as places
from kasane_community.rules import statistics_rules

router = APIRouter(tags=["directory"])


@router.get("/v1/directory/hsds", summary="The live directory as HSDS 3 JSON (organizations, services, locations,"
            " schedules)")
async def directory_hsds(conn: Conn, principal: DirectoryReader, profile: Profile) -> dict[str, Any]:
    now = datetime.now(UTC)
    zone = statistics_rules(profile).zone
    document = export(
        organisations=await organisations.every(conn), places=await places.live_places(conn),
        activities=await places.live_activities(conn), profile=profile, generated_at=now,
        utcoffset=now.astimezone(zone).utcoffset(),  # type: ignore[arg-type]
    )
    await audit.record(conn, principal, "export", "directory", "hsds", purpose="directory export")
    return document
