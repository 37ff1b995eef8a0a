"""Gap needs (制度の狭間のニーズ): what was needed where, when nothing fitted.

Recorded with the area and codes only and emitted as ``GapNeedRecorded``, so community
development can group them by area and need and start a development project. The link
to the request stays here, to mark the gap resolved when the request is matched later.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

import asyncpg
from kasane_shared.contracts.participation import GapNeedRecorded
from kasane_shared.events import outbox

from kasane_participation.gaps import store
from kasane_participation.matching.matching import LADDER, step_scores
from kasane_participation.rules import ParticipationRules


def wanted_kinds(request: Mapping[str, Any], rules: ParticipationRules) -> list[str]:
    """The kinds the person was looking for: those preferred and allowed, else the best step(s)."""
    allowed = step_scores(request["current_step"], request["max_step"], request["preferences"], rules.steps)
    preferred = [k for k in allowed if k in request["preferences"]]
    if preferred:
        return preferred
    if not allowed:
        return []
    best = max(allowed.values())
    return [k for k, v in allowed.items() if v == best and k in LADDER]


def need_codes(request: Mapping[str, Any], rules: ParticipationRules) -> list[str]:
    """The request's needs; when it named none, the kinds wanted stand for them."""
    return sorted(set(request["needs"])) or wanted_kinds(request, rules)


async def record(conn: asyncpg.Connection, request: Mapping[str, Any],
                 rules: ParticipationRules) -> asyncpg.Record | None:
    """Record and emit a gap need for the request (None if one is already open for it)."""
    row = await store.insert(
        conn, request_id=request["id"], area_code=request["area_code"], need_codes=need_codes(request, rules),
        wanted_kinds=wanted_kinds(request, rules), accommodations=list(request["required_accommodations"]),
        languages=list(request["languages"]),
    )
    if row is None:
        return None
    await outbox.enqueue(conn, GapNeedRecorded(
        gap_need_id=row["id"], area_code=row["area_code"], need_codes=row["need_codes"],
        wanted_kinds=row["wanted_kinds"], accommodations=row["accommodations"], languages=row["languages"],
    ))
    return row


async def resolve(conn: asyncpg.Connection, *, request_id: UUID, resolution: str,
                  opportunity_id: UUID | None = None) -> None:
    """The request's open gap need is over: matched to an opportunity, or the request closed."""
    await store.resolve(conn, request_id=request_id, resolution=resolution, opportunity_id=opportunity_id)
