"""Matching as the API and the handlers use it: suggest, propose, accept, decline, and
re-match waiting requests when an opportunity opens or changes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg
from kasane_shared.auth.tokens import Principal
from kasane_shared.contracts.participation import MatchProposed
from kasane_shared.events import outbox
from kasane_shared.http.problems import Conflict, InvalidInput, NotFound

from kasane_participation.gaps import service as gaps
from kasane_participation.matching import store
from kasane_participation.matching.matching import Candidate, Plan, Ranked, Seeker, plan, unmet
from kasane_participation.matching.models import MatchRead, ScorePart
from kasane_participation.matching.reasons import explain
from kasane_participation.opportunities import service as opportunities
from kasane_participation.opportunities import store as opportunity_store
from kasane_participation.requests import service as requests
from kasane_participation.requests import store as request_store
from kasane_participation.rules import ParticipationRules, Weights
from kasane_participation.schedule import bits_hours

SYSTEM = "system"  # proposals made by the service itself, for a waiting request


def seeker_and_plan(request: Mapping[str, Any], rules: ParticipationRules) -> tuple[Seeker, Plan]:
    s = requests.seeker(request)
    return s, plan(s, rules)


def parts_json(parts: Mapping[str, float], weights: Weights) -> dict[str, dict[str, float]]:
    w = weights.model_dump()
    return {name: {"value": value, "weight": w[name], "points": round(value * w[name], 6)}
            for name, value in parts.items()}


def reasons_json(seeker: Seeker, p: Plan, r: Ranked) -> list[dict[str, Any]]:
    return [{"code": x.code, "part": x.part, "text": x.text, "text_ja": x.text_ja} for x in explain(seeker, p, r)]


async def suggestions(conn: asyncpg.Connection, request: Mapping[str, Any], rules: ParticipationRules, *,
                      limit: int, only: UUID | None = None) -> tuple[Seeker, Plan, list[Ranked]]:
    """The request's best opportunities now, best first."""
    s, p = seeker_and_plan(request, rules)
    return s, p, await store.find(conn, s, p, rules.weights, limit=limit, only=only)


async def evaluate_new(conn: asyncpg.Connection, request: asyncpg.Record,
                       rules: ParticipationRules) -> asyncpg.Record:
    """A request just made (or reopened): when nothing fits it waits, and a gap need is recorded."""
    s, p = seeker_and_plan(request, rules)
    if await store.fits_any(conn, s, p, rules.weights):
        return request
    waiting = await request_store.update(conn, request["id"], {"status": "waiting"})
    await gaps.record(conn, waiting, rules)
    return waiting


def _candidate(row: Mapping[str, Any]) -> Candidate:
    return Candidate(
        id=row["id"], kind=row["kind"], lat=row["lat"], lon=row["lon"], capacity=row["capacity"],
        seats_taken=row["seats_taken"], status=row["status"], accommodations=tuple(row["accommodations"]),
        languages=tuple(row["languages"]), activities=tuple(row["activities"]), for_ages=tuple(row["for_ages"]),
        hours=frozenset(bits_hours(row["hours"].as_string())), flexible=row["flexible_hours"],
        area_code=row["area_code"],
    )


async def propose(conn: asyncpg.Connection, *, request: asyncpg.Record, opportunity_id: UUID,
                  proposed_by: str, rules: ParticipationRules,
                  ranked: tuple[Seeker, Plan, Ranked] | None = None) -> asyncpg.Record:
    """Propose an opportunity for a (locked) request; it must meet every hard constraint now."""
    if request["status"] in ("placed", "closed"):
        raise Conflict(f"the request is {request['status']}", slug="request-not-open")
    if ranked is None:
        s, p, found = await suggestions(conn, request, rules, limit=1, only=opportunity_id)
        if not found:
            opportunity = await opportunity_store.get(conn, opportunity_id)
            if opportunity is None or opportunity["status"] == "draft":
                raise InvalidInput("opportunity_id", "no such opportunity")
            failed = unmet(s, p, _candidate(opportunity))
            raise InvalidInput("opportunity_id", f"does not fit the request now: {', '.join(failed)}",
                               unmet=failed)
        ranked = (s, p, found[0])
    s, p, r = ranked
    match = await conn.fetchrow(
        """INSERT INTO matches (id, request_id, opportunity_id, status, proposed_by, score, parts, reasons,
                                distance_km, rules_version)
           VALUES ($1, $2, $3, 'proposed', $4, $5, $6, $7, $8, $9)
           ON CONFLICT (request_id, opportunity_id) WHERE status = 'proposed' DO NOTHING
           RETURNING *""",
        uuid.uuid4(), request["id"], opportunity_id, proposed_by, r.score, parts_json(r.parts, rules.weights),
        reasons_json(s, p, r), r.distance_km, rules.version,
    )
    if match is None:
        raise Conflict("this opportunity is already proposed for the request", slug="already-proposed")
    if request["status"] == "waiting":
        await gaps.resolve(conn, request_id=request["id"], resolution="matched", opportunity_id=opportunity_id)
    if request["status"] in ("open", "waiting"):
        await request_store.update(conn, request["id"], {"status": "proposed"})
    await outbox.enqueue(conn, MatchProposed(
        match_id=match["id"], request_id=request["id"], case_id=request["case_id"],
        opportunity_id=opportunity_id, kind=r.candidate.kind, score=r.score,
    ))
    return match


async def propose_for_waiting(conn: asyncpg.Connection, opportunity_id: UUID, rules: ParticipationRules) -> int:
    """An opportunity opened or changed: propose it to every waiting request it now fits,
    oldest request first. Proposals reserve nothing; the first acceptance takes the place."""
    proposed = 0
    for request in await request_store.waiting_within_reach(conn, opportunity_id):
        s, p, found = await suggestions(conn, request, rules, limit=1, only=opportunity_id)
        if found:
            await propose(conn, request=request, opportunity_id=opportunity_id, proposed_by=SYSTEM,
                          rules=rules, ranked=(s, p, found[0]))
            proposed += 1
    return proposed


async def visible_match(conn: asyncpg.Connection, principal: Principal, rules: ParticipationRules,
                        match_id: UUID, *, lock: bool = False) -> tuple[asyncpg.Record, asyncpg.Record]:
    """(match, request), or 404 when the caller may not see the request."""
    match = await conn.fetchrow(f"SELECT * FROM matches WHERE id = $1{' FOR UPDATE' if lock else ''}", match_id)
    if match is None:
        raise NotFound("no such match")
    try:
        request = await requests.visible(conn, principal, rules, match["request_id"], lock=lock)
    except NotFound:
        raise NotFound("no such match") from None
    return match, request


async def accept(conn: asyncpg.Connection, *, principal: Principal, rules: ParticipationRules,
                 match_id: UUID, started_on: date) -> asyncpg.Record:
    """The person said yes: take a place (never beyond capacity) and start the placement."""
    from kasane_participation.placements import service as placements  # placements read matches

    match, request = await visible_match(conn, principal, rules, match_id, lock=True)
    if match["status"] != "proposed":
        raise Conflict(f"the match is {match['status']}", slug="match-not-proposed")
    if request["status"] in ("placed", "closed"):
        raise Conflict(f"the request is {request['status']}", slug="request-not-open")
    after = await opportunity_store.take_seat(conn, match["opportunity_id"])
    if after is None:
        raise Conflict("the opportunity has no free place left (or is not open)", slug="no-free-place")
    await opportunities.announce(conn, {**after, "status": "open", "published": True}, after, rules)
    await conn.execute(
        "UPDATE matches SET status = 'accepted', decided_at = now(), decided_by = $2 WHERE id = $1",
        match_id, principal.agency_id)
    await conn.execute(
        """UPDATE matches SET status = 'withdrawn', decided_at = now(), decided_by = $2
            WHERE request_id = $1 AND status = 'proposed'""", request["id"], principal.agency_id)
    request = await request_store.update(conn, request["id"], {"status": "placed"})
    return await placements.start(conn, match=match, request=request, opportunity=after,
                                  started_on=started_on, rules=rules)


async def decline(conn: asyncpg.Connection, *, principal: Principal, rules: ParticipationRules,
                  match_id: UUID, reason_code: str) -> asyncpg.Record:
    """The person (or the host) said no; the request is open again when nothing else is proposed."""
    match, request = await visible_match(conn, principal, rules, match_id, lock=True)
    if match["status"] != "proposed":
        raise Conflict(f"the match is {match['status']}", slug="match-not-proposed")
    match = await conn.fetchrow(
        """UPDATE matches SET status = 'declined', decline_reason = $2, decided_at = now(), decided_by = $3
            WHERE id = $1 RETURNING *""", match_id, reason_code, principal.agency_id)
    live = await conn.fetchval(
        "SELECT count(*) FROM matches WHERE request_id = $1 AND status = 'proposed'", request["id"])
    if request["status"] == "proposed" and not live:
        await request_store.update(conn, request["id"], {"status": "open"})
    return match


def match_read(row: Mapping[str, Any]) -> MatchRead:
    return MatchRead(
        id=row["id"], request_id=row["request_id"], opportunity_id=row["opportunity_id"], status=row["status"],
        proposed_by=row["proposed_by"], score=row["score"], distance_km=row["distance_km"],
        parts={k: ScorePart(**v) for k, v in row["parts"].items()}, reasons=row["reasons"],
        rules_version=row["rules_version"], decline_reason=row["decline_reason"],
        proposed_at=row["proposed_at"], decided_at=row["decided_at"],
    )
