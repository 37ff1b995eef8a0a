"""CloudEvents 1.0 in Kafka binary mode: ``ce_*`` headers, JSON value, aggregate id as key.

The binding itself is the ``cloudevents`` library's; this module fixes Kasane's choices
(JSON data, the key from the aggregate id, W3C ``traceparent`` beside the ``ce_*``
headers) and turns a record that breaks them into :class:`InvalidEnvelope`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cloudevents.core.bindings.kafka import KafkaMessage, from_binary, to_binary
from cloudevents.core.exceptions import BaseCloudEventException
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

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


def encode(envelope: Envelope) -> tuple[bytes | None, bytes, list[tuple[str, bytes]]]:
    """Key, value and headers of the Kafka record for ``envelope``."""
    attributes: dict[str, Any] = {
        "id": envelope.id,
        "source": envelope.source,
        "type": envelope.type,
        "time": envelope.time,
        "datacontenttype": JSON,
    }
    if envelope.subject:
        attributes["subject"] = envelope.subject
    data = envelope.data
    message = to_binary(CloudEvent(attributes, data), _FORMAT, key_mapper=lambda _e: envelope.key)
    headers = list(message.headers.items())
    headers.extend((k, v.encode()) for k, v in envelope.trace_headers.items() if v)
    key = envelope.key.encode() if envelope.key is not None else None
    return key, message.value, headers


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
