"""Publishing: every event coordination writes goes to the outbox and onto the timeline of
the cases (or engagement) it is about, in the same transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
from kasane_shared.events import outbox
from kasane_shared.events.base import Event
from kasane_shared.events.streams import COORDINATION

from kasane_coordination.timeline import store as timeline

SOURCE = COORDINATION.source


async def emit(
    conn: asyncpg.Connection, event: Event, *, agency_id: str | None, cases: Sequence[UUID] = (),
    household_id: UUID | None = None, engagement_id: UUID | None = None, request_id: UUID | None = None,
    occurred_at: datetime | None = None, data_for: Mapping[UUID, Mapping[str, Any]] | None = None,
) -> UUID:
    """Enqueue ``event`` (its aggregate row is already locked) and put it on the timelines.

    The payload is ids and codes only, so the timeline can show it to the whole team.
    ``occurred_at`` backdates the entry to the fact it follows from (a case opened from a
    referral happened when the referral was made); by default, now. ``data_for`` narrows what
    each case's timeline keeps (a meeting's entry shows that case's decision only)."""
    event_id = await outbox.enqueue(conn, event)
    targets: Sequence[UUID | None] = cases or ([None] if engagement_id or request_id else [])
    for case_id in targets:
        await timeline.add(
            conn, source=SOURCE, event_id=str(event_id), type_=event.event_type,
            data=data_for[case_id] if data_for is not None and case_id is not None else event.payload(),
            case_id=case_id, household_id=household_id, engagement_id=engagement_id,
            request_id=request_id, agency_id=agency_id, occurred_at=occurred_at,
        )
    return event_id
