"""Consultations posted as events on ``kasane.partner.consultations.v1``.

The same validation, never-refuse rule and idempotency by (agency, external id) as
``POST /v1/consultations``. The sender is the agency whose ``event_source`` (or
``urn:kasane:agency:<id>``) is the event's ``ce_source``; any other sender, and any event
that fails validation, is rejected to the dead-letter topic with the reason (field
names and codes, never values) in its headers, and the partition moves on.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from kasane_shared.auth.tokens import Principal
from kasane_shared.contracts.partner import PartnerConsultationSubmitted
from kasane_shared.events.consumer import EventContext, Handler, Rejected
from kasane_shared.http.problems import Problem
from kasane_shared.logs import describe_error
from kasane_shared.profile import MunicipalityProfile
from pydantic import ValidationError

from kasane_intake.authz import Viewer
from kasane_intake.consultations.models import ConsultationCreate
from kasane_intake.consultations.service import accept_consultation, check_areas
from kasane_intake.mynumber import find_my_number
from kasane_intake.rules import IntakeRules


def partner_consultation_handler(profile: MunicipalityProfile, rules: IntakeRules) -> Handler:
    """The handler of PartnerConsultationSubmitted for this profile and rules."""

    async def handle(conn: asyncpg.Connection, event: PartnerConsultationSubmitted, ctx: EventContext) -> None:
        agency = profile.agency_by_source(ctx.source)
        if agency is None:
            raise Rejected("ce_source is not an agency of the municipality profile")
        field = find_my_number(event.model_dump(mode="python"))
        if field is not None:
            raise Rejected(f"{field}: looks like a My Number (個人番号)")
        data: dict[str, Any] = {
            "channel": event.channel, "consulted_by": event.consulted_by, "received_at": event.received_at,
            "external_id": event.external_id, "concern_codes": event.concern_codes,
            "area_code": event.area_code, "household_id": event.household_id,
            "members": [{"person_id": event.person_id, "subject": True}] if event.person_id else [],
        }
        try:
            body = ConsultationCreate.model_validate(data)
            check_areas(body, profile)
        except ValidationError as exc:
            raise Rejected(describe_error(exc)) from None
        except Problem as exc:
            raise Rejected(str(exc)) from None
        viewer = Viewer(Principal(agency.id, f"partner-system:{agency.id}"), rules, profile, purpose="partner_event")
        try:
            await accept_consultation(conn, viewer=viewer, body=body, via="partner_event", age_band=event.age_band)
        except Problem as exc:
            # e.g. a household or person id the agency may not use: nothing of it was stored
            raise Rejected(str(exc)) from None

    return handle
