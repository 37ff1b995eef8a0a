"""Consultations posted as events on kasane.partner.consultations.v1: the same rules as the
POST, idempotent by (agency, external id) across both, and bad events dead-lettered
without blocking the partition."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from kasane_shared.contracts.partner import PartnerConsultationSubmitted
from kasane_shared.events.envelope import Envelope, encode
from kasane_shared.events.streams import PARTNER_CONSULTATIONS

from tests.intake.conftest import auth, household_8050
from tests.support.kafka import eventually, header, read_topic
from tests.support.service_env import ServiceEnv
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration

KITA = "sk-houkatsu-kita"
SOURCE = f"urn:kasane:agency:{KITA}"  # the profile gives no event_source, so this is the agency's source


def record(data: dict[str, Any], *, source: str = SOURCE, key: str = "partition-key",
           type_: str = PartnerConsultationSubmitted.event_type) -> tuple[bytes | None, bytes, list]:
    return encode(Envelope(id=str(uuid.uuid4()), source=source, type=type_, time=datetime.now(UTC),
                           data=data, key=key))


def submitted(external_id: str, **extra: Any) -> dict[str, Any]:
    return {"external_id": external_id, "received_at": datetime.now(UTC).isoformat(), "channel": "phone",
            "consulted_by": "family", "concern_codes": ["elderly_care", "caregiving_burden", "unheard_of"],
            "area_code": "SK-N-01", "age_band": "80-84", **extra}


async def consultation_by_external(svc: ServiceEnv, external_id: str) -> list:
    return await svc.pool.fetch("SELECT * FROM consultations WHERE external_id = $1", external_id)


async def test_a_partner_event_becomes_a_consultation_and_a_post_with_its_id_is_the_same(
    stack: TestStack, svc: ServiceEnv
) -> None:
    external = f"KITA-{uuid.uuid4().hex[:8]}"
    async with svc.worker():
        await svc.produce(PARTNER_CONSULTATIONS.name, *record(submitted(external)))
        rows = await eventually(lambda: consultation_by_external(svc, external), lambda r: len(r) == 1,
                                timeout=40, what="the partner event applied")
        # the partner sends it again under a new event id: still one consultation
        await svc.produce(PARTNER_CONSULTATIONS.name, *record(submitted(external, channel="walk_in")))
        marker = f"MARK-{uuid.uuid4().hex[:8]}"
        await svc.produce(PARTNER_CONSULTATIONS.name, *record(submitted(marker)))
        await eventually(lambda: consultation_by_external(svc, marker), lambda r: len(r) == 1, timeout=40,
                         what="the marker after the duplicate applied")
    [row] = await consultation_by_external(svc, external)
    assert row["id"] == rows[0]["id"] and row["channel"] == "phone"
    assert (row["agency_id"], row["via"], row["age_band"], row["area_code"]) == (
        KITA, "partner_event", "80-84", "SK-N-01")
    assert list(row["unknown_concern_codes"]) == ["unheard_of"]
    types = [r["type"] for r in await svc.pool.fetch(
        "SELECT type FROM outbox WHERE aggregate_id = $1 ORDER BY seq", str(row["id"]))]
    assert types == ["kasane.intake.consultation.received.v1", "kasane.intake.consultation.screened.v1"]
    # the desk's own system posts the same consultation over HTTP: the first one comes back
    r = await svc.client.post("/v1/consultations", json={**household_8050(), "external_id": external},
                              headers=auth(stack, KITA))
    assert r.status_code == 200 and r.json()["id"] == str(row["id"]) and r.json()["via"] == "partner_event"
    assert len(await consultation_by_external(svc, external)) == 1


async def test_a_post_first_then_the_partner_event_adds_nothing(stack: TestStack, svc: ServiceEnv) -> None:
    external = f"POST-{uuid.uuid4().hex[:8]}"
    posted = await svc.client.post("/v1/consultations", json={**household_8050(), "external_id": external},
                                   headers=auth(stack, KITA))
    assert posted.status_code == 201
    outbox_before = await svc.pool.fetchval("SELECT count(*) FROM outbox")
    marker = f"MARK-{uuid.uuid4().hex[:8]}"
    async with svc.worker(relay=False):
        await svc.produce(PARTNER_CONSULTATIONS.name, *record(submitted(external)))
        await svc.produce(PARTNER_CONSULTATIONS.name, *record(submitted(marker)))
        await eventually(lambda: consultation_by_external(svc, marker), lambda r: len(r) == 1, timeout=40,
                         what="the marker applied")
    assert [r["id"] for r in await consultation_by_external(svc, external)] == [uuid.UUID(posted.json()["id"])]
    assert await svc.pool.fetchval("SELECT count(*) FROM outbox") == outbox_before + 2  # the marker's two events


async def test_a_partner_event_about_a_known_household(stack: TestStack, svc: ServiceEnv) -> None:
    first = (await svc.client.post("/v1/consultations", json=household_8050(), headers=auth(stack, KITA))).json()
    external = f"HH-{uuid.uuid4().hex[:8]}"
    async with svc.worker(relay=False):
        await svc.produce(PARTNER_CONSULTATIONS.name, *record(submitted(
            external, household_id=first["household_id"], person_id=first["members"][1]["person_id"],
            concern_codes=["employment"])))
        [row] = await eventually(lambda: consultation_by_external(svc, external), lambda r: len(r) == 1,
                                 timeout=40, what="applied")
    assert str(row["household_id"]) == first["household_id"]
    assert str(row["person_id"]) == first["members"][1]["person_id"]
    screened = await svc.pool.fetchval("SELECT patterns FROM screenings WHERE consultation_id = $1", row["id"])
    assert "8050" in screened


async def test_bad_partner_events_go_to_the_dead_letter_topic_and_never_block(
    stack: TestStack, svc: ServiceEnv
) -> None:
    stranger_household = str(uuid.uuid4())
    bad = {
        "unknown source": record(submitted("B-1"), source="urn:kasane:agency:sk-not-here"),
        "unknown channel": record(submitted("B-2", channel="carrier_pigeon")),
        "my number": record(submitted("123456789018")),
        "future": record(submitted("B-4", received_at=(datetime.now(UTC) + timedelta(days=2)).isoformat())),
        "personal field": record(submitted("B-5", name="山田ハナ")),
        "unknown area": record(submitted("B-6", area_code="NOWHERE")),
        "unseen household": record(submitted("B-7", household_id=stranger_household)),
        "unknown type": record({"x": 1}, type_="kasane.partner.consultation.whatever.v1"),
    }
    good = f"GOOD-{uuid.uuid4().hex[:8]}"
    async with svc.worker(relay=False):
        for key, value, headers in bad.values():  # one key: one partition, in this order
            await svc.produce(PARTNER_CONSULTATIONS.name, key, value, headers)
        await svc.produce(PARTNER_CONSULTATIONS.name, *record(submitted(good)))
        await eventually(lambda: consultation_by_external(svc, good), lambda r: len(r) == 1, timeout=40,
                         what="the good event after the bad ones applied")
    letters = await read_topic(stack.bootstrap, svc.settings.dead_letter_topic, at_least=len(bad))
    assert len(letters) == len(bad)
    errors = dict(zip(bad, (header(r, "kasane_dlt_error") for r in letters), strict=True))
    assert errors["unknown source"] == "rejected: ce_source is not an agency of the municipality profile"
    assert errors["unknown channel"].startswith("rejected: invalid event data: channel")
    assert errors["my number"] == "rejected: external_id: looks like a My Number (個人番号)"
    assert "received_at" in errors["future"]
    assert "name: extra_forbidden" in errors["personal field"]
    assert errors["unknown area"] == "rejected: area_code: not an area of the municipality profile"
    assert errors["unseen household"] == "rejected: household_id: no such household"
    assert errors["unknown type"] == "unknown event type kasane.partner.consultation.whatever.v1"
    joined = "".join(errors.values())
    assert "山田" not in joined and "123456789018" not in joined
    assert {header(r, "kasane_dlt_topic") for r in letters} == {svc.topic(PARTNER_CONSULTATIONS.name)}
    for external in ("B-1", "B-2", "123456789018", "B-4", "B-5", "B-6", "B-7"):
        assert await consultation_by_external(svc, external) == []
