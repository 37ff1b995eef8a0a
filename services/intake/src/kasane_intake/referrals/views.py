"""Routes for referrals: refer a consultation on, answer, forward, read and list."""

from __future__ import annotations

import uuid
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Query
from kasane_shared import audit
from kasane_shared.contracts.codes import ReferralStatus, ReferralTarget
from kasane_shared.db import Conn
from kasane_shared.http.idempotency import Idempotency
from kasane_shared.http.pagination import Page, cursor_key, encode_cursor
from kasane_shared.http.problems import Forbidden, InvalidInput, NotFound

from kasane_intake.authz import ConsultationReader, ReferralWriter, Viewer, audit_read, consultation_access
from kasane_intake.consultations import store as consultations
from kasane_intake.consultations.service import reject_my_number
from kasane_intake.referrals import service, store
from kasane_intake.referrals.models import Forward, ReferralCreate, ReferralRead, StatusChange
from kasane_intake.referrals.statuses import OPEN, Party

router = APIRouter(tags=["referrals"])


def _check_target(body: ReferralCreate) -> None:
    if body.target == ReferralTarget.agency and body.to_agency_id is None:
        raise InvalidInput("to_agency_id", "required when target is agency")
    if body.target != ReferralTarget.agency and body.to_agency_id is not None:
        raise InvalidInput("to_agency_id", "only for target agency (collaboration and outreach go to their desk)")


async def _may_refer(conn: asyncpg.Connection, viewer: Viewer, consultation: asyncpg.Record) -> bool:
    """The receiving agency, or one answering an open referral of the consultation."""
    if consultation["agency_id"] == viewer.agency:
        return True
    return bool(await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM referrals WHERE consultation_id = $1 AND handler_agency_id = $2"
        " AND status = ANY($3))", consultation["id"], viewer.agency, [s.value for s in OPEN]))


async def _visible_consultation(conn: asyncpg.Connection, viewer: Viewer, consultation_id: uuid.UUID,
                                *, lock: bool = False) -> asyncpg.Record:
    row = await consultations.get(conn, consultation_id, lock=lock)
    access = await consultation_access(conn, viewer, row) if row else None
    if row is None or access is None or access.level is None:
        raise NotFound("no such consultation")
    return row


@router.post("/v1/consultations/{consultation_id}/referrals", status_code=201, response_model=ReferralRead,
             summary="Refer to multi-agency collaboration, request outreach, or refer to another agency")
async def create_referral(consultation_id: uuid.UUID, body: ReferralCreate, conn: Conn, viewer: ReferralWriter,
                          idem: Idempotency):
    reject_my_number(body)
    _check_target(body)
    if (replay := await idem.replay(conn, body)) is not None:
        return replay
    consultation = await _visible_consultation(conn, viewer, consultation_id, lock=True)
    if not await _may_refer(conn, viewer, consultation):
        raise Forbidden("only the receiving agency, or one answering a referral of it, refers a consultation")
    row = await service.create_referral(conn, viewer=viewer, consultation=consultation, body=body)
    return await idem.respond(conn, 201, await store.read(conn, row))


async def _referral_for_change(conn: asyncpg.Connection, viewer: Viewer,
                               referral_id: uuid.UUID) -> tuple[asyncpg.Record, asyncpg.Record]:
    """The referral and its consultation, both locked (consultation first, as everywhere)."""
    referral = await store.get(conn, referral_id)
    if referral is None:
        raise NotFound("no such referral")
    consultation = await consultations.get(conn, referral["consultation_id"], lock=True)
    referral = await store.get(conn, referral_id, lock=True)
    if not service.parties_of(viewer.agency, referral):
        access = await consultation_access(conn, viewer, consultation)
        if not access.full:
            raise NotFound("no such referral")
    return referral, consultation


@router.post("/v1/referrals/{referral_id}/status", response_model=ReferralRead,
             summary="Accept, reject (with a reason), complete or cancel a referral")
async def change_status(referral_id: uuid.UUID, body: StatusChange, conn: Conn, viewer: ReferralWriter) -> ReferralRead:
    reject_my_number(body)
    if body.status == ReferralStatus.rejected and body.reason_code is None:
        raise InvalidInput("reason_code", "a rejection needs a reason")
    referral, consultation = await _referral_for_change(conn, viewer, referral_id)
    row = await service.change_status(
        conn, agency_id=viewer.agency, rules=viewer.rules.referrals, consultation=consultation, referral=referral,
        wanted=ReferralStatus(body.status), reason_code=body.reason_code, reason=body.reason,
        parties=service.parties_of(viewer.agency, referral),
    )
    await audit.record(conn, viewer.principal, "update", "referral", referral_id, purpose=viewer.purpose)
    return await store.read(conn, row)


@router.post("/v1/referrals/{referral_id}/forward", status_code=201, response_model=ReferralRead,
             summary="Hand a referral on to another agency (counts as a bounce: たらい回し is flagged)")
async def forward(referral_id: uuid.UUID, body: Forward, conn: Conn, viewer: ReferralWriter) -> ReferralRead:
    reject_my_number(body)
    referral, consultation = await _referral_for_change(conn, viewer, referral_id)
    parties = service.parties_of(viewer.agency, referral)
    if Party.handler not in parties:
        raise Forbidden("only the agency answering a referral forwards it")
    if viewer.profile.agency(body.to_agency_id) is None:
        raise InvalidInput("to_agency_id", "not an agency of the municipality profile")
    if body.to_agency_id == viewer.agency:
        raise InvalidInput("to_agency_id", "forward to another agency")
    await service.change_status(
        conn, agency_id=viewer.agency, rules=viewer.rules.referrals, consultation=consultation, referral=referral,
        wanted=ReferralStatus.rejected, reason_code="forwarded", reason=body.reason, parties=parties,
        forwarding=True,
    )
    row = await service.create_referral(
        conn, viewer=viewer, consultation=consultation,
        body=ReferralCreate(target=ReferralTarget.agency, to_agency_id=body.to_agency_id,
                            reason_code=body.reason_code, reason=body.reason),
        previous_referral_id=referral_id,
    )
    return await store.read(conn, row)


@router.get("/v1/referrals/{referral_id}", response_model=ReferralRead, summary="One referral with its history")
async def get_referral(referral_id: uuid.UUID, conn: Conn, viewer: ConsultationReader) -> ReferralRead:
    row = await store.get(conn, referral_id)
    if row is None:
        raise NotFound("no such referral")
    if not service.parties_of(viewer.agency, row):
        consultation = await consultations.get(conn, row["consultation_id"])
        if not (await consultation_access(conn, viewer, consultation)).full:
            raise NotFound("no such referral")
    await audit_read(conn, viewer, "referral", [referral_id])
    return await store.read(conn, row)


@router.get("/v1/referrals", response_model=Page[ReferralRead],
            summary="Referrals the caller answers (in) or made (out); the collaboration desk sees every flagged one")
async def list_referrals(
    conn: Conn, viewer: ConsultationReader,
    direction: Annotated[str, Query(pattern="^(in|out)$")] = "in",
    status: Annotated[ReferralStatus | None, Query()] = None,
    flagged: bool | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[ReferralRead]:
    key = cursor_key(cursor, uuid.UUID)  # 400 naming cursor when not ours
    after_id = key[0] if key else None
    desk_sees_all = flagged is True and viewer.agency == viewer.rules.referrals.collaboration_desk
    rows = await conn.fetch(
        """SELECT * FROM referrals
            WHERE ($1 OR (CASE WHEN $2 = 'in' THEN handler_agency_id ELSE from_agency_id END) = $3)
              AND ($4::text IS NULL OR status = $4)
              AND ($5::boolean IS NULL OR flagged = $5)
              AND ($6::uuid IS NULL OR id > $6)
            ORDER BY id LIMIT $7""",
        desk_sees_all, direction, viewer.agency, status.value if status else None, flagged, after_id, limit + 1,
    )
    items = [await store.read(conn, r, details=False) for r in rows[:limit]]
    await audit_read(conn, viewer, "referral", [i.id for i in items], action="list")
    next_cursor = encode_cursor(rows[limit - 1]["id"]) if len(rows) > limit else None
    return Page[ReferralRead](items=items, next_cursor=next_cursor)
