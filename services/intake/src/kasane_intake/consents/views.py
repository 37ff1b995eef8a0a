"""Routes for consent (同意): record it, withdraw it, read it.

Other services learn consent only from ConsentGranted / ConsentWithdrawn and rely on it
(coordination's 重層的支援会議 handles only cases whose consent allows sharing).
"""

from __future__ import annotations

import uuid

import asyncpg
from fastapi import APIRouter
from kasane_shared import audit
from kasane_shared.contracts.codes import ConsentMethod, ConsentScope
from kasane_shared.contracts.intake import ConsentGranted, ConsentWithdrawn
from kasane_shared.db import Conn
from kasane_shared.events import outbox
from kasane_shared.http.problems import Conflict, InvalidInput, NotFound
from kasane_shared.profile import MunicipalityProfile

from kasane_intake.authz import (
    Access,
    ConsentWriter,
    PersonReader,
    Viewer,
    audit_read,
    person_access,
    refuse_under_break_glass,
)
from kasane_intake.consents.models import ConsentCreate, ConsentWithdraw
from kasane_intake.consultations.service import reject_my_number
from kasane_intake.households.store import primary_household
from kasane_intake.persons import store as persons
from kasane_intake.persons.models import ConsentRead

router = APIRouter(tags=["consent"])


def _check(body: ConsentCreate, profile: MunicipalityProfile) -> None:
    if body.scope == ConsentScope.named_agencies and not body.agency_ids:
        raise InvalidInput("agency_ids", "scope named_agencies needs at least one agency")
    if body.scope == ConsentScope.collaboration and body.agency_ids:
        raise InvalidInput("agency_ids", "scope collaboration shares with the whole collaboration: name none")
    for i, agency in enumerate(body.agency_ids):
        if profile.agency(agency) is None:
            raise InvalidInput(f"agency_ids.{i}", "not an agency of the municipality profile")
    if body.expires_on is not None and body.expires_on <= body.granted_on:
        raise InvalidInput("expires_on", "must be after granted_on")
    if body.method == ConsentMethod.proxy and body.proxy_relationship is None:
        raise InvalidInput("proxy_relationship", "say who consented for the person")
    if body.method != ConsentMethod.proxy and body.proxy_relationship is not None:
        raise InvalidInput("proxy_relationship", "only for method proxy")


@router.post("/v1/consents", status_code=201, response_model=ConsentRead,
             summary="Record a person's consent to share with named agencies or the whole collaboration")
async def grant_consent(body: ConsentCreate, conn: Conn, viewer: ConsentWriter) -> ConsentRead:
    reject_my_number(body)
    _check(body, viewer.profile)
    person = await persons.get_person(conn, body.person_id, lock=True)  # ConsentGranted is keyed by person
    access = await person_access(conn, viewer, person) if person else None
    if person is None or access is None or not access.full:
        raise InvalidInput("person_id", "no such person")
    refuse_under_break_glass(access, "recording a consent")
    person_id = person["merged_into"] or person["id"]  # consent belongs to the surviving record
    if person_id != person["id"]:
        await persons.get_person(conn, person_id, lock=True)
    row = await conn.fetchrow(
        """INSERT INTO consents (id, person_id, scope, agency_ids, method, proxy_relationship, granted_on,
                                 expires_on, note, recorded_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *""",
        uuid.uuid4(), person_id, body.scope.value, sorted(set(body.agency_ids)), body.method.value,
        body.proxy_relationship, body.granted_on, body.expires_on, body.note, viewer.agency,
    )
    await outbox.enqueue(conn, ConsentGranted(
        consent_id=row["id"], person_id=person_id, household_id=await primary_household(conn, [person_id]),
        scope=body.scope, agency_ids=list(row["agency_ids"]), method=body.method, granted_on=body.granted_on,
        expires_on=body.expires_on,
    ))
    await audit.record(conn, viewer.principal, "create", "consent", row["id"],
                       purpose=access.break_glass or viewer.purpose, break_glass=access.break_glass is not None)
    return persons.consent_read(row)


async def _readable_consent(conn: asyncpg.Connection, viewer: Viewer, consent_id: uuid.UUID, *,
                            lock: bool = False) -> tuple[asyncpg.Record, Access]:
    row = await conn.fetchrow(f"SELECT * FROM consents WHERE id = $1{' FOR UPDATE' if lock else ''}", consent_id)
    person = await persons.get_person(conn, row["person_id"], lock=lock) if row else None
    access = await person_access(conn, viewer, person) if person else None
    if row is None or access is None or not access.full:
        raise NotFound("no such consent")
    return row, access


@router.post("/v1/consents/{consent_id}/withdraw", response_model=ConsentRead,
             summary="Record that the person withdrew their consent")
async def withdraw_consent(consent_id: uuid.UUID, body: ConsentWithdraw, conn: Conn,
                           viewer: ConsentWriter) -> ConsentRead:
    reject_my_number(body)
    row, access = await _readable_consent(conn, viewer, consent_id, lock=True)
    if row["withdrawn_on"] is not None:
        raise Conflict("this consent was already withdrawn")
    if body.withdrawn_on < row["granted_on"]:
        raise InvalidInput("withdrawn_on", "is before the consent was granted")
    row = await conn.fetchrow(
        """UPDATE consents SET withdrawn_on = $2, withdrawn_by = $3, withdrawal_reason = $4
            WHERE id = $1 RETURNING *""",
        consent_id, body.withdrawn_on, viewer.agency, body.reason)
    await outbox.enqueue(conn, ConsentWithdrawn(consent_id=consent_id, person_id=row["person_id"],
                                                withdrawn_on=body.withdrawn_on))
    await audit.record(conn, viewer.principal, "withdraw", "consent", consent_id,
                       purpose=access.break_glass or viewer.purpose, break_glass=access.break_glass is not None)
    return persons.consent_read(row)


@router.get("/v1/consents/{consent_id}", response_model=ConsentRead, summary="One consent record")
async def get_consent(consent_id: uuid.UUID, conn: Conn, viewer: PersonReader) -> ConsentRead:
    row, access = await _readable_consent(conn, viewer, consent_id)
    await audit_read(conn, viewer, "consent", [consent_id], access)
    return persons.consent_read(row)
