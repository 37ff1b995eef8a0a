"""``/v1/flags``: cases falling between agencies (the desk sees all; others their own cases)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from kasane_shared import audit
from kasane_shared.db import Conn
from pydantic import BaseModel

from kasane_coordination.deps import CaseReader, Rules
from kasane_coordination.flags import store
from kasane_coordination.flags.detect import FlagCode

router = APIRouter(tags=["between agencies"])


class FlagRead(BaseModel):
    id: UUID
    code: FlagCode
    case_id: UUID | None
    ref_id: UUID | None
    household_id: UUID | None
    detail: dict[str, Any]
    raised_at: datetime


@router.get("/v1/flags", response_model=list[FlagRead],
            summary="Open flags: no lead, review overdue, referral bounced (たらい回し), no contact")
async def list_flags(conn: Conn, principal: CaseReader, rules: Rules, code: FlagCode | None = None,
                     case_id: UUID | None = None) -> list[FlagRead]:
    desk = principal.agency_id == rules.collaboration_desk
    rows = await store.visible(conn, agency_id=principal.agency_id, everything=desk,
                               code=code.value if code else None, case_id=case_id)
    await audit.record(conn, principal, "list", "case_flag", [r["id"] for r in rows], purpose="between_agencies")
    return [FlagRead(id=r["id"], code=r["code"], case_id=r["case_id"], ref_id=r["ref_id"],
                     household_id=r["household_id"] if desk else None, detail=r["detail"], raised_at=r["raised_at"])
            for r in rows]
