"""The CloudEvents binary-mode envelope and the event registry (pure logic)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

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


def test_missing_ce_headers_are_invalid() -> None:
    with pytest.raises(InvalidEnvelope, match="ce_id"):
        decode([("ce_type", b"x"), ("ce_source", b"/y"), ("ce_specversion", b"1.0")], None, b"{}")


def test_data_that_is_not_a_json_object_is_invalid() -> None:
    headers = [("ce_id", b"1"), ("ce_type", b"t"), ("ce_source", b"/s"),
               ("ce_specversion", b"1.0"), ("ce_time", b"2026-11-27T00:00:00Z"),
               ("content-type", b"application/json")]
    with pytest.raises(InvalidEnvelope, match="JSON object"):
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
