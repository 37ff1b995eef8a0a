"""The inbound topic ``kasane.partner.consultations.v1``: consultations that agencies'
partner systems post as events instead of HTTP.

``ce_source`` names the partner agency (its ``event_source`` in the municipality profile);
intake applies the same validation, never-refuse rule and idempotency by
(agency, external_id) as ``POST /v1/consultations``.

Kafka carries no personal data, inbound topics included: a partner event says that a
consultation happened, through which channel, about which concerns, where and for which
age band; names, contact details and the free-text summary go through the HTTP API,
where they are authorised and audited. An event carrying such fields is refused to the
dead-letter topic.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import Field

from kasane_shared.contracts.codes import AgeBand, AreaCode
from kasane_shared.events.base import Event
from kasane_shared.events.streams import PARTNER_CONSULTATIONS


class PartnerConsultationSubmitted(Event, type="kasane.partner.consultation.submitted.v1",
                                   stream=PARTNER_CONSULTATIONS, key="external_id",
                                   aggregate="consultation"):
    external_id: str = Field(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")
    received_at: datetime
    channel: str
    consulted_by: str
    concern_codes: list[str] = []
    area_code: AreaCode | None = None
    age_band: AgeBand | None = None
    household_id: UUID | None = None  # when the partner already knows Kasane's ids
    person_id: UUID | None = None
