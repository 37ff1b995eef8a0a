"""Writing events: a row in the ``outbox`` table, inside the caller's transaction."""

from __future__ import annotations

import uuid

import asyncpg
from opentelemetry import propagate

from kasane_shared.events.base import Event


async def enqueue(
    conn: asyncpg.Connection, event: Event, *, subject: str | None = None
) -> uuid.UUID:
    """Record ``event`` for the relay; it commits or rolls back with the caller's change.

    Lock or update the aggregate's row before calling this, so events of one aggregate
    take their ``seq`` in commit order.
    """
    if not conn.is_in_transaction():
        raise RuntimeError("outbox.enqueue needs the transaction of the state change")
    carrier: dict[str, str] = {}
    propagate.inject(carrier)  # the writer's trace continues through the relay
    event_id = uuid.uuid4()
    await conn.execute(
        """INSERT INTO outbox (id, aggregate_type, aggregate_id, type, topic, payload, headers,
                               traceparent, tracestate)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        event_id,
        event.aggregate_type,
        event.aggregate_id,
        event.event_type,
        event.stream.name,
        event.payload(),
        {"ce_subject": subject or f"{event.aggregate_type}/{event.aggregate_id}"},
        carrier.get("traceparent"),
        carrier.get("tracestate"),
    )
    return event_id


async def parked(conn: asyncpg.Connection) -> list[dict[str, object]]:
    """Rows the relay parked (the broker refused them), oldest first, each with how many
    later rows of its key wait behind it; no payloads."""
    rows = await conn.fetch(
        """SELECT p.seq, p.id::text AS id, p.aggregate_type, p.aggregate_id, p.type, p.topic,
                  p.created_at, p.parked_at, p.park_reason, p.refusals,
                  (SELECT count(*) FROM outbox h
                    WHERE h.published_at IS NULL AND h.topic = p.topic
                      AND h.aggregate_id = p.aggregate_id AND h.seq > p.seq) AS held
             FROM outbox p
            WHERE p.parked_at IS NOT NULL AND p.published_at IS NULL
            ORDER BY p.seq"""
    )
    return [dict(r) for r in rows]


async def unpark(conn: asyncpg.Connection, seq: int) -> bool:
    """Give a parked row back to the relay (after the topic's limit was raised or the row
    fixed); it and the rows held behind it go out in order. Its refusal count starts
    again, so a row still refused is parked again. Returns whether ``seq`` was parked."""
    done = await conn.fetchval(
        """UPDATE outbox SET parked_at = NULL, park_reason = NULL, refusals = 0
            WHERE seq = $1 AND parked_at IS NOT NULL AND published_at IS NULL
        RETURNING true""",
        seq,
    )
    if done:
        await conn.execute("SELECT pg_notify('kasane_outbox', '')")  # wake the relay now
    return bool(done)
