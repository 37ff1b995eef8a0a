"""Consent rows: what intake reported, and the consent a referral carried."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import asyncpg
from kasane_shared.contracts.codes import ConsentScope

from kasane_coordination.consent.sharing import ConsentFact


async def for_household(
    conn: asyncpg.Connection, household_id: UUID | None, person_id: UUID | None,
) -> list[ConsentFact]:
    """Consents of the household's members (by household, by the referral's person, or by a
    person intake linked to the household)."""
    if household_id is None and person_id is None:
        return []
    rows = await conn.fetch(
        """SELECT scope, agency_ids, granted_on, expires_on, withdrawn_on FROM consents c
            WHERE ($1::uuid IS NOT NULL AND c.household_id = $1)
               OR ($2::uuid IS NOT NULL AND c.person_id = $2)
               OR ($1::uuid IS NOT NULL AND c.person_id IN
                     (SELECT person_id FROM household_members WHERE household_id = $1))""",
        household_id, person_id,
    )
    return [
        ConsentFact(scope=ConsentScope(r["scope"]), agency_ids=frozenset(r["agency_ids"]),
                    granted_on=r["granted_on"], expires_on=r["expires_on"], withdrawn_on=r["withdrawn_on"])
        for r in rows
    ]


async def record_grant(
    conn: asyncpg.Connection, *, consent_id: UUID, source: str, person_id: UUID | None,
    household_id: UUID | None, scope: str, agency_ids: list[str], granted_on: date,
    expires_on: date | None = None, referral_id: UUID | None = None,
) -> bool:
    """Keep a consent once; False when it was known already."""
    return bool(await conn.fetchval(
        """INSERT INTO consents (id, source, person_id, household_id, scope, agency_ids, granted_on,
                                 expires_on, referral_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING RETURNING true""",
        consent_id, source, person_id, household_id, scope, agency_ids, granted_on, expires_on, referral_id,
    ))


async def record_referral_consent(
    conn: asyncpg.Connection, *, referral_id: UUID, person_id: UUID | None, household_id: UUID | None,
    on: date,
) -> None:
    """A referral made with the person's consent to share with the collaboration."""
    await record_grant(
        conn, consent_id=uuid4(), source="referral", person_id=person_id, household_id=household_id,
        scope=ConsentScope.collaboration.value, agency_ids=[], granted_on=on, referral_id=referral_id,
    )


async def withdraw(conn: asyncpg.Connection, *, consent_id: UUID, person_id: UUID, on: date) -> UUID | None:
    """Withdraw the consent and, to be safe, the consent the person's referrals carried;
    return the household the consent belonged to, if known."""
    rows = await conn.fetch(
        """UPDATE consents SET withdrawn_on = $3
            WHERE (id = $1 OR (source = 'referral' AND person_id = $2)) AND withdrawn_on IS NULL
        RETURNING household_id""",
        consent_id, person_id, on,
    )
    household_id = next((r["household_id"] for r in rows if r["household_id"] is not None), None)
    if household_id is None:
        household_id = await conn.fetchval(
            "SELECT household_id FROM consents WHERE person_id = $1 AND household_id IS NOT NULL LIMIT 1",
            person_id,
        ) or await conn.fetchval(
            "SELECT household_id FROM household_members WHERE person_id = $1 LIMIT 1", person_id,
        )
    return household_id
