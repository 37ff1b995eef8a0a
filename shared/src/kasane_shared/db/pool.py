"""The asyncpg pool and the per-request transaction."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, cast

import asyncpg
from fastapi import Depends, Request


async def _init_connection(conn: asyncpg.Connection) -> None:
    # JSON columns come back as Python objects and accept them on the way in.
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name,
            encoder=lambda v: json.dumps(v, ensure_ascii=False, default=str),
            decoder=json.loads,
            schema="pg_catalog",
        )


async def connect(url: str) -> asyncpg.Connection:
    """One connection with Kasane's codecs (for the relay's leader session and CLIs)."""
    conn = await asyncpg.connect(url)
    await _init_connection(conn)
    return conn


async def create_pool(url: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """A pool whose connections speak JSON for json/jsonb."""
    pool = await asyncpg.create_pool(
        url, min_size=min_size, max_size=max_size, init=_init_connection, command_timeout=60
    )
    assert pool is not None
    return pool


async def transaction(request: Request) -> AsyncIterator[asyncpg.Connection]:
    """One connection in one transaction for the whole request; rolled back on any error."""
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn, conn.transaction():
        # a pool's proxy behaves as the connection it wraps
        yield cast(asyncpg.Connection, conn)


# scope="function": the transaction commits before the response is sent, so a client
# never sees a 2xx for a write that then fails to commit.
Conn = Annotated[asyncpg.Connection, Depends(transaction, scope="function")]
