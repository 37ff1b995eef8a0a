"""Routes for consultations and the concern catalogue."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from kasane_shared import audit
from kasane_shared.contracts.codes import CONCERN_LABELS
from kasane_shared.db import Conn
from kasane_shared.http.idempotency import REPLAYED, Idempotency
from kasane_shared.http.pagination import Page, cursor_key, cursor_time, encode_cursor
from kasane_shared.http.problems import Forbidden, InvalidInput, NotFound

from kasane_intake.authz import (
    FULL,
    AnyCaller,
    ConsultationReader,
    ConsultationWriter,
    audit_read,
    consultation_access,
)
from kasane_intake.consultations import service, store
from kasane_intake.consultations.models import (
    JST,
    ConcernRead,
    ConsultationCreate,
    ConsultationItem,
    ConsultationRead,
)

router = APIRouter(tags=["consultations"])

StatusFilter = Annotated[str | None, Query(pattern="^(open|referred|closed)$")]
CodeFilter = Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9_]{0,63}$")]


@router.get("/v1/concerns", response_model=list[ConcernRead], summary="The concern catalogue (相談内容の分類)")
async def concerns(_viewer: AnyCaller) -> list[ConcernRead]:
    return [ConcernRead(code=code.value, label_ja=ja, label_en=en, field=field)
            for code, (ja, en, field) in CONCERN_LABELS.items()]


@router.post(
    "/v1/consultations", status_code=201, response_model=ConsultationRead,
    summary="Accept a consultation (断らない: anonymous, third-party and sparse ones too)",
    responses={200: {"description": "A retry (same Idempotency-Key or external_id): the first consultation"}},
)
async def post_consultation(body: ConsultationCreate, conn: Conn, viewer: ConsultationWriter, idem: Idempotency):
    # Checks that need no database come first: a refused request stores nothing.
    service.reject_my_number(body)
    service.check_areas(body, viewer.profile)
    async def still_visible(stored: dict[str, Any]) -> None:
        # a replay is a read of the consultation and its members, audited as one
        row = await store.get(conn, uuid.UUID(stored["id"]))
        access = await consultation_access(conn, viewer, row) if row else None
        if row is None or access is None or access.level is None:
            raise NotFound("no such consultation")
        await audit_read(conn, viewer, "consultation", [row["id"]], access)
        members = [uuid.UUID(m["person_id"]) for m in stored.get("members") or []]
        if members:
            await audit_read(conn, viewer, "person", members, access)

    if (replay := await idem.replay(conn, body, recheck=still_visible)) is not None:
        return replay
    accepted = await service.accept_consultation(conn, viewer=viewer, body=body, via="api")
    if accepted.read is not None:
        return await idem.respond(conn, 201, accepted.read)
    # the partner's external id was taken: the first consultation, as a retry expects
    read = await service.full_read(conn, viewer, await store.get(conn, accepted.consultation_id))
    await audit_read(conn, viewer, "consultation", [read.id], FULL)
    return await idem.respond(conn, 200, read, headers={REPLAYED: "true"})


@router.get("/v1/consultations/{consultation_id}", response_model=ConsultationRead,
            summary="A consultation, as far as the caller may see it")
async def get_consultation(consultation_id: uuid.UUID, conn: Conn, viewer: ConsultationReader) -> ConsultationRead:
    row = await store.get(conn, consultation_id)
    access = await consultation_access(conn, viewer, row) if row else None
    if row is None or access is None or access.level is None:
        raise NotFound("no such consultation")
    read = await service.read_as(conn, viewer, row, access)
    await audit_read(conn, viewer, "consultation", [consultation_id], access)
    if access.full and read.members:
        await audit_read(conn, viewer, "person", [m.person_id for m in read.members], access)
    return read


@router.get("/v1/consultations", response_model=Page[ConsultationItem],
            summary="The desk's list: consultations it received or answers a referral of")
async def list_consultations(
    conn: Conn, viewer: ConsultationReader,
    agency: Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$", description="receiving agency")] = None,
    received_from: Annotated[date | None, Query(description="first day (Japan time)")] = None,
    received_to: Annotated[date | None, Query(description="last day, inclusive (Japan time)")] = None,
    concern: CodeFilter = None,
    status: StatusFilter = None,
    area: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,32}$",
                                      description="an area and every area below it")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[ConsultationItem]:
    if received_from and received_to and received_to < received_from:
        raise InvalidInput("received_to", "is before received_from")
    if area is not None and viewer.profile.area(area) is None:
        raise InvalidInput("area", "not an area of the municipality profile")
    after = cursor_key(cursor, cursor_time, uuid.UUID)  # 400 naming cursor when not ours
    where = store.ListFilter(
        agency_id=agency,
        received_from=datetime.combine(received_from, time(), JST) if received_from else None,
        received_before=datetime.combine(received_to + timedelta(days=1), time(), JST) if received_to else None,
        concern=concern, status=status,
        area_codes=sorted(viewer.profile.descendants(area)) if area else None, after=after,
    )
    rows = await store.worklist(conn, viewer_agency=viewer.agency, where=where, limit=limit + 1)
    items = [ConsultationItem(
        id=r["id"], agency_id=r["agency_id"], received_at=r["received_at"], status=r["status"],
        channel=r["channel"], consulted_by=r["consulted_by"], anonymous=r["anonymous"], via=r["via"],
        household_id=r["household_id"], person_id=r["person_id"], area_code=r["area_code"],
        concern_codes=list(r["concern_codes"]), unknown_concern_codes=list(r["unknown_concern_codes"]),
        recommendation=r["recommendation"], patterns=list(r["patterns"]),
    ) for r in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(last["received_at"].isoformat(), last["id"])
    await audit_read(conn, viewer, "consultation", [i.id for i in items], action="list")
    return Page[ConsultationItem](items=items, next_cursor=next_cursor)


@router.post("/v1/consultations/{consultation_id}/close", response_model=ConsultationRead,
             summary="The receiving desk closes a consultation it has finished with")
async def close_consultation(consultation_id: uuid.UUID, conn: Conn, viewer: ConsultationWriter) -> ConsultationRead:
    row = await store.get(conn, consultation_id, lock=True)
    access = await consultation_access(conn, viewer, row) if row else None
    if row is None or access is None or access.level is None:
        raise NotFound("no such consultation")
    if row["agency_id"] != viewer.agency:
        raise Forbidden("only the receiving agency closes a consultation")
    row = await conn.fetchrow(
        "UPDATE consultations SET status = 'closed', closed_at = coalesce(closed_at, now()) WHERE id = $1 RETURNING *",
        consultation_id)
    await audit.record(conn, viewer.principal, "update", "consultation", consultation_id, purpose=viewer.purpose)
    return await service.full_read(conn, viewer, row)
