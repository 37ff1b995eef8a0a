"""Intake's consent facts (keyed by person): they gate 重層的支援会議 and personal detail."""

from __future__ import annotations

import asyncpg
from kasane_shared.contracts.intake import ConsentGranted, ConsentWithdrawn
from kasane_shared.events.consumer import EventContext

from kasane_coordination.cases.handlers import on_timeline
from kasane_coordination.consent import store


async def granted(conn: asyncpg.Connection, event: ConsentGranted, ctx: EventContext) -> None:
    """Keep the consent; the household's cases may now be shared as far as its scope allows."""
    household_id = event.household_id or await conn.fetchval(
        "SELECT household_id FROM household_members WHERE person_id = $1 LIMIT 1", event.person_id,
    )
    if await store.record_grant(
        conn, consent_id=event.consent_id, source="consent_event", person_id=event.person_id,
        household_id=household_id, scope=event.scope.value, agency_ids=list(event.agency_ids),
        granted_on=event.granted_on, expires_on=event.expires_on,
    ):  # the same consent re-sent under another event id is not a new fact
        await on_timeline(conn, event, ctx, household_id=household_id)


async def withdrawn(conn: asyncpg.Connection, event: ConsentWithdrawn, ctx: EventContext) -> None:
    """Withdraw it (and what the person's referrals carried): sharing stops from that day."""
    household_id = await store.withdraw(conn, consent_id=event.consent_id, person_id=event.person_id,
                                        on=event.withdrawn_on)
    await on_timeline(conn, event, ctx, household_id=household_id)
