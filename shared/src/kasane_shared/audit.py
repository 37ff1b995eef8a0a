"""The audit log: who read or wrote which record, when and why (ids only)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from uuid import UUID

import asyncpg

from kasane_shared.auth.tokens import Principal
from kasane_shared.telemetry import current_trace_id

log = logging.getLogger("kasane.audit")


async def record(
    conn: asyncpg.Connection,
    principal: Principal,
    action: str,
    resource_type: str,
    resource_ids: str | UUID | Iterable[str | UUID],
    *,
    purpose: str | None = None,
    break_glass: bool = False,
) -> None:
    """Record one access to one or more records of ``resource_type``.

    Call it in the request's transaction, so a read that fails leaves no audit entry and
    a write is never recorded without its audit entry.
    """
    if isinstance(resource_ids, (str, UUID)):
        resource_ids = [resource_ids]
    ids = [str(i) for i in resource_ids]
    if not ids:
        return
    trace_id = current_trace_id()
    await conn.executemany(
        """INSERT INTO audit_log (agency_id, actor, action, resource_type, resource_id,
                                  purpose, break_glass, trace_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        [
            (principal.agency_id, principal.subject, action, resource_type, rid, purpose,
             break_glass, trace_id)
            for rid in ids
        ],
    )
    if break_glass:
        # Break-glass access also shows in the log stream so it is noticed at once.
        log.warning(
            "break-glass %s of %s %s by %s", action, resource_type, ",".join(ids),
            principal.agency_id,
        )
