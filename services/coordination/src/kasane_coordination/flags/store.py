"""Reading the facts the flags are computed from, and keeping the open flags in step."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID, uuid4

import asyncpg

from kasane_coordination.flags.detect import Flag

# system reminders are not activity on a case
_NOT_ACTIVITY = ["kasane.coordination.plan.review_overdue.v1", "kasane.coordination.outreach.overdue.v1"]


async def open_cases(conn: asyncpg.Connection, timezone: str) -> list[asyncpg.Record]:
    """Every open case with its lead, active plan and last activity (dates in the municipality's zone)."""
    return await conn.fetch(
        """SELECT c.id, c.status, c.household_id, c.consultation_id, c.referral_id,
                  (c.opened_at AT TIME ZONE $1)::date AS opened_on,
                  EXISTS (SELECT 1 FROM case_team t WHERE t.case_id = c.id AND t.role = 'lead'
                             AND t.state = 'active') AS has_lead,
                  p.id AS plan_id, p.status AS plan_status, p.review_due,
                  (SELECT (max(t.occurred_at) AT TIME ZONE $1)::date FROM timeline t
                    WHERE t.type <> ALL($2::text[])
                      AND (t.case_id = c.id
                           OR (t.case_id IS NULL AND (
                                (c.household_id IS NOT NULL AND t.household_id = c.household_id)
                             OR t.request_id IN (SELECT id FROM participation_requests r WHERE r.case_id = c.id)
                             OR t.engagement_id IN (SELECT id FROM outreach_engagements e
                                                     WHERE e.case_id = c.id))))) AS last_activity_on
             FROM cases c
             LEFT JOIN plans p ON p.case_id = c.id AND p.status IN ('approved', 'under_review')
            WHERE c.status <> 'ended'
            ORDER BY c.id""",
        timezone, _NOT_ACTIVITY,
    )


async def open_bounces(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT referral_id, consultation_id, household_id, bounce_count FROM referral_bounces
            WHERE resolved_at IS NULL ORDER BY referral_id"""
    )


async def sync(conn: asyncpg.Connection, flags: Sequence[Flag]) -> tuple[int, int]:
    """Raise new flags, refresh the details of standing ones, clear the rest; (raised, cleared)."""
    standing = {(r["code"], r["case_id"], r["ref_id"]): r["id"] for r in await conn.fetch(
        "SELECT id, code, case_id, ref_id FROM case_flags WHERE cleared_at IS NULL FOR UPDATE")}
    wanted = {f.key: f for f in flags}
    raised = 0
    for key, flag in wanted.items():
        if key in standing:
            await conn.execute("UPDATE case_flags SET detail = $2 WHERE id = $1", standing[key], flag.detail)
        else:
            await conn.execute(
                """INSERT INTO case_flags (id, code, case_id, ref_id, household_id, detail)
                   VALUES ($1, $2, $3, $4, $5, $6)""",
                uuid4(), flag.code.value, flag.case_id, flag.ref_id, flag.household_id, flag.detail,
            )
            raised += 1
    gone = [flag_id for key, flag_id in standing.items() if key not in wanted]
    if gone:
        await conn.execute("UPDATE case_flags SET cleared_at = clock_timestamp() WHERE id = ANY($1::uuid[])", gone)
    return raised, len(gone)


async def visible(conn: asyncpg.Connection, *, agency_id: str, everything: bool, code: str | None,
                  case_id: UUID | None) -> list[asyncpg.Record]:
    """Open flags: every one for the collaboration desk, else those of cases the agency is on."""
    return await conn.fetch(
        """SELECT f.id, f.code, f.case_id, f.ref_id, f.household_id, f.detail, f.raised_at FROM case_flags f
            WHERE f.cleared_at IS NULL
              AND ($2 OR EXISTS (SELECT 1 FROM case_team t WHERE t.case_id = f.case_id AND t.agency_id = $1
                                    AND t.state = 'active'))
              AND ($3::text IS NULL OR f.code = $3)
              AND ($4::uuid IS NULL OR f.case_id = $4)
            ORDER BY f.raised_at, f.id""",
        agency_id, everything, code, case_id,
    )
