"""``Idempotency-Key`` for POSTs: a retry returns the first response instead of a second
write. The key is claimed in the request's own transaction, so two concurrent requests
with one key serialise on the row: the second waits, then replays the first's result.
Keys are scoped to the calling agency and kept for a day.

A replay is a read of what the first request created, so it is authorized again: the
route passes ``recheck``, which asks the service's policy whether the caller may still see
the stored result (a consent withdrawn or a team left since the first request closes it)
and writes the read's audit row; it raises the route's 404 when not.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from kasane_shared.auth.deps import CurrentPrincipal
from kasane_shared.http.problems import Problem, field_error

_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
REPLAYED = "Idempotent-Replayed"
# given the stored response body; raises (404) when the caller may no longer see it, and
# records the read in the audit log
Recheck = Callable[[Any], Awaitable[None]]


class IdempotencyKey:
    """The request's key (or none); use :meth:`replay` first and :meth:`respond` last."""

    def __init__(self, key: str | None, agency_id: str, method: str, path: str) -> None:
        self.key = key
        self.agency_id = agency_id
        self.method = method
        self.path = path

    @staticmethod
    def _hash(payload: Any) -> str:
        canonical = json.dumps(jsonable_encoder(payload), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()

    async def replay(self, conn: asyncpg.Connection, payload: Any, *,
                     recheck: Recheck | None = None) -> JSONResponse | None:
        """The stored response of an earlier request with this key (after ``recheck`` let the
        caller see it again), or None to go ahead."""
        if self.key is None:
            return None
        request_hash = self._hash(payload)
        claimed = await conn.fetchval(
            """INSERT INTO idempotency_keys (agency_id, key, method, path, request_hash)
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING true""",
            self.agency_id, self.key, self.method, self.path, request_hash,
        )
        if claimed:
            return None
        row = await conn.fetchrow(
            "SELECT method, path, request_hash, status_code, response FROM idempotency_keys"
            " WHERE agency_id = $1 AND key = $2",
            self.agency_id, self.key,
        )
        assert row is not None
        if (row["method"], row["path"], row["request_hash"]) != (self.method, self.path, request_hash):
            raise Problem(
                "Idempotency-Key was already used for a different request",
                status=422, title="Unprocessable Content", slug="idempotency-key-reused",
                errors=[field_error("Idempotency-Key", "already used for a different request",
                                    location="header")],
            )
        if recheck is not None and row["status_code"] is not None and row["status_code"] < 300:
            await recheck(row["response"])
        return JSONResponse(row["response"], status_code=row["status_code"], headers={REPLAYED: "true"})

    async def respond(
        self, conn: asyncpg.Connection, status_code: int, body: Any,
        headers: dict[str, str] | None = None,
    ) -> JSONResponse:
        """The response, stored under the key (in the same transaction) for retries."""
        content = jsonable_encoder(body)
        if self.key is not None:
            await conn.execute(
                "UPDATE idempotency_keys SET status_code = $3, response = $4"
                " WHERE agency_id = $1 AND key = $2",
                self.agency_id, self.key, status_code, content,
            )
        return JSONResponse(content, status_code=status_code, headers=headers)


async def idempotency_key(
    request: Request,
    principal: CurrentPrincipal,
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", description="Makes a retried POST return the first result"),
    ] = None,
) -> IdempotencyKey:
    if idempotency_key is not None and not _KEY.match(idempotency_key):
        raise Problem(
            "Idempotency-Key must be 1-255 visible ASCII characters",
            status=400, title="Bad Request", slug="invalid-idempotency-key",
            errors=[field_error("Idempotency-Key", "must be 1-255 visible ASCII characters",
                                location="header")],
        )
    return IdempotencyKey(idempotency_key, principal.agency_id, request.method, request.url.path)


Idempotency = Annotated[IdempotencyKey, Depends(idempotency_key)]
