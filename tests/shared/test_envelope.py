"""The CloudEvents binary-mode envelope and the event registry (pure logic)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from kasane_shared.events.base import EVENT_TYPES, Event, Stream
from kasane_shared.events.envelope import Envelope, InvalidEnvelope, decode, encode

S = Stream("kasane.unit.v1", source="/kasane/unit")


class Sample(Event, type="kasane.unit.sample.happened.v1", stream=S, key="sample_id"):
    sample_id: uuid.UUID
    area: str


def test_round_trip_keeps_attributes_key_and_trace() -> None:
    sent = Envelope(
        id="e-1", source="/kasane/unit", type=Sample.event_type,
        time=datetime(2026, 11, 27, 3, 0, tzinfo=UTC), data={"area": "SK-N", "n": 1},
        subject="sample/42", key="42",
        trace_headers={"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
    )
    key, value, headers = encode(sent)
    names = dict(headers)
    assert key == b"42"
    assert names["ce_specversion"] == b"1.0"
    assert names["ce_type"] == Sample.event_type.encode()
    assert names["content-type"] == b"application/json"
    assert names["traceparent"].startswith(b"00-0af7")
    assert decode(headers, key, value) == sent


@pytest.mark.parametrize(
    "envelope",
    [
        Envelope(id="e-1", source="/kasane/intake", type="kasane.intake.consultation.received.v1",
                 time=datetime(2026, 11, 27, 3, 0, 0, 123456, tzinfo=UTC), data={"a": "桜", "n": [1, None]},
                 subject="consultation/42", key="42"),
        Envelope(id="e-2", source="urn:kasane:agency:sk-jiritsu", type="kasane.partner.consultation.submitted.v1",
                 time=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), data=b'{"external_id": "X-1"}', key="X-1"),
        Envelope(id="e-3", source="/s", type="kasane.a.b.v1",
                 time=datetime(2026, 1, 2, 12, 0, tzinfo=timezone(timedelta(hours=9))), data={}, key=None),
    ],
    ids=["dict-data", "bytes-data", "offset-time"],
)
def test_records_equal_the_cloudevents_librarys_binary_binding(envelope: Envelope) -> None:
    """encode() writes the headers itself (for speed); the library is the reference."""
    from cloudevents.core.bindings.kafka import to_binary
    from cloudevents.core.formats.json import JSONFormat
    from cloudevents.core.v1.event import CloudEvent

    attributes = {"id": envelope.id, "source": envelope.source, "type": envelope.type,
                  "time": envelope.time, "datacontenttype": "application/json"}
    if envelope.subject:
        attributes["subject"] = envelope.subject
    reference = to_binary(CloudEvent(attributes, envelope.data), JSONFormat(), key_mapper=lambda _e: envelope.key)
    key, value, headers = encode(envelope)
    assert dict(headers) == reference.headers
    assert len(headers) == len(reference.headers)
    assert value == reference.value
    assert key == (reference.key.encode() if isinstance(reference.key, str) else reference.key)
    assert decode(headers, key, value).data == (
        envelope.data if isinstance(envelope.data, dict) else json.loads(envelope.data))


def test_missing_ce_headers_are_invalid() -> None:
    with pytest.raises(InvalidEnvelope, match="ce_id"):
        decode([("ce_type", b"x"), ("ce_source", b"/y"), ("ce_specversion", b"1.0")], None, b"{}")


def test_data_that_is_not_a_json_object_is_invalid() -> None:
    headers = [("ce_id", b"1"), ("ce_type", b"t"), ("ce_source", b"/s"),
               ("ce_specversion", b"1.0"), ("ce_time", b"2026-11-27T00:00:00Z"),
               ("content-type", b"application/json")]
    with pytest.raises(InvalidEnvelope, match="JSON object"):
        decode(headers, None, b"[1, 2]")
    with pytest.raises(InvalidEnvelope, match="not JSON"):
        decode(headers, None, b"[1, 2")


def test_other_spec_versions_are_invalid() -> None:
    headers = [("ce_id", b"1"), ("ce_type", b"t"), ("ce_source", b"/s"),
               ("ce_specversion", b"0.3"), ("ce_time", b"2026-11-27T00:00:00Z")]
    with pytest.raises(InvalidEnvelope):
        decode(headers, None, b"{}")


def test_declaring_an_event_registers_it_with_its_aggregate() -> None:
    assert EVENT_TYPES[Sample.event_type] is Sample
    assert Sample.aggregate_type == "sample"
    event = Sample(sample_id=uuid.UUID(int=7), area="SK-N")
    assert event.aggregate_id == str(uuid.UUID(int=7))
    assert event.payload() == {"sample_id": str(uuid.UUID(int=7)), "area": "SK-N"}


@pytest.mark.parametrize(
    "bad_type", ["kasane.unit.sample.happened", "unit.sample.happened.v1", "kasane.Unit.x.v1"]
)
def test_wire_types_must_be_explicit_and_versioned(bad_type: str) -> None:
    with pytest.raises(ValueError, match="must look like"):
        class Bad(Event, type=bad_type, stream=S, key="x"):
            x: str


def test_the_key_must_be_a_field() -> None:
    with pytest.raises(ValueError, match="key field"):
        class NoKey(Event, type="kasane.unit.nokey.happened.v1", stream=S, key="missing"):
            x: str


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValueError):
        Sample.model_validate({"sample_id": str(uuid.uuid4()), "area": "x", "name": "山田"})
