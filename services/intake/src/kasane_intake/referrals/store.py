"""SQL for referrals and their history."""

from __future__ import annotations

import uuid

import asyncpg

from kasane_intake.referrals.models import HistoryEntry, ReferralRead


async def insert(
    conn: asyncpg.Connection, *, consultation_id: uuid.UUID, from_agency_id: str, target: str,
    to_agency_id: str | None, handler_agency_id: str, reason_code: str, reason: str | None,
    bounce_count: int, flagged: bool, flag_reason: str | None, previous_referral_id: uuid.UUID | None,
) -> asyncpg.Record:
    row = await conn.fetchrow(
        """INSERT INTO referrals (id, consultation_id, from_agency_id, target, to_agency_id, handler_agency_id,
                                  reason_code, reason, bounce_count, flagged, flag_reason, previous_referral_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *""",
        uuid.uuid4(), consultation_id, from_agency_id, target, to_agency_id, handler_agency_id, reason_code,
        reason, bounce_count, flagged, flag_reason, previous_referral_id,
    )
    await add_history(conn, row["id"], "requested", from_agency_id, reason_code)
    return row


async def add_history(conn: asyncpg.Connection, referral_id: uuid.UUID, status: str, by_agency_id: str,
                      reason_code: str | None) -> None:
    await conn.execute(
        "INSERT INTO referral_history (referral_id, status, by_agency_id, reason_code) VALUES ($1, $2, $3, $4)",
        referral_id, status, by_agency_id, reason_code,
    )


async def get(conn: asyncpg.Connection, referral_id: uuid.UUID, *, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT * FROM referrals WHERE id = $1{' FOR UPDATE' if lock else ''}", referral_id)


async def set_status(
    conn: asyncpg.Connection, *, referral_id: uuid.UUID, status: str, by_agency_id: str,
    reason_code: str | None, reason: str | None, flagged: bool | None = None, flag_reason: str | None = None,
    case_id: uuid.UUID | None = None,
) -> asyncpg.Record:
    row = await conn.fetchrow(
        """UPDATE referrals SET status = $2, status_reason_code = $3, status_reason = $4,
                  flagged = coalesce($5, flagged), flag_reason = coalesce($6, flag_reason),
                  case_id = coalesce($7, case_id), updated_at = now()
            WHERE id = $1 RETURNING *""",
        referral_id, status, reason_code, reason, flagged, flag_reason, case_id,
    )
    await add_history(conn, referral_id, status, by_agency_id, reason_code)
    return row


async def for_consultation(conn: asyncpg.Connection, consultation_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM referrals WHERE consultation_id = $1 ORDER BY created_at, id", consultation_id)


async def counts(conn: asyncpg.Connection, consultation_id: uuid.UUID) -> tuple[int, int]:
    """(rejected, still requested/accepted/completed) referrals of the consultation."""
    row = await conn.fetchrow(
        """SELECT count(*) FILTER (WHERE status = 'rejected') AS rejected,
                  count(*) FILTER (WHERE status IN ('requested', 'accepted', 'completed')) AS taken
             FROM referrals WHERE consultation_id = $1""",
        consultation_id,
    )
    return row["rejected"], row["taken"]


async def read(conn: asyncpg.Connection, row: asyncpg.Record, *, details: bool = True) -> ReferralRead:
    """A referral; ``details`` adds the reasons in words and the history."""
    history = []
    if details:
        history = [HistoryEntry(**dict(h)) for h in await conn.fetch(
            "SELECT status, by_agency_id, reason_code, at FROM referral_history WHERE referral_id = $1 ORDER BY id",
            row["id"])]
    return ReferralRead(
        id=row["id"], consultation_id=row["consultation_id"], from_agency_id=row["from_agency_id"],
        target=row["target"], to_agency_id=row["to_agency_id"], handler_agency_id=row["handler_agency_id"],
        reason_code=row["reason_code"], reason=row["reason"] if details else None, status=row["status"],
        status_reason_code=row["status_reason_code"], status_reason=row["status_reason"] if details else None,
        bounce_count=row["bounce_count"], flagged=row["flagged"], flag_reason=row["flag_reason"],
        previous_referral_id=row["previous_referral_id"], case_id=row["case_id"],
        created_at=row["created_at"], updated_at=row["updated_at"], history=history,
    )
