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
