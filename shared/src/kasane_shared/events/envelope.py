"""CloudEvents 1.0 in Kafka binary mode: ``ce_*`` headers, JSON value, aggregate id as key.

Decoding is the ``cloudevents`` library's binding. Encoding writes the same headers
directly: the library builds and validates an event object per record, which cost a
quarter of the outbox relay's time per event (bench/platform.py); the attributes here
come from Kasane's own validated rows, and tests/shared/test_envelope.py holds every
record byte-for-byte equal to the library's ``to_binary`` output. This module also fixes
Kasane's choices (JSON data, the key from the aggregate id, W3C ``traceparent`` beside
the ``ce_*`` headers) and turns a record that breaks them into :class:`InvalidEnvelope`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cloudevents.core.bindings.kafka import KafkaMessage, from_binary
from cloudevents.core.exceptions import BaseCloudEventException
from cloudevents.core.formats.json import JSONFormat

JSON = "application/json"
_FORMAT = JSONFormat()
# Headers that ride beside the ce_* attributes (W3C trace context).
TRACE_HEADERS = ("traceparent", "tracestate")


class InvalidEnvelope(ValueError):
    """A record that is not a well-formed Kasane CloudEvent (never retried)."""


@dataclass(frozen=True)
class Envelope:
    """One CloudEvent as read from or written to Kafka."""

    id: str
    source: str
    type: str
    time: datetime
    data: dict[str, Any] | bytes  # bytes: JSON already serialised (the relay's outbox text)
    subject: str | None = None
    key: str | None = None
    trace_headers: Mapping[str, str] = field(default_factory=dict)


def _time(value: datetime) -> bytes:
    text = value.isoformat()
    return (text[:-6] + "Z" if text.endswith("+00:00") else text).encode()


def encode(envelope: Envelope) -> tuple[bytes | None, bytes, list[tuple[str, bytes]]]:
    """Key, value and headers of the Kafka record for ``envelope``."""
    headers = [
        ("ce_id", envelope.id.encode()),
        ("ce_source", envelope.source.encode()),
        ("ce_type", envelope.type.encode()),
        ("ce_time", _time(envelope.time)),
        ("content-type", JSON.encode()),
    ]
    if envelope.subject:
        headers.append(("ce_subject", envelope.subject.encode()))
    headers.append(("ce_specversion", b"1.0"))
    headers.extend((k, v.encode()) for k, v in envelope.trace_headers.items() if v)
    data = envelope.data
    value = data if isinstance(data, bytes) else json.dumps(data).encode()
    key = envelope.key.encode() if envelope.key is not None else None
    return key, value, headers


def decode(
    headers: Iterable[tuple[str, bytes]], key: bytes | None, value: bytes | None
) -> Envelope:
    """Parse a Kafka record; raise :class:`InvalidEnvelope` when it is not a CloudEvent."""
    raw = {name: val for name, val in headers if val is not None}
    missing = [h for h in ("ce_id", "ce_source", "ce_type", "ce_specversion") if h not in raw]
    if missing:
        raise InvalidEnvelope(f"missing CloudEvents headers: {', '.join(missing)}")
    try:
        event = from_binary(KafkaMessage(headers=raw, key=key, value=value or b""), _FORMAT)
    except (BaseCloudEventException, ValueError, UnicodeDecodeError) as exc:
        raise InvalidEnvelope(f"not a CloudEvent: {type(exc).__name__}") from None
    if event.get_specversion() != "1.0":
        raise InvalidEnvelope("ce_specversion must be 1.0")
    data = event.get_data()
    if not isinstance(data, dict):
        raise InvalidEnvelope("data must be a JSON object")
    time = event.get_time()
    if time is None:
        raise InvalidEnvelope("missing ce_time")
    trace = {h: raw[h].decode("latin-1") for h in TRACE_HEADERS if h in raw}
    return Envelope(
        id=event.get_id(),
        source=event.get_source(),
        type=event.get_type(),
        time=time,
        data=data,
        subject=event.get_subject(),
        key=key.decode("utf-8", "replace") if key is not None else None,
        trace_headers=trace,
    )
