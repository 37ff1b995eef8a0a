"""Referring consultations on and moving referrals through their statuses."""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg
from kasane_shared import audit, calendar
from kasane_shared.contracts.codes import ReferralStatus, ReferralTarget
from kasane_shared.contracts.intake import ConsultationReferred, OutreachRequested, ReferralStatusChanged
from kasane_shared.events import outbox
from kasane_shared.http.problems import Conflict, Forbidden, InvalidInput

from kasane_intake.authz import Viewer, identity_ids
from kasane_intake.persons import store as persons
from kasane_intake.referrals import store
from kasane_intake.referrals.models import ReferralCreate
from kasane_intake.referrals.statuses import (
    BOUNCED_TOO_OFTEN,
    OPEN,
    Party,
    TransitionError,
    bounce_flag,
    check_transition,
)
from kasane_intake.rules import ReferralRules
from kasane_intake.screening import store as screenings


def handler_for(target: ReferralTarget, to_agency_id: str | None, rules: ReferralRules) -> str:
    """The agency that answers a referral: the desks for collaboration and outreach."""
    if target == ReferralTarget.collaboration:
        return rules.collaboration_desk
    if target == ReferralTarget.outreach:
        return rules.outreach_desk
    assert to_agency_id is not None
    return to_agency_id


async def consent_to_share(conn: asyncpg.Connection, consultation_id: uuid.UUID, today: date) -> bool:
    """Whether everyone the consultation is about consented to sharing with the whole
    collaboration (an active consent of scope collaboration on the municipality's ``today``;
    not PostgreSQL's ``current_date``, which is the server's UTC day until 09:00 in Japan)."""
    members = await conn.fetch("SELECT person_id FROM consultation_members WHERE consultation_id = $1",
                               consultation_id)
    if not members:
        return False
    for member in members:
        consented = await conn.fetchval(
            """SELECT EXISTS (SELECT 1 FROM consents
                               WHERE person_id = ANY($1) AND scope = 'collaboration' AND withdrawn_on IS NULL
                                 AND (expires_on IS NULL OR expires_on >= $2))""",
            await identity_ids(conn, member["person_id"]), today,
        )
        if not consented:
            return False
    return True


async def create_referral(
    conn: asyncpg.Connection, *, viewer: Viewer, consultation: asyncpg.Record, body: ReferralCreate,
    previous_referral_id: uuid.UUID | None = None,
) -> asyncpg.Record:
    """Refer a (locked) consultation on; enqueue ConsultationReferred, or OutreachRequested
    for outreach."""
    rules = viewer.rules.referrals
    if body.to_agency_id is not None:
        if viewer.profile.agency(body.to_agency_id) is None:
            raise InvalidInput("to_agency_id", "not an agency of the municipality profile")
        if body.to_agency_id == viewer.agency:
            raise InvalidInput("to_agency_id", "an agency cannot refer to itself")
    handler = handler_for(body.target, body.to_agency_id, rules)
    duplicate = await conn.fetchval(
        "SELECT id FROM referrals WHERE consultation_id = $1 AND target = $2 AND handler_agency_id = $3"
        " AND status = ANY($4)",
        consultation["id"], body.target.value, handler, [s.value for s in OPEN],
    )
    if duplicate is not None:
        raise Conflict("an open referral with this target already exists", referral_id=str(duplicate))
    rejected, _taken = await store.counts(conn, consultation["id"])
    flagged = rejected > rules.max_bounces
    row = await store.insert(
        conn, consultation_id=consultation["id"], from_agency_id=viewer.agency, target=body.target.value,
        to_agency_id=body.to_agency_id, handler_agency_id=handler, reason_code=body.reason_code,
        reason=body.reason, bounce_count=rejected, flagged=flagged,
        flag_reason=BOUNCED_TOO_OFTEN if flagged else None, previous_referral_id=previous_referral_id,
    )
    await conn.execute("UPDATE consultations SET status = 'referred' WHERE id = $1 AND status = 'open'",
                       consultation["id"])
    common = {"household_id": consultation["household_id"], "person_id": consultation["person_id"],
              "area_code": consultation["area_code"]}
    if body.target == ReferralTarget.outreach:
        age_band = consultation["age_band"]
        if consultation["person_id"] is not None:
            person = await persons.get_person(conn, consultation["person_id"])
            age_band = persons.person_age_band(person, calendar.day_of(consultation["received_at"])) or age_band
        await outbox.enqueue(conn, OutreachRequested(
            referral_id=row["id"], consultation_id=consultation["id"], from_agency_id=viewer.agency,
            reason_code=body.reason_code, age_band=age_band,
            concern_codes=list(consultation["concern_codes"]), **common,
        ))
    else:
        latest = await screenings.latest_for_consultation(conn, consultation["id"])
        await outbox.enqueue(conn, ConsultationReferred(
            referral_id=row["id"], consultation_id=consultation["id"], from_agency_id=viewer.agency,
            target=body.target, to_agency_id=body.to_agency_id, reason_code=body.reason_code,
            concern_codes=list(consultation["concern_codes"]),
            screening=latest.summary() if latest else None,
            consent_to_share=await consent_to_share(
                conn, consultation["id"], viewer.profile.municipality.today()),
            **common,
        ))
    await audit.record(conn, viewer.principal, "create", "referral", row["id"], purpose=viewer.purpose)
    return row


def parties_of(agency_id: str, referral: asyncpg.Record) -> set[Party]:
    parties = set()
    if agency_id == referral["handler_agency_id"]:
        parties.add(Party.handler)
    if agency_id == referral["from_agency_id"]:
        parties.add(Party.referrer)
    return parties


async def change_status(
    conn: asyncpg.Connection, *, agency_id: str, rules: ReferralRules, consultation: asyncpg.Record,
    referral: asyncpg.Record, wanted: ReferralStatus, reason_code: str | None, reason: str | None,
    parties: set[Party], forwarding: bool = False, case_id: uuid.UUID | None = None,
) -> asyncpg.Record:
    """Move a (locked) referral of a (locked) consultation; enqueue ReferralStatusChanged,
    flagged when it bounced more than the profile allows or nobody took it."""
    try:
        check_transition(ReferralStatus(referral["status"]), wanted, parties=parties)
    except TransitionError as exc:
        if exc.kind == "party":
            raise Forbidden(str(exc)) from None
        raise Conflict(str(exc), status_now=referral["status"]) from None
    row = await store.set_status(conn, referral_id=referral["id"], status=wanted.value, by_agency_id=agency_id,
                                 reason_code=reason_code, reason=reason, case_id=case_id)
    bounce_count = row["bounce_count"]
    flag_reason = None
    if wanted == ReferralStatus.rejected:
        rejected, taken = await store.counts(conn, consultation["id"])
        # a forward opens the next referral right after this rejection
        flag = bounce_flag(rejected=rejected, taken=taken + (1 if forwarding else 0), max_bounces=rules.max_bounces)
        bounce_count = rejected
        if flag.flagged:
            flag_reason = flag.reason
            row = await conn.fetchrow(
                "UPDATE referrals SET flagged = true, flag_reason = $2, bounce_count = $3 WHERE id = $1 RETURNING *",
                referral["id"], flag.reason, rejected)
        else:
            row = await conn.fetchrow("UPDATE referrals SET bounce_count = $2 WHERE id = $1 RETURNING *",
                                      referral["id"], rejected)
    await outbox.enqueue(conn, ReferralStatusChanged(
        referral_id=row["id"], consultation_id=consultation["id"], status=wanted, by_agency_id=agency_id,
        reason_code=reason_code, bounce_count=bounce_count, flagged=flag_reason is not None or row["flagged"],
        household_id=consultation["household_id"],
    ))
    return row
