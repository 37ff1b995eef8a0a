"""SQL for persons, match proposals and merges."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date
from typing import Any

import asyncpg

from kasane_intake.calendar import japan_today
from kasane_intake.persons.matching import (
    Identity,
    full_kana,
    match_reasons,
    normalise_address,
)
from kasane_intake.persons.models import (
    Address,
    ConsentRead,
    HouseholdLink,
    MatchProposalRead,
    PersonCreate,
    PersonRead,
)
from kasane_intake.screening.screening import age_on

_PERSON_COLUMNS = (
    "family_name", "given_name", "family_name_kana", "given_name_kana", "birth_date", "age_estimate",
    "age_estimated_on", "sex", "prefecture", "municipality", "area_code", "street", "phone",
    "preferred_language", "contact_notes",
)
MAX_ADDRESS_CANDIDATES = 50


def _columns(data: PersonCreate, today: date) -> dict[str, Any]:
    address = data.address or Address()
    return {
        "family_name": data.family_name, "given_name": data.given_name,
        "family_name_kana": data.family_name_kana, "given_name_kana": data.given_name_kana,
        "birth_date": data.birth_date, "age_estimate": data.age_estimate,
        "age_estimated_on": today if data.age_estimate is not None else None,
        "sex": data.sex.value if data.sex else None,
        "prefecture": address.prefecture, "municipality": address.municipality,
        "area_code": address.area_code, "street": address.street,
        "phone": data.phone, "preferred_language": data.preferred_language,
        "contact_notes": data.contact_notes,
    }


def _keys(values: dict[str, Any]) -> tuple[str | None, str | None]:
    return (full_kana(values["family_name_kana"], values["given_name_kana"]),
            normalise_address(values["municipality"], values["street"]))


_INSERT_PERSON = f"""INSERT INTO persons (id, {", ".join(_PERSON_COLUMNS)}, kana_key, address_key, created_by)
    VALUES ($1, {", ".join(f"${i + 2}" for i in range(len(_PERSON_COLUMNS)))},
            ${len(_PERSON_COLUMNS) + 2}, ${len(_PERSON_COLUMNS) + 3}, ${len(_PERSON_COLUMNS) + 4})
    RETURNING *"""


async def insert_person(conn: asyncpg.Connection, *, data: PersonCreate, agency_id: str,
                        today: date) -> asyncpg.Record:
    """Store a newly reported person; return its row."""
    values = _columns(data, today)
    kana_key, address_key = _keys(values)
    return await conn.fetchrow(_INSERT_PERSON, uuid.uuid4(), *(values[c] for c in _PERSON_COLUMNS), kana_key,
                               address_key, agency_id)


async def update_person(conn: asyncpg.Connection, *, person_id: uuid.UUID, changes: dict[str, Any],
                        today: date) -> None:
    """Apply the fields present in ``changes`` (a PersonUpdate dumped with exclude_unset);
    the caller has locked the row."""
    row = await conn.fetchrow("SELECT * FROM persons WHERE id = $1", person_id)
    values = {c: row[c] for c in _PERSON_COLUMNS}
    for key, value in changes.items():
        if key == "address":
            for part in ("prefecture", "municipality", "area_code", "street"):
                values[part] = (value or {}).get(part)
        else:
            values[key] = value.value if hasattr(value, "value") else value
    if "age_estimate" in changes:
        values["age_estimated_on"] = today if changes["age_estimate"] is not None else None
    kana_key, address_key = _keys(values)
    sets = ", ".join(f"{c} = ${i + 2}" for i, c in enumerate(_PERSON_COLUMNS))
    n = len(_PERSON_COLUMNS)
    await conn.execute(
        f"""UPDATE persons SET {sets}, kana_key = ${n + 2}, address_key = ${n + 3},
                   updated_at = now(), version = version + 1 WHERE id = $1""",
        person_id, *(values[c] for c in _PERSON_COLUMNS), kana_key, address_key,
    )


async def propose_matches(conn: asyncpg.Connection, *, person: asyncpg.Record,
                          exclude: Collection[uuid.UUID] = ()) -> list[uuid.UUID]:
    """Find existing records that may be the same person as ``person`` (its row) and store
    the proposals (never merge). Returns the candidates' ids."""
    person_id = person["id"]
    new = Identity(person["kana_key"], person["birth_date"], person["address_key"])
    if not (new.kana_key and (new.birth_date or new.address_key)):
        return []
    skip = [person_id, *exclude]
    candidates = await conn.fetch(
        """(SELECT id, kana_key, birth_date, address_key FROM persons
             WHERE kana_key = $1 AND birth_date = $2 AND merged_into IS NULL AND id <> ALL($4))
           UNION
           (SELECT id, kana_key, birth_date, address_key FROM persons
             WHERE address_key = $3 AND merged_into IS NULL AND id <> ALL($4) LIMIT $5)""",
        new.kana_key, new.birth_date, new.address_key, skip, MAX_ADDRESS_CANDIDATES,
    )
    found = []
    for cand in candidates:
        reasons = match_reasons(new, Identity(cand["kana_key"], cand["birth_date"], cand["address_key"]))
        if not reasons:
            continue
        await conn.execute(
            """INSERT INTO person_match_proposals (id, person_id, candidate_id, reasons)
               VALUES ($1, $2, $3, $4)
               ON CONFLICT (person_id, candidate_id) DO UPDATE SET reasons = EXCLUDED.reasons
               WHERE person_match_proposals.status = 'proposed'""",
            uuid.uuid4(), person_id, cand["id"], reasons,
        )
        found.append(cand["id"])
    return found


async def get_person(conn: asyncpg.Connection, person_id: uuid.UUID, *, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT * FROM persons WHERE id = $1{' FOR UPDATE' if lock else ''}", person_id)


def band_of_age(age: int | None) -> str | None:
    """The five-year band of an age ("80-84", "100+"), as ``codes.age_band`` makes it."""
    if age is None:
        return None
    if age >= 100:
        return "100+"
    low = age - age % 5
    return f"{low}-{low + 4}"


def person_age(row: asyncpg.Record | dict[str, Any], on: date) -> int | None:
    return age_on(row["birth_date"], row["age_estimate"], row["age_estimated_on"], on)


def person_age_band(row: asyncpg.Record | dict[str, Any], on: date) -> str | None:
    """The five-year band events carry instead of a birth date."""
    return band_of_age(person_age(row, on))


def limited_read(row: asyncpg.Record, today: date) -> PersonRead:
    """What a case team without consent sees: the id, age band and area (not even the
    person's other households)."""
    return PersonRead(id=row["id"], access="limited", age_band=person_age_band(row, today),
                      area_code=row["area_code"], merged_into=row["merged_into"])


def full_read(row: asyncpg.Record, households: list[HouseholdLink], today: date, **extra: Any) -> PersonRead:
    address = None
    if any(row[c] for c in ("prefecture", "municipality", "area_code", "street")):
        address = Address(prefecture=row["prefecture"], municipality=row["municipality"],
                          area_code=row["area_code"], street=row["street"])
    return PersonRead(
        id=row["id"], access="full", family_name=row["family_name"], given_name=row["given_name"],
        family_name_kana=row["family_name_kana"], given_name_kana=row["given_name_kana"],
        birth_date=row["birth_date"], age_estimate=row["age_estimate"], age_band=person_age_band(row, today),
        sex=row["sex"], address=address, area_code=row["area_code"], phone=row["phone"],
        preferred_language=row["preferred_language"], contact_notes=row["contact_notes"],
        merged_into=row["merged_into"], households=households, created_by=row["created_by"],
        created_at=row["created_at"], **extra,
    )


async def household_links(conn: asyncpg.Connection, identity: list[uuid.UUID]) -> list[HouseholdLink]:
    rows = await conn.fetch(
        """SELECT DISTINCT ON (household_id) household_id, relationship, lives_together
             FROM household_members WHERE person_id = ANY($1) ORDER BY household_id, linked_at""",
        identity,
    )
    return [HouseholdLink(**dict(r)) for r in rows]


async def consents_of(conn: asyncpg.Connection, identity: list[uuid.UUID]) -> list[ConsentRead]:
    rows = await conn.fetch(
        "SELECT * FROM consents WHERE person_id = ANY($1) ORDER BY granted_on, recorded_at", identity)
    return [consent_read(r) for r in rows]


def consent_read(r: asyncpg.Record) -> ConsentRead:
    active = r["withdrawn_on"] is None and (r["expires_on"] is None or r["expires_on"] >= japan_today())
    return ConsentRead(
        id=r["id"], person_id=r["person_id"], scope=r["scope"], agency_ids=list(r["agency_ids"]),
        method=r["method"], proxy_relationship=r["proxy_relationship"], granted_on=r["granted_on"],
        expires_on=r["expires_on"], note=r["note"], recorded_by=r["recorded_by"],
        recorded_at=r["recorded_at"], withdrawn_on=r["withdrawn_on"],
        withdrawal_reason=r["withdrawal_reason"], active=active,
    )


async def proposals_for(conn: asyncpg.Connection, person_ids: Collection[uuid.UUID]) -> list[MatchProposalRead]:
    """Open proposals naming any of ``person_ids`` (as the new record or the candidate)."""
    rows = await conn.fetch(
        """SELECT id, person_id, candidate_id, reasons, status, created_at FROM person_match_proposals
            WHERE (person_id = ANY($1) OR candidate_id = ANY($1)) AND status = 'proposed'
            ORDER BY created_at""",
        list(person_ids),
    )
    return [MatchProposalRead(id=r["id"], person_id=r["person_id"], candidate_person_id=r["candidate_id"],
                              reasons=list(r["reasons"]), status=r["status"], created_at=r["created_at"])
            for r in rows]


async def merged_into_ids(conn: asyncpg.Connection, person_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await conn.fetch("SELECT id FROM persons WHERE merged_into = $1 ORDER BY id", person_id)
    return [r["id"] for r in rows]
