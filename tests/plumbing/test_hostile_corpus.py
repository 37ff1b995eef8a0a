"""A corpus of hostile records on every topic every service consumes, against real Kafka:
each record ends as the architecture says (docs/architecture.md, "Strict writer, tolerant
reader" and "Poison messages"), and the valid event sent after each one is applied and
every offset committed.

Most records can never be applied and are dead-lettered with a reason on every topic. A
few depend on the topic: an unknown field is refused on the strict partner topic and
ignored on Kasane's own topics (tolerant reader), and a declared type the service does
not act on is skipped on Kasane's own topics (the partner topic declares one type, which
intake acts on). The pairs (service, consumed topic) come from the services' SPECs; a
pair without a valid sample below fails."""

from __future__ import annotations

import importlib
import json
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from kasane_shared.contracts.coordination import CaseOpened, TeamMemberJoined
from kasane_shared.contracts.intake import ConsultationReceived, HouseholdMemberLinked
from kasane_shared.contracts.participation import MatchProposed, OpportunityFacts, OpportunityPublished
from kasane_shared.contracts.partner import PartnerConsultationSubmitted
from kasane_shared.events.base import EVENT_TYPES, Event
from kasane_shared.events.envelope import Envelope, encode
from kasane_shared.events.streams import (
    COMMUNITY,
    COORDINATION,
    INTAKE,
    PARTICIPATION,
    PARTNER_CONSULTATIONS,
    SERVICES,
)
from kasane_shared.service import ServiceSpec, bind

from tests.participation.helpers import place_event, requested_event
from tests.plumbing.support import PARTNER_SOURCE, committed, partner_data, running_worker
from tests.support.kafka import eventually, header, read_topic
from tests.support.service_env import ServiceEnv, service_env
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration

Headers = list[tuple[str, bytes]]
Outcome = Literal["dead_lettered", "applied", "skipped"]
SPECS: dict[str, ServiceSpec] = {name: importlib.import_module(f"kasane_{name}.main").SPEC for name in SERVICES}
# every (service, topic) a worker consumes, from the SPECs
PAIRS: list[tuple[str, str]] = [(name, stream.name) for name, spec in SPECS.items() for stream in spec.consumes]
AGENCY = "sk-houkatsu-kita"  # an agency of the sample profile
AREA = "SK-N-01"
SECRET = "someone"  # a value no dead-letter reason may repeat


Effect = Callable[[asyncpg.Pool, list[Any]], Awaitable[bool]]


@dataclass(frozen=True)
class Sample:
    """A valid event the service acts on when it arrives on the topic, and how its effect shows."""

    make: Callable[[], Event]  # fresh ids on every call
    effect: Effect  # whether every event given left its mark in the service's database
    source: str | None = None  # ce_source; the stream's own by default


def _found(sql: str, value: Callable[[Any], Any]) -> Effect:
    async def probe(pool: asyncpg.Pool, events: list[Any]) -> bool:
        return all([await pool.fetchval(sql, value(e)) for e in events])

    return probe


def _counted(metric: str) -> Effect:
    """Statistics keep no ids: every claimed event of the type is counted once in its total."""
    async def probe(pool: asyncpg.Pool, events: list[Any]) -> bool:
        counted = await pool.fetchval("SELECT coalesce(sum(count), 0) FROM stat_counts"
                                      " WHERE metric = $1 AND code = 'total'", metric)
        claimed = await pool.fetchval("SELECT count(*) FROM inbox WHERE type = $1", events[0].event_type)
        return bool(counted == claimed >= len(events))

    return probe


def _opportunity() -> OpportunityPublished:
    return OpportunityPublished(opportunity_id=uuid.uuid4(), facts=OpportunityFacts(
        kind="place_to_be", area_code=AREA, capacity=12, status="open", source_place_id=uuid.uuid4()))


SAMPLES: dict[tuple[str, str], Sample] = {
    ("intake", PARTNER_CONSULTATIONS.name): Sample(
        lambda: PartnerConsultationSubmitted(**partner_data(f"CORPUS-{uuid.uuid4().hex[:8]}")),
        _found("SELECT true FROM consultations WHERE external_id = $1", lambda e: e.external_id),
        source=PARTNER_SOURCE),
    ("intake", COORDINATION.name): Sample(
        lambda: TeamMemberJoined(case_id=uuid.uuid4(), agency_id=AGENCY, role="field_supporter",
                                 household_id=uuid.uuid4()),
        _found("SELECT true FROM case_team WHERE case_id = $1", lambda e: e.case_id)),
    ("coordination", INTAKE.name): Sample(
        lambda: HouseholdMemberLinked(household_id=uuid.uuid4(), person_id=uuid.uuid4(), relationship="head",
                                      lives_together=True, age_band="80-84"),
        _found("SELECT true FROM household_members WHERE person_id = $1", lambda e: e.person_id)),
    ("coordination", PARTICIPATION.name): Sample(
        lambda: MatchProposed(match_id=uuid.uuid4(), request_id=uuid.uuid4(), opportunity_id=uuid.uuid4(),
                              kind="place_to_be", score=0.8),
        _found("SELECT true FROM timeline WHERE request_id = $1", lambda e: e.request_id)),
    ("participation", COORDINATION.name): Sample(
        requested_event,
        _found("SELECT true FROM participation_requests WHERE id = $1", lambda e: e.request_id)),
    ("participation", COMMUNITY.name): Sample(
        place_event,
        _found("SELECT true FROM opportunities WHERE source_place_id = $1", lambda e: e.place_id)),
    ("community", PARTICIPATION.name): Sample(
        _opportunity,
        _found("SELECT true FROM opportunities WHERE id = $1", lambda e: e.opportunity_id)),
    ("community", INTAKE.name): Sample(
        lambda: ConsultationReceived(consultation_id=uuid.uuid4(), agency_id=AGENCY, received_at=datetime.now(UTC),
                                     channel="phone", consulted_by="family", anonymous=False, area_code=AREA,
                                     age_band="80-84", concern_codes=["elderly_care"]),
        _counted("consultations_received")),
    ("community", COORDINATION.name): Sample(
        lambda: CaseOpened(case_id=uuid.uuid4(), origin="direct", area_code=AREA, concern_codes=["elderly_care"]),
        _counted("cases_opened")),
}


@dataclass(frozen=True)
class Hostile:
    what: str
    key: bytes | None
    value: bytes | None
    headers: Headers
    outcome: Outcome = "dead_lettered"


class Corpus:
    """Builds the hostile records for one service's consumed topic around its valid sample."""

    def __init__(self, spec: ServiceSpec, topic: str, sample: Sample, now: datetime) -> None:
        self.spec, self.topic, self.sample, self.now = spec, topic, sample, now
        self.strict = topic in {s.name for s in spec.strict_topics}
        self.unhandled: str | None = None  # a declared type of the topic the service does not act on

    def record(self, event: Event | None = None) -> tuple[bytes | None, bytes, Headers]:
        """A valid record of ``event`` (a fresh sample by default), keyed "K" like the whole corpus
        so that the records of one topic share a partition, in order."""
        event = event or self.sample.make()
        return encode(Envelope(
            id=str(uuid.uuid4()), source=self.sample.source or event.stream.source, type=event.event_type,
            time=self.now, data=event.payload(), key="K", subject=f"{event.aggregate_type}/{event.aggregate_id}"))

    def base(self) -> Headers:
        return self.record()[2]

    def set(self, name: str, value: bytes | None) -> Headers:
        return [(k, v) for k, v in self.base() if k != name] + ([(name, value)] if value is not None else [])

    def valid(self) -> bytes:
        return self.record()[1]

    def data(self, **changes: object) -> bytes:
        return json.dumps({**self.sample.make().payload(), **changes}).encode()

    def raw(self, fragment: bytes) -> bytes:
        """The sample's data with its key field's value replaced by a raw JSON ``fragment``."""
        event = self.sample.make()
        return self.data(**{event.key_field: "__CORPUS__"}).replace(b'"__CORPUS__"', fragment)

    def records(self) -> Iterator[Hostile]:
        event = self.sample.make()
        key_field = event.key_field
        area = self.topic.split(".")[1]
        other_stream = next(t for t, c in EVENT_TYPES.items() if c.stream.name != self.topic)
        other_source = next(s.stream.source for s in SPECS.values()
                            if s.stream is not None and s.stream.name != self.topic)
        yield from (
            Hostile("nested arrays", b"K", b"[" * 50_000 + b"]" * 50_000, self.base()),
            Hostile("nested objects", b"K", b'{"a":' * 5_000 + b"1" + b"}" * 5_000, self.base()),
            Hostile("not UTF-8", b"K", b"\xff\xfe\x00garbage", self.base()),
            Hostile("escaped NUL", b"K", self.raw(b'"a\\u0000b"'), self.base()),
            Hostile("raw NUL byte", b"K", b'{"%s": "a\x00b"}' % key_field.encode(), self.base()),
            Hostile("lone surrogate", b"K", self.raw(b'"\\ud800"'), self.base()),
            Hostile("NaN", b"K", self.raw(b"NaN"), self.base()),
            Hostile("Infinity", b"K", self.raw(b"Infinity"), self.base()),
            Hostile("5000-digit integer", b"K", self.raw(b"9" * 5_000), self.base()),
            Hostile("integer beyond 64 bits", b"K", self.raw(str(2**64).encode()), self.base()),
            Hostile("not JSON", b"K", b"{", self.base()),
            Hostile("a JSON array", b"K", b"[]", self.base()),
            Hostile("a JSON string", b"K", b'"x"', self.base()),
            Hostile("empty value", b"K", b"", self.base()),
            Hostile("null value", b"K", None, self.base()),
            Hostile("wrong field type", b"K", self.data(**{key_field: [SECRET]}), self.base()),
            Hostile("a required field missing", b"K",
                    json.dumps({k: v for k, v in event.payload().items() if k != key_field}).encode(), self.base()),
            # strict writer, tolerant reader: refused on the partner topic, ignored on our own
            Hostile("an unknown field", b"K", self.data(name=SECRET), self.base(),
                    "dead_lettered" if self.strict else "applied"),
            Hostile("missing ce_id", b"K", self.valid(), self.set("ce_id", None)),
            Hostile("missing ce_time", b"K", self.valid(), self.set("ce_time", None)),
            Hostile("duplicated ce_type", b"K", self.valid(), [*self.base(), ("ce_type", event.event_type.encode())]),
            Hostile("wrong content type", b"K", self.valid(), self.set("content-type", b"text/plain")),
            Hostile("wrong specversion", b"K", self.valid(), self.set("ce_specversion", b"0.3")),
            Hostile("null key", None, self.valid(), self.base()),
            Hostile("type no contract declares", b"K", self.valid(),
                    self.set("ce_type", f"kasane.{area}.never_declared.v1".encode())),
            Hostile("ce_type no Kasane name", b"K", self.valid(), self.set("ce_type", b"x" * 200)),
            Hostile("type of another stream", b"K", self.valid(), self.set("ce_type", other_stream.encode())),
            # on our topics the consumer checks the stream's source; on the partner topic the
            # handler refuses a ce_source that is no agency of the profile
            Hostile("ce_source of another service", b"K", self.valid(), self.set("ce_source", other_source.encode())),
            Hostile("ce_source not UTF-8", b"K", self.valid(), self.set("ce_source", b"\xff\xfe")),
            Hostile("control character in ce_id", b"K", self.valid(), self.set("ce_id", b"a\nb")),
            Hostile("oversized ce_id", b"K", self.valid(), self.set("ce_id", b"i" * 10_000)),
            Hostile("garbage ce_time", b"K", self.valid(), self.set("ce_time", b"yesterday")),
        )
        if self.unhandled is not None:
            # a declared fact of this stream the service does not act on: skipped, never claimed
            yield Hostile(f"declared type it does not act on ({self.unhandled})", b"K", b"{}",
                          self.set("ce_type", self.unhandled.encode()), "skipped")


async def _send(svc: ServiceEnv, logical_topic: str,
                records: list[tuple[bytes | None, bytes | None, Headers]]) -> list[tuple[int, int]]:
    """Produce ``records`` in order on a topic of the namespace; their (partition, offset)."""
    producer = AIOKafkaProducer(bootstrap_servers=svc.stack.bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        positions = []
        for key, value, headers in records:
            meta = await producer.send_and_wait(svc.topic(logical_topic), value=value, key=key, headers=headers)
            positions.append((meta.partition, meta.offset))
        return positions
    finally:
        await producer.stop()


@pytest.fixture(scope="module")
def tried() -> Iterator[list[int]]:
    """Corpus sizes per topic tried; the summary line at the end of the module."""
    runs: list[int] = []
    yield runs
    if runs:
        sizes = "/".join(str(n) for n in sorted(set(runs)))
        print(f"\nhostile corpus: {sizes} records x {len(runs)} consumed topics = {sum(runs)} hostile records "
              f"tried, each followed by a valid event")


def test_every_consumed_topic_has_a_valid_sample() -> None:
    assert len(PAIRS) >= 9
    assert set(SAMPLES) == set(PAIRS), "a (service, topic) consumed without a valid sample, or a stale sample"


@pytest.mark.parametrize(("service", "topic"), PAIRS, ids=[f"{s}<-{t}" for s, t in PAIRS])
async def test_every_hostile_record_ends_as_documented_and_the_valid_event_after_it_is_applied(
    stack: TestStack, tried: list[int], service: str, topic: str,
) -> None:
    assert (service, topic) in SAMPLES, f"{service} consumes {topic}: add a valid sample to SAMPLES"
    spec, sample = SPECS[service], SAMPLES[(service, topic)]
    name = f"corpus_{service}_{topic.split('.')[1]}"
    async with service_env(stack, spec, name) as svc:
        handled = set(bind(spec.handlers, svc.context))
        corpus = Corpus(spec, topic, sample, await svc.pool.fetchval("SELECT clock_timestamp()"))
        corpus.unhandled = next((t for t, c in EVENT_TYPES.items()
                                 if c.stream.name == topic and t not in handled), None)
        hostile = list(corpus.records())
        assert len(hostile) >= 30
        assert corpus.strict or corpus.unhandled is not None, "our own streams carry facts a consumer skips"
        valid = [sample.make() for _ in hostile]
        records: list[tuple[bytes | None, bytes | None, Headers]] = []
        for bad, event in zip(hostile, valid, strict=True):
            records.append((bad.key, bad.value, bad.headers))
            records.append(corpus.record(event))
        valid_ids = [dict(headers)["ce_id"].decode() for _k, _v, headers in records[1::2]]
        physical = svc.topic(topic)

        async def claims() -> set[str]:
            rows = await svc.pool.fetch("SELECT event_id FROM inbox WHERE topic = $1", physical)
            return {r["event_id"] for r in rows}

        async with running_worker(svc):
            positions = await _send(svc, topic, records)
            await eventually(claims, lambda c: c.issuperset(valid_ids), timeout=60,
                             what="every valid event after a hostile one applied")
            await eventually(lambda: sample.effect(svc.pool, valid), bool, timeout=30,
                             what=f"the effect of every {type(valid[0]).__name__}")
            expected = {positions[2 * i]: bad for i, bad in enumerate(hostile) if bad.outcome == "dead_lettered"}
            letters = await read_topic(stack.bootstrap, svc.settings.dead_letter_topic, at_least=len(expected))
            await eventually(lambda: committed(stack, svc.settings.group_id, physical),
                             lambda n: n == len(records), timeout=30, what="every offset committed")
        lettered = {(int(header(r, "kasane_dlt_partition") or -1), int(header(r, "kasane_dlt_offset") or -1)): r
                    for r in letters}
        assert {bad.what for p, bad in expected.items() if p not in lettered} == set(), "not dead-lettered"
        names = {p: hostile[i // 2].what if i % 2 == 0 else f"the valid event after {hostile[i // 2].what}"
                 for i, p in enumerate(positions)}
        assert {names.get(p, p) for p in lettered if p not in expected} == set(), "dead-lettered, but should not be"
        assert len(letters) == len(expected)
        reasons = [header(r, "kasane_dlt_error") or "" for r in letters]
        assert all(reasons), reasons
        assert all(header(r, "kasane_dlt_topic") == physical for r in letters)
        assert not any(SECRET in reason for reason in reasons), reasons  # never a value
        claimed = await claims()
        for bad in hostile:
            ce_id = dict(bad.headers).get("ce_id", b"").decode(errors="replace")
            if bad.outcome == "applied":
                assert ce_id in claimed, f"{bad.what}: not applied"
            elif bad.outcome == "skipped":
                assert ce_id not in claimed, f"{bad.what}: claimed though skipped"
        assert sum(bad.outcome == "applied" for bad in hostile) + len(valid) == len(claimed)
    tried.append(len(hostile))
