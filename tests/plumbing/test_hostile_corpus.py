"""A corpus of hostile records on intake's partner topic, against real Kafka: each is
dead-lettered with a reason and the valid consultation after it is applied.

(Issue 13 asks for the corpus on every topic a service consumes; this covers the inbound
partner topic, the one outsiders write to.)"""

from __future__ import annotations

import json
import uuid

import pytest
from kasane_intake.main import SPEC
from kasane_shared.events.streams import PARTNER_CONSULTATIONS

from tests.plumbing.support import committed, consultation, partner_data, partner_record, running_worker
from tests.support.kafka import eventually, header, read_topic
from tests.support.service_env import service_env
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration

Headers = list[tuple[str, bytes]]


def _base() -> Headers:
    return partner_record("CORPUS-X")[2]


def _set(name: str, value: bytes | None) -> Headers:
    return [(k, v) for k, v in _base() if k != name] + ([(name, value)] if value is not None else [])


def _data(**changes: object) -> bytes:
    return json.dumps({**partner_data("CORPUS-BAD"), **changes}).encode()


def _valid() -> bytes:
    return partner_record("CORPUS-OK")[1]


# (what, key, value, headers)
CORPUS: list[tuple[str, bytes | None, bytes | None, Headers]] = [
    ("nested arrays", b"K", b"[" * 50_000 + b"]" * 50_000, _base()),
    ("nested objects", b"K", b'{"a":' * 5_000 + b"1" + b"}" * 5_000, _base()),
    ("not UTF-8", b"K", b"\xff\xfe\x00garbage", _base()),
    ("escaped NUL", b"K", _data(channel="ph\\u0000one").replace(b"\\\\u0000", b"\\u0000"), _base()),
    ("raw NUL byte", b"K", b'{"external_id": "a\x00b"}', _base()),
    ("lone surrogate", b"K", _data(channel="x").replace(b'"x"', b'"\\ud800"'), _base()),
    ("NaN", b"K", _data(area_code="N").replace(b'"N"', b"NaN"), _base()),
    ("Infinity", b"K", _data(area_code="N").replace(b'"N"', b"Infinity"), _base()),
    ("5000-digit integer", b"K", _data(area_code="N").replace(b'"N"', b"9" * 5_000), _base()),
    ("integer beyond 64 bits", b"K", _data(area_code="N").replace(b'"N"', str(2**64).encode()), _base()),
    ("not JSON", b"K", b"{", _base()),
    ("a JSON array", b"K", b"[]", _base()),
    ("a JSON string", b"K", b'"x"', _base()),
    ("empty value", b"K", b"", _base()),
    ("null value", b"K", None, _base()),
    ("wrong field type", b"K", _data(concern_codes="elderly_care"), _base()),
    ("unknown field on a strict topic", b"K", _data(name="someone"), _base()),
    ("missing ce_id", b"K", _valid(), _set("ce_id", None)),
    ("missing ce_time", b"K", _valid(), _set("ce_time", None)),
    ("duplicated ce_type", b"K", _valid(), [*_base(), ("ce_type", b"kasane.partner.consultation.submitted.v1")]),
    ("wrong content type", b"K", _valid(), _set("content-type", b"text/plain")),
    ("wrong specversion", b"K", _valid(), _set("ce_specversion", b"0.3")),
    ("null key", None, _valid(), _base()),
    ("unknown ce_type", b"K", _valid(), _set("ce_type", b"kasane.partner.unknown.v1")),
    ("ce_type no Kasane name", b"K", _valid(), _set("ce_type", b"x" * 200)),
    ("type of another stream", b"K", _valid(), _set("ce_type", b"kasane.community.place.closed.v1")),
    ("ce_source not UTF-8", b"K", _valid(), _set("ce_source", b"\xff\xfe")),
    ("control character in ce_id", b"K", _valid(), _set("ce_id", b"a\nb")),
    ("oversized ce_id", b"K", _valid(), _set("ce_id", b"i" * 10_000)),
    ("garbage ce_time", b"K", _valid(), _set("ce_time", b"yesterday")),
]


async def test_every_hostile_record_is_dead_lettered_and_the_valid_one_after_it_applied(stack: TestStack) -> None:
    assert len(CORPUS) >= 25
    async with service_env(stack, SPEC, "corpus") as svc, running_worker(svc):
        valid: list[str] = []
        for _what, key, value, headers in CORPUS:
            await svc.produce(PARTNER_CONSULTATIONS.name, key, value, headers)  # type: ignore[arg-type]
            external_id = f"CORPUS-{uuid.uuid4().hex[:8]}"
            valid.append(external_id)
            await svc.produce(PARTNER_CONSULTATIONS.name, *partner_record(external_id, key="K"))
        for external_id in valid:
            await eventually(lambda e=external_id: consultation(svc, e), lambda rows: len(rows) == 1,
                             timeout=60, what=f"{external_id} applied")
        letters = await read_topic(stack.bootstrap, svc.settings.dead_letter_topic, at_least=len(CORPUS))
        assert len(letters) == len(CORPUS)
        reasons = [header(r, "kasane_dlt_error") for r in letters]
        assert all(reasons), reasons
        assert not any("someone" in (r or "") or "CORPUS-BAD" in (r or "") for r in reasons)  # never the value
        topic = svc.topic(PARTNER_CONSULTATIONS.name)
        await eventually(lambda: committed(stack, svc.settings.group_id, topic), lambda n: n == 2 * len(CORPUS),
                         timeout=30, what="every offset committed")
