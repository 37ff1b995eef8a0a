"""CloudEvents 1.0 in Kafka binary mode: ``ce_*`` headers, JSON value, aggregate id as key.

Encoding writes the headers directly: the library builds and validates an event object
per record, which cost a quarter of the outbox relay's time per event (bench/platform.py);
the attributes here come from Kasane's own validated rows, and
tests/shared/test_envelope.py holds every record byte-for-byte equal to the library's
``to_binary`` output.

Decoding reads whatever a topic holds, so it trusts nothing: every header it reads must
appear once, be UTF-8 and free of control characters, and fit a bound; the value must be
a JSON object of at most :data:`MAX_VALUE_BYTES`, nested at most :data:`MAX_DEPTH` deep,
without NaN, infinities, integers beyond 64 bits, NUL characters or lone surrogates (which
PostgreSQL cannot store). The attributes are then validated by the ``cloudevents``
library's event model. The library's own binding is not used to read: its JSON reader
lets ``RecursionError`` through (a value of 50,000 nested arrays), which once killed a
consumer. Anything outside these rules is :class:`InvalidEnvelope`, whose message says why
without repeating the value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cloudevents.core.exceptions import BaseCloudEventException
from cloudevents.core.v1.event import CloudEvent

JSON = "application/json"
# Headers that ride beside the ce_* attributes (W3C trace context).
TRACE_HEADERS = ("traceparent", "tracestate")

MAX_VALUE_BYTES = 1_048_576  # the broker's default max.message.bytes; events are far smaller
MAX_DEPTH = 32  # Kasane's events nest three levels; the bound stops pathological values
_INT_LIMIT = 2**63  # I-JSON: integers a 64-bit reader holds exactly
# header -> (CloudEvents attribute, longest value in bytes); the inbox keys on source and id
_ATTRIBUTES: dict[str, tuple[str, int]] = {
    "ce_id": ("id", 256),
    "ce_source": ("source", 512),
    "ce_type": ("type", 256),
    "ce_specversion": ("specversion", 16),
    "ce_time": ("time", 64),
    "ce_subject": ("subject", 512),
    "ce_dataschema": ("dataschema", 512),
    "content-type": ("datacontenttype", 128),
    "traceparent": ("traceparent", 128),
    "tracestate": ("tracestate", 512),
}
_REQUIRED = ("ce_id", "ce_source", "ce_type", "ce_specversion", "ce_time")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # NUL and lone surrogates
_JSON_TYPE = re.compile(r"^application/json\s*(;.*)?$", re.IGNORECASE)
_MAX_KEY_BYTES = 256


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
    dataschema: str | None = None  # the URI of the data's JSON Schema


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
    if envelope.dataschema:
        headers.append(("ce_dataschema", envelope.dataschema.encode()))
    headers.append(("ce_specversion", b"1.0"))
    headers.extend((k, v.encode()) for k, v in envelope.trace_headers.items() if v)
    data = envelope.data
    value = data if isinstance(data, bytes) else json.dumps(data).encode()
    key = envelope.key.encode() if envelope.key is not None else None
    return key, value, headers


def decode(
    headers: Iterable[tuple[str, bytes | None]], key: bytes | None, value: bytes | None
) -> Envelope:
    """Parse a Kafka record; raise :class:`InvalidEnvelope` when it is not a CloudEvent
    Kasane can store."""
    raw = _read_headers(headers)
    missing = [h for h in _REQUIRED if h not in raw]
    if missing:
        raise InvalidEnvelope(f"missing CloudEvents headers: {', '.join(missing)}")
    if raw["ce_specversion"] != "1.0":
        raise InvalidEnvelope("ce_specversion must be 1.0")
    content_type = raw.get("content-type")
    if content_type is None or not _JSON_TYPE.match(content_type):
        raise InvalidEnvelope("content-type must be application/json")
    time = _timestamp(raw["ce_time"])
    data = parse_data(value)
    attributes: dict[str, Any] = {
        attribute: raw[header] for header, (attribute, _limit) in _ATTRIBUTES.items()
        if header in raw and header not in TRACE_HEADERS
    }
    attributes["time"] = time
    try:
        event = CloudEvent(attributes, data)
    except BaseCloudEventException as exc:
        raise InvalidEnvelope(f"not a CloudEvent: {type(exc).__name__}") from None
    return Envelope(
        id=event.get_id(),
        source=event.get_source(),
        type=event.get_type(),
        time=time,
        data=data,
        subject=event.get_subject(),
        key=_key(key),
        trace_headers={h: raw[h] for h in TRACE_HEADERS if h in raw},
        dataschema=event.get_dataschema(),
    )


def _read_headers(headers: Iterable[tuple[str, bytes | None]]) -> dict[str, str]:
    """The headers Kasane reads, each once, as text; other headers are left alone."""
    raw: dict[str, str] = {}
    for name, value in headers:
        lowered = name.lower()
        spec = _ATTRIBUTES.get(lowered)
        if spec is None:
            continue  # an extension or the sender's own header: not Kasane's to judge
        if lowered in raw:
            raise InvalidEnvelope(f"header {lowered} appears more than once")
        if value is None:
            raise InvalidEnvelope(f"header {lowered} has no value")
        if len(value) > spec[1]:
            raise InvalidEnvelope(f"header {lowered} is longer than {spec[1]} bytes")
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidEnvelope(f"header {lowered} is not UTF-8") from None
        if _CONTROL.search(text):
            raise InvalidEnvelope(f"header {lowered} holds control characters")
        raw[lowered] = text
    return raw


def _timestamp(text: str) -> datetime:
    try:
        time = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidEnvelope("ce_time is not an RFC 3339 timestamp") from None
    if time.tzinfo is None:
        raise InvalidEnvelope("ce_time has no time zone")
    return time


def _key(key: bytes | None) -> str | None:
    if key is None:
        return None
    if len(key) > _MAX_KEY_BYTES:
        raise InvalidEnvelope(f"the key is longer than {_MAX_KEY_BYTES} bytes")
    try:
        text = key.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidEnvelope("the key is not UTF-8") from None
    if _CONTROL.search(text):
        raise InvalidEnvelope("the key holds control characters")
    return text


class _Unacceptable(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise _Unacceptable(f"value holds {name}")


def _finite(text: str) -> float:
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise _Unacceptable("value holds a number beyond a double")
    return number


def parse_data(value: bytes | None) -> dict[str, Any]:
    """The JSON object in a record's value, within Kasane's bounds (see the module's doc)."""
    if value is None:
        raise InvalidEnvelope("the record has no value")
    if len(value) > MAX_VALUE_BYTES:
        raise InvalidEnvelope(f"the value is {len(value)} bytes, over the {MAX_VALUE_BYTES} an event may have")
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidEnvelope("the value is not UTF-8") from None
    try:
        data = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise InvalidEnvelope(f"the value is JSON nested deeper than {MAX_DEPTH} levels") from None
    except _Unacceptable as exc:
        raise InvalidEnvelope(str(exc)) from None
    except json.JSONDecodeError as exc:
        raise InvalidEnvelope(f"the value is not JSON: {exc.msg} at byte {exc.pos}") from None
    except ValueError:  # an integer of more digits than Python converts
        raise InvalidEnvelope("the value holds an integer too long to read") from None
    if not isinstance(data, dict):
        raise InvalidEnvelope("data must be a JSON object")
    _check_tree(data)
    return data


def _check_tree(data: dict[str, Any]) -> None:
    """Depth, integer range and storable strings, walked without recursion."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list) and depth > MAX_DEPTH:
            raise InvalidEnvelope(f"the value is JSON nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            for name, item in node.items():
                if _UNSTORABLE.search(name):
                    raise InvalidEnvelope("a field name holds a NUL character or a lone surrogate")
                stack.append((item, depth + 1))
        elif isinstance(node, list):
            stack.extend((item, depth + 1) for item in node)
        elif isinstance(node, str):
            if _UNSTORABLE.search(node):
                raise InvalidEnvelope("a string holds a NUL character or a lone surrogate")
        elif isinstance(node, int) and not isinstance(node, bool) and not -_INT_LIMIT <= node < _INT_LIMIT:
            raise InvalidEnvelope("the value holds an integer beyond 64 bits")
