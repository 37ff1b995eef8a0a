"""What the end-to-end journeys share: agencies acting over HTTP inside the journey's trace,
the personal values they sent, and the checks on topics and traces.

Every request goes through :class:`Agency`, which adds the journey's ``traceparent`` (so
every service's spans join one trace) and remembers each personal value it sent (names,
kana, birth dates, addresses, phones, free texts), so a journey can check that none of
them reached Kafka.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
from aiokafka import ConsumerRecord

from tests.support.e2e import System, traced
from tests.support.kafka import eventually, header
from tests.support.privacy import assert_no_personal_data
from tests.support.stack import TestStack

# the sample profile's agencies (profiles/sample-city.yaml)
ELDERLY = "sk-houkatsu-kita"  # 北部地域包括支援センター
DISABILITY = "sk-shogai-soudan"  # 障害者相談支援センター
SELF_RELIANCE = "sk-jiritsu"  # 自立相談支援機関
CHILDREN = "sk-kosodate"  # 子育て世代包括支援センター
HEALTH = "sk-hoken"  # 保健センター
SCHOOL = "sk-school-kita"  # 北小学校
DESK = "sk-jusou-suishin"  # 重層的支援推進室: the collaboration desk, a participation coordinator
SHAKYO = "sk-shakyo"  # 社協: places and resource development
NPO = "sk-npo-ibasho"  # an NPO providing places to be

# every scope of the four services (docs/<service>.md): what an agency may do on a record is
# then decided by its relationship to it (team, meeting, consent), which is what the journeys check
SCOPES = (
    "consultations:read", "consultations:write", "persons:read", "persons:write", "consents:write",
    "referrals:write",
    "cases:read", "cases:write", "plans:write", "meetings:read", "meetings:write", "outreach:read",
    "outreach:write",
    "opportunities:read", "opportunities:write", "requests:read", "requests:write", "matches:write",
    "placements:read", "placements:write", "gap-needs:read",
    "directory:read", "places:write", "organisations:write", "coordinators:write", "developments:read",
    "developments:write", "stats:read",
)

# body keys whose string values are personal data or free text that must stay in its service
PERSONAL_KEYS = {
    "family_name", "given_name", "family_name_kana", "given_name_kana", "birth_date", "street", "phone",
    "contact_notes", "summary", "note", "reason", "wishes", "text", "description", "content", "minutes",
    "name", "display_name", "title", "postal_code", "line1", "line2", "email",
}



def years_before(on: date, years: int, days: int = 40) -> str:
    """A birth date giving the age ``years`` on ``on``."""
    try:
        birthday = on.replace(year=on.year - years)
    except ValueError:  # 29 February
        birthday = on.replace(year=on.year - years, day=28)
    return date.fromordinal(birthday.toordinal() - days).isoformat()


def personal_values(body: Any) -> Iterator[str]:
    """The personal values and free texts in a request body."""
    if isinstance(body, dict):
        for key, value in body.items():
            if key in PERSONAL_KEYS and isinstance(value, str):
                yield value
            else:
                yield from personal_values(value)
    elif isinstance(body, list):
        for value in body:
            yield from personal_values(value)


@dataclass
class Journey:
    """One journey on the running system: its agencies and what they sent."""

    system: System
    stack: TestStack
    sent: list[str] = field(default_factory=list)
    _headers: dict[tuple[str, str | None], dict[str, str]] = field(default_factory=dict)

    def agency(self, agency_id: str, subject: str | None = None) -> Agency:
        key = (agency_id, subject)
        if key not in self._headers:
            self._headers[key] = self.stack.auth(agency_id, *SCOPES, subject=subject)
        return Agency(self, agency_id, self._headers[key])


@dataclass
class Agency:
    """An agency's staff calling the services' APIs, inside the journey's trace."""

    journey: Journey
    id: str
    auth: dict[str, str]

    async def call(self, method: str, service: str, path: str, *, json: Any = None,
                   params: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> httpx.Response:
        if json is not None:
            self.journey.sent.extend(personal_values(json))
        return await self.journey.system[service].request(
            method, path, json=json, params=params, headers=traced({**self.auth, **(headers or {})}))

    async def get(self, service: str, path: str, *, status: int = 200, **params: Any) -> Any:
        return _expect(await self.call("GET", service, path, params=params or None), status)

    async def post(self, service: str, path: str, body: Any = None, *, status: int = 201,
                   headers: dict[str, str] | None = None) -> Any:
        return _expect(await self.call("POST", service, path, json=body, headers=headers), status)

    async def refused(self, method: str, service: str, path: str, status: int, slug: str | None = None,
                      body: Any = None) -> dict[str, Any]:
        """A problem+json refusal (404 for what the agency may not see, 403, 409), with its type."""
        r = await self.call(method, service, path, json=body)
        assert r.status_code == status, f"{self.id} {method} {path}: {r.status_code} {r.text}"
        assert r.headers["content-type"].startswith("application/problem+json"), r.text
        problem = r.json()
        if slug is not None:
            assert problem["type"].endswith("/" + slug), problem
        return problem


def _expect(r: httpx.Response, status: int) -> Any:
    assert r.status_code == status, f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text}"
    return r.json() if r.content else None


async def until(probe: Callable[[], Any], check: Callable[[Any], bool], what: str, timeout: float = 60) -> Any:
    """Poll an API until an asynchronous outcome shows (never a fixed sleep)."""
    return await eventually(probe, check, timeout=timeout, interval=0.2, what=what)


# --- events on the topics -------------------------------------------------------------------------

def short_type(record: ConsumerRecord) -> str:
    """``kasane.intake.consultation.received.v1`` → ``intake.consultation.received``."""
    ce_type = header(record, "ce_type") or ""
    return ce_type.removeprefix("kasane.").rsplit(".", 1)[0]


def data(record: ConsumerRecord) -> dict[str, Any]:
    return json.loads(record.value)


def keyed(records: Iterable[ConsumerRecord], key: object) -> list[ConsumerRecord]:
    """The records of one key, in the order the topic holds them."""
    return [r for r in records if r.key == str(key).encode()]


async def topic(journey: Journey, logical: str, done: Callable[[list[ConsumerRecord]], bool],
                what: str) -> list[ConsumerRecord]:
    """Every record of ``logical`` (this system's namespace) once ``done`` holds for them."""
    return await eventually(lambda: journey.system.read(logical), done, timeout=60, interval=0.5,
                            what=what)


def assert_ordered_per_key(records: list[ConsumerRecord], expected: dict[object, list[str]]) -> None:
    """For each key, its records sit on one partition and their order there is the order
    in which the journey caused them (``expected``: short types, first to last)."""
    for key, types in expected.items():
        mine = keyed(records, key)
        assert len({r.partition for r in mine}) <= 1, f"{key}: records on several partitions"
        offsets = [r.offset for r in mine]
        assert offsets == sorted(offsets)
        assert [short_type(r) for r in mine] == types, (key, [short_type(r) for r in mine])


def assert_private(records_by_topic: dict[str, list[ConsumerRecord]], journey: Journey) -> None:
    """No record of any topic the journey touched holds a personal-data key or a value it sent."""
    values = sorted({v for v in journey.sent if v})
    assert values, "the journey sent no personal values to look for"
    for name, records in records_by_topic.items():
        assert records, f"{name}: nothing to check"
        assert assert_no_personal_data(records, values) == len(records)


# --- one trace ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TraceView:
    """What one trace id reached: processes, server spans, consumer spans and the ids of
    the events they applied."""

    processes: frozenset[str]
    servers: frozenset[tuple[str, str]]  # (process, span name)
    consumers: frozenset[tuple[str, str]]  # (process, logical topic)
    applied: frozenset[tuple[str, str]]  # (process, ce_id)


def trace_view(system: System, trace_id: str) -> TraceView:
    spans = [s for s in system.spans() if s["context"]["trace_id"] == "0x" + trace_id]
    consumers = [s for s in spans if s["kind"] == "SpanKind.CONSUMER" and s["name"].startswith("process ")]
    return TraceView(
        processes=frozenset(s["_process"] for s in spans),
        servers=frozenset((s["_process"], s["name"]) for s in spans if s["kind"] == "SpanKind.SERVER"),
        consumers=frozenset((s["_process"], s["name"].removeprefix("process ").removeprefix(system.prefix))
                            for s in consumers),
        applied=frozenset((s["_process"], s["attributes"]["messaging.message.id"]) for s in consumers),
    )


async def assert_one_trace(system: System, trace_id: str, *, processes: set[str], first: tuple[str, str],
                           consumers: set[tuple[str, str]], last: tuple[str, str]) -> TraceView:
    """The journey's trace id is in the spans of every process it went through: the server
    span of its ``first`` request (process, span name), the consumer spans (``process
    <topic>``) of every worker that applied its events, and the consumer span of the
    ``last`` event applied (process, ce_id)."""
    def complete(view: TraceView) -> bool:
        return (processes <= view.processes and first in view.servers and consumers <= view.consumers
                and last in view.applied)

    view = await eventually(lambda: _async(trace_view(system, trace_id)), complete, timeout=30,
                            what="the journey's trace in every process")
    return view


async def _async(value: TraceView) -> TraceView:
    return value


def ce_id(record: ConsumerRecord) -> str:
    value = header(record, "ce_id")
    assert value is not None
    return value
