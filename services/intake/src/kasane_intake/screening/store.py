"""Gathering what screening needs from the database, and keeping its results."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import asyncpg
from kasane_shared.contracts.intake import ConsultationScreened
from kasane_shared.events import outbox

from kasane_intake.rules import ScreeningRules
from kasane_intake.screening.models import ScreeningRead
from kasane_intake.screening.screening import HouseholdFacts, MemberFacts, age_on, screen


async def household_facts(
    conn: asyncpg.Connection, *, household_id: uuid.UUID | None, consultation_id: uuid.UUID,
    on: date, rules: ScreeningRules,
) -> HouseholdFacts:
    """The household as screening sees it on ``on``: members as identities (merged
    records count once), their concerns and situation as reported within the look-back
    window, the consultations' concerns and the agencies that know the household."""
    since = on - timedelta(days=rules.lookback_days)
    if household_id is not None:
        members = await conn.fetch(
            """SELECT coalesce(p.merged_into, p.id) AS identity, hm.relationship, hm.lives_together,
                      p.birth_date, p.age_estimate, p.age_estimated_on
                 FROM household_members hm JOIN persons p ON p.id = hm.person_id
                WHERE hm.household_id = $1 ORDER BY hm.linked_at""",
            household_id,
        )
        consultations = await conn.fetch(
            "SELECT agency_id, concern_codes FROM consultations WHERE household_id = $1 AND received_at >= $2",
            household_id, since,
        )
        team = await conn.fetch(
            "SELECT DISTINCT agency_id FROM open_case_team WHERE household_id = $1", household_id)
    else:
        members = await conn.fetch(
            """SELECT coalesce(p.merged_into, p.id) AS identity, 'other' AS relationship, true AS lives_together,
                      p.birth_date, p.age_estimate, p.age_estimated_on
                 FROM consultation_members cm JOIN persons p ON p.id = cm.person_id
                WHERE cm.consultation_id = $1""",
            consultation_id,
        )
        consultations = await conn.fetch(
            "SELECT agency_id, concern_codes FROM consultations WHERE id = $1", consultation_id)
        team = []
    identities = list(dict.fromkeys(r["identity"] for r in members))
    reports = await conn.fetch(
        """SELECT coalesce(p.merged_into, p.id) AS identity, cm.concern_codes, cm.withdrawn_years,
                  cm.no_outside_contact
             FROM consultation_members cm
             JOIN consultations c ON c.id = cm.consultation_id
             JOIN persons p ON p.id = cm.person_id
            WHERE coalesce(p.merged_into, p.id) = ANY($1) AND (c.received_at >= $2 OR c.id = $3)
            ORDER BY c.received_at, c.id""",
        identities, since, consultation_id,
    )
    facts: list[MemberFacts] = []
    for identity in identities:
        rows = [r for r in members if r["identity"] == identity]
        age = next((a for r in rows if (a := age_on(r["birth_date"], r["age_estimate"],
                                                     r["age_estimated_on"], on)) is not None), None)
        concerns: set[str] = set()
        withdrawn: int | None = None
        no_contact = False
        for report in (r for r in reports if r["identity"] == identity):
            concerns.update(report["concern_codes"])
            if report["withdrawn_years"] is not None:
                withdrawn = max(withdrawn or 0, report["withdrawn_years"])
            no_contact = report["no_outside_contact"]  # the latest report says
        facts.append(MemberFacts(
            key=str(identity), age=age, relationship=rows[0]["relationship"],
            lives_together=any(r["lives_together"] for r in rows), concerns=frozenset(concerns),
            withdrawn_years=withdrawn, no_outside_contact=no_contact,
        ))
    return HouseholdFacts(
        members=facts,
        concerns=frozenset(code for c in consultations for code in c["concern_codes"]),
        agencies=frozenset([c["agency_id"] for c in consultations] + [t["agency_id"] for t in team]),
    )


async def screen_consultation(
    conn: asyncpg.Connection, *, consultation: asyncpg.Record, rules: ScreeningRules, on: date,
    facts: HouseholdFacts | None = None,
) -> ScreeningRead:
    """Screen the consultation's whole household (``facts`` when the caller already has
    them all), keep the result and enqueue ConsultationScreened (the consultation's row
    is already written in this transaction)."""
    if facts is None:
        facts = await household_facts(conn, household_id=consultation["household_id"],
                                      consultation_id=consultation["id"], on=on, rules=rules)
    result = screen(facts, rules)
    row = await conn.fetchrow(
        """INSERT INTO screenings (id, consultation_id, household_id, score, fields_involved,
                                   members_with_concerns, patterns, reasons, recommendation, rules_version)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *""",
        uuid.uuid4(), consultation["id"], consultation["household_id"], result.score, result.fields_involved,
        result.members_with_concerns, result.patterns, [r.as_dict() for r in result.reasons],
        result.recommendation, result.rules_version,
    )
    read = screening_read(row)
    await outbox.enqueue(conn, ConsultationScreened(
        consultation_id=consultation["id"], household_id=consultation["household_id"],
        area_code=consultation["area_code"], screening=read.summary(),
    ))
    return read


def screening_read(row: asyncpg.Record) -> ScreeningRead:
    return ScreeningRead(
        id=row["id"], consultation_id=row["consultation_id"], household_id=row["household_id"],
        score=row["score"], fields_involved=list(row["fields_involved"]),
        members_with_concerns=row["members_with_concerns"], patterns=list(row["patterns"]),
        reasons=row["reasons"], recommendation=row["recommendation"], rules_version=row["rules_version"],
        screened_at=row["screened_at"],
    )


async def latest_for_consultation(conn: asyncpg.Connection, consultation_id: uuid.UUID) -> ScreeningRead | None:
    row = await conn.fetchrow(
        "SELECT * FROM screenings WHERE consultation_id = $1 ORDER BY screened_at DESC LIMIT 1", consultation_id)
    return screening_read(row) if row else None


async def latest_for_household(conn: asyncpg.Connection, household_id: uuid.UUID) -> ScreeningRead | None:
    row = await conn.fetchrow(
        "SELECT * FROM screenings WHERE household_id = $1 ORDER BY screened_at DESC LIMIT 1", household_id)
    return screening_read(row) if row else None
