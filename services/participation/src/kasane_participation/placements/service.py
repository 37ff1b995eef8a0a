"""Placements: started by an accepted match, followed up (定着支援), paused, ended.

Events (keyed by request, with the case id so coordination puts them on the case's
timeline): ``PlacementStarted``, ``PlacementFollowedUp`` (also for pause and resume, with
status codes ``paused`` and ``resumed``), ``PlacementEnded``. Follow-up notes stay here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg
from kasane_shared import audit
from kasane_shared.auth.tokens import Principal
from kasane_shared.contracts.codes import PlacementOutcome
from kasane_shared.contracts.participation import PlacementEnded, PlacementFollowedUp, PlacementStarted
from kasane_shared.events import outbox
from kasane_shared.http.problems import Conflict, InvalidInput, NotFound

from kasane_participation.opportunities import service as opportunities
from kasane_participation.opportunities import store as opportunity_store
from kasane_participation.placements import store
from kasane_participation.placements.models import FollowUpCreate, FollowUpRead, PlacementRead
from kasane_participation.placements.statuses import (
    InvalidTransition,
    follow_up_dates,
    next_status,
    request_after_end,
)
from kasane_participation.requests import service as requests
from kasane_participation.requests import store as request_store
from kasane_participation.rules import ParticipationRules


async def start(conn: asyncpg.Connection, *, match: Mapping[str, Any], request: Mapping[str, Any],
                opportunity: Mapping[str, Any], started_on: date, rules: ParticipationRules) -> asyncpg.Record:
    """A placement for an accepted match, with its follow-ups scheduled (request row locked)."""
    placement = await store.insert(conn, match_id=match["id"], request_id=request["id"],
                                   opportunity_id=opportunity["id"], started_on=started_on)
    await store.schedule(conn, placement["id"], follow_up_dates(started_on, rules.follow_up_days))
    await outbox.enqueue(conn, PlacementStarted(
        placement_id=placement["id"], request_id=request["id"], case_id=request["case_id"],
        opportunity_id=opportunity["id"], kind=opportunity["kind"], area_code=opportunity["area_code"],
        started_on=started_on,
    ))
    return placement


def can_see(rules: ParticipationRules, principal: Principal, request_owner: str | None, host: str | None) -> bool:
    """Coordinators, the agency that made the request, and the host that posted the opportunity."""
    agency = principal.agency_id
    return rules.is_coordinator(agency) or agency in (request_owner, host)


def can_read_notes(rules: ParticipationRules, principal: Principal, request_owner: str | None,
                   author: str | None) -> bool:
    """Follow-up notes: coordinators, the requesting agency, and the note's author."""
    agency = principal.agency_id
    return rules.is_coordinator(agency) or agency in (request_owner, author)


async def visible(conn: asyncpg.Connection, principal: Principal, rules: ParticipationRules, placement_id: UUID,
                  *, lock: bool = False) -> tuple[asyncpg.Record, asyncpg.Record, asyncpg.Record]:
    """(placement, request, opportunity), or 404 when the caller may not see it."""
    placement = await store.get(conn, placement_id, lock=lock)
    if placement is None:
        raise NotFound("no such placement")
    request = await request_store.get(conn, placement["request_id"], lock=lock)
    opportunity = await opportunity_store.get(conn, placement["opportunity_id"])
    assert request is not None and opportunity is not None
    if not can_see(rules, principal, request["owner_agency_id"], opportunity["owner_agency_id"]):
        raise NotFound("no such placement")
    return placement, request, opportunity


async def read(conn: asyncpg.Connection, principal: Principal, rules: ParticipationRules,
               placement: Mapping[str, Any], request: Mapping[str, Any],
               opportunity: Mapping[str, Any]) -> PlacementRead:
    """The placement with its follow-ups; notes only for those who may read them (audited)."""
    rows = await store.follow_ups(conn, placement["id"])
    follow_ups = [
        FollowUpRead(id=f["id"], due_on=f["due_on"], done_on=f["done_on"], status_code=f["status_code"],
                     recorded_by=f["recorded_by"],
                     note=f["note"] if can_read_notes(rules, principal, request["owner_agency_id"],
                                                      f["recorded_by"]) else None)
        for f in rows
    ]
    await audit.record(conn, principal, "read", "placement", placement["id"], purpose="participation_support")
    return PlacementRead(
        id=placement["id"], match_id=placement["match_id"], request_id=placement["request_id"],
        opportunity_id=placement["opportunity_id"], kind=opportunity["kind"], area_code=opportunity["area_code"],
        status=placement["status"], started_on=placement["started_on"], ended_on=placement["ended_on"],
        outcome=placement["outcome"], pause_reason=placement["pause_reason"], follow_ups=follow_ups,
        version=placement["version"], created_at=placement["created_at"], updated_at=placement["updated_at"],
    )


def _transition(current: str, action: str) -> str:
    try:
        return next_status(current, action)
    except InvalidTransition as exc:
        raise Conflict(str(exc), slug="invalid-transition") from None


async def follow_up(conn: asyncpg.Connection, *, principal: Principal, rules: ParticipationRules,
                    placement_id: UUID, body: FollowUpCreate) -> tuple[asyncpg.Record, ...]:
    """Record a follow-up (the note stays here; the event carries the status code only)."""
    placement, request, opportunity = await visible(conn, principal, rules, placement_id, lock=True)
    if placement["status"] == "ended":
        raise Conflict("the placement has ended", slug="placement-ended")
    scheduled = await store.open_follow_up(conn, placement_id, body.follow_up_id)
    if body.follow_up_id is not None and scheduled is None:
        raise NotFound("no such follow-up for this placement")
    if scheduled is not None and scheduled["done_on"] is not None:
        raise Conflict("this follow-up is already recorded", slug="follow-up-done")
    done = await store.complete(conn, scheduled["id"] if scheduled else None, placement_id,
                                done_on=body.followed_up_on, status_code=body.status_code, note=body.note,
                                recorded_by=principal.agency_id)
    if body.next_due_on is not None:
        await store.schedule(conn, placement_id, [body.next_due_on])
    placement = await store.update(conn, placement_id, {})
    await outbox.enqueue(conn, PlacementFollowedUp(
        placement_id=placement_id, request_id=request["id"], case_id=request["case_id"],
        followed_up_on=body.followed_up_on, status_code=body.status_code,
    ))
    await audit.record(conn, principal, "create", "follow_up", done["id"], purpose="participation_support")
    return placement, request, opportunity


async def pause(conn: asyncpg.Connection, *, principal: Principal, rules: ParticipationRules,
                placement_id: UUID, reason_code: str | None, on: date) -> tuple[asyncpg.Record, ...]:
    """Pause (the place is kept) or, with ``reason_code`` None, resume."""
    placement, request, opportunity = await visible(conn, principal, rules, placement_id, lock=True)
    action = "pause" if reason_code is not None else "resume"
    status = _transition(placement["status"], action)
    placement = await store.update(conn, placement_id, {"status": status, "pause_reason": reason_code})
    await outbox.enqueue(conn, PlacementFollowedUp(
        placement_id=placement_id, request_id=request["id"], case_id=request["case_id"],
        followed_up_on=on, status_code="paused" if action == "pause" else "resumed",
    ))
    await audit.record(conn, principal, action, "placement", placement_id, purpose="participation_support")
    return placement, request, opportunity


async def end(conn: asyncpg.Connection, *, principal: Principal, rules: ParticipationRules,
              placement_id: UUID, outcome: PlacementOutcome, ended_on: date) -> tuple[asyncpg.Record, ...]:
    """End with an outcome: the place is given back and the request moves on by the outcome."""
    from kasane_participation.matching.service import evaluate_new  # matching starts placements

    placement, request, _ = await visible(conn, principal, rules, placement_id, lock=True)
    status = _transition(placement["status"], "end")
    if ended_on < placement["started_on"]:
        raise InvalidInput("ended_on", "before the placement started")
    placement = await store.update(conn, placement_id, {"status": status, "outcome": outcome.value,
                                                        "ended_on": ended_on})
    before = await opportunity_store.get(conn, placement["opportunity_id"], lock=True)
    assert before is not None
    after = await opportunity_store.free_seat(conn, before["id"])
    await opportunities.announce(conn, before, after, rules)
    req_status, step, reason = request_after_end(outcome, after["kind"], request["current_step"])
    request = await request_store.update(conn, request["id"], {
        "status": req_status, "current_step": step, "close_reason": reason,
        "allowed_kinds": requests.allowed_kinds(step, request["max_step"], request["preferences"], rules),
    })
    await outbox.enqueue(conn, PlacementEnded(
        placement_id=placement_id, request_id=request["id"], case_id=request["case_id"], outcome=outcome,
        ended_on=ended_on, area_code=after["area_code"],
    ))
    if req_status == "open":
        request = await evaluate_new(conn, request, rules)
    await audit.record(conn, principal, "end", "placement", placement_id, purpose="participation_support")
    return placement, request, after
