"""Emergency access ("break glass") shared by the services that hold personal data.

A staff member whose agency may not see a record can still open it when a person's
safety needs it: they state a reason, the grant covers that one record for a few hours,
and every access under it is audit-logged with ``break_glass`` set and the reason as the
purpose. Services call :func:`break_glass_reason` when their relationship check fails.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from kasane_shared import audit
from kasane_shared.auth.deps import require
from kasane_shared.auth.tokens import Principal
from kasane_shared.db.pool import Conn
from kasane_shared.http.problems import InvalidInput

SCOPE = "break-glass"
# module level: routes' annotations are strings resolved in this module's namespace
Caller = Annotated[Principal, Depends(require(SCOPE))]


class BreakGlassRequest(BaseModel):
    resource_type: str = Field(description="The kind of record, e.g. person, household, case")
    resource_id: uuid.UUID
    reason: str = Field(min_length=10, max_length=500, description="Why this access cannot wait")


class BreakGlassGrant(BaseModel):
    id: uuid.UUID
    resource_type: str
    resource_id: uuid.UUID
    expires_at: datetime


async def grant(
    conn: asyncpg.Connection, principal: Principal, resource_type: str, resource_id: uuid.UUID,
    reason: str, hours: float,
) -> BreakGlassGrant:
    """Record a grant and its audit entry; return it."""
    row = await conn.fetchrow(
        """INSERT INTO break_glass_grants (id, agency_id, actor, resource_type, resource_id, reason, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))
           RETURNING id, resource_type, resource_id, expires_at""",
        uuid.uuid4(), principal.agency_id, principal.subject, resource_type, str(resource_id), reason,
        hours * 3600,
    )
    assert row is not None  # INSERT … RETURNING always returns the row
    await audit.record(conn, principal, "break_glass", resource_type, resource_id, purpose=reason,
                       break_glass=True)
    return BreakGlassGrant(id=row["id"], resource_type=row["resource_type"],
                           resource_id=uuid.UUID(row["resource_id"]), expires_at=row["expires_at"])


async def break_glass_reason(
    conn: asyncpg.Connection, principal: Principal, resource_type: str, resource_id: uuid.UUID | str
) -> str | None:
    """The stated reason of this caller's active grant on the record, or None."""
    reason: str | None = await conn.fetchval(
        """SELECT reason FROM break_glass_grants
            WHERE agency_id = $1 AND actor = $2 AND resource_type = $3 AND resource_id = $4
              AND expires_at > now()
            ORDER BY expires_at DESC LIMIT 1""",
        principal.agency_id, principal.subject, resource_type, str(resource_id),
    )
    return reason


def break_glass_router(resource_types: set[str]) -> APIRouter:
    """``POST /v1/break-glass`` for the given record types (token scope ``break-glass``)."""
    router = APIRouter(tags=["emergency access"])

    @router.post("/v1/break-glass", status_code=201, response_model=BreakGlassGrant,
                 summary="Open one record for a few hours in an emergency, with a stated reason")
    async def open_record(body: BreakGlassRequest, conn: Conn, principal: Caller, request: Request) -> BreakGlassGrant:
        if body.resource_type not in resource_types:
            raise InvalidInput("resource_type", f"must be one of {', '.join(sorted(resource_types))}")
        hours = request.app.state.settings.break_glass_hours
        return await grant(conn, principal, body.resource_type, body.resource_id, body.reason, hours)

    return router
