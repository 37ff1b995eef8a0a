"""The inbox consumer: applies each event exactly once to the service's database.

For every record: decode the CloudEvent, find the handler for its type, then in one
transaction claim ``(consumer, ce_source, ce_id)`` in the ``inbox`` table and run the
handler; after the commit, commit that record's offset. A redelivered event finds its
claim and changes nothing.

Partitions are worked concurrently, each strictly in order. Every record ends in exactly
one of: applied, duplicate, skipped (a registered fact this service does not act on) or
dead-lettered; none can stop the partition:

* a record that can never succeed goes straight to the group's dead-letter topic with the
  reason (never the value) in ``kasane_dlt_error``: whatever :func:`decode` refuses (bytes
  that are not UTF-8, nesting, NaN, NUL, size, missing or repeated headers, wrong content
  type or spec version), a null key, a type no contract declares, a type published on
  another topic or by another source, data that fails its model, a handler raising
  :class:`Rejected`, or anything unexpected while reading it;
* any other handler error is retried with backoff, then dead-lettered;
* the database or Kafka being unreachable is waited out, never dead-lettered: an outage
  must not turn good events into dead letters.

Kasane's own topics are read tolerantly (fields and enum values a newer publisher added
are ignored, see :mod:`kasane_shared.events.base`); ``strict_topics`` (partner inbound)
are read strictly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError, MessageSizeTooLargeError
from opentelemetry import propagate
from opentelemetry.trace import SpanKind
from pydantic import ValidationError

from kasane_shared import metrics
from kasane_shared.events.base import TOLERANT, Event, event_class, is_type_name
from kasane_shared.events.envelope import Envelope, InvalidEnvelope, decode
from kasane_shared.kafka import group_consumer, idempotent_producer
from kasane_shared.logs import describe_error
from kasane_shared.settings import ServiceSettings
from kasane_shared.telemetry import tracer

log = logging.getLogger(__name__)

DLT_HEADERS = (
    "kasane_dlt_topic",
    "kasane_dlt_partition",
    "kasane_dlt_offset",
    "kasane_dlt_group",
    "kasane_dlt_error",
    "kasane_dlt_attempts",
    "kasane_dlt_at",
    "kasane_dlt_value_dropped",
)

# Connection-level failures: wait for the database instead of spending retries.
_OUTAGES: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.AdminShutdownError,
)
_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


class Rejected(Exception):
    """Raised by a handler for an event it can never apply; the message names why
    (ids and codes only: it travels in a Kafka header)."""


class _Refused(Exception):
    """A record that can never be applied, with the reason for its dead letter."""


@dataclass(frozen=True)
class EventContext:
    """Where an event came from, for handlers that keep a timeline or check the sender."""

    id: str
    source: str
    type: str
    time: datetime
    subject: str | None
    key: str | None
    topic: str
    partition: int
    offset: int


Handler = Callable[[asyncpg.Connection, Any, EventContext], Awaitable[None]]


def validation_reason(exc: ValidationError) -> str:
    """A model's refusal for a dead-letter header: field paths and error types only. A path
    part that is not a plain name (an unknown key a sender made up) is not repeated."""
    parts = []
    for err in exc.errors(include_input=False, include_url=False):
        loc = ".".join(str(p) if isinstance(p, int) or _FIELD.match(str(p)) else "?" for p in err["loc"])
        parts.append(f"{loc or '(root)'}: {err['type']}")
    return "invalid event data: " + "; ".join(parts)


class _Partitions(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka has no types
    """Keeps the consumer's view of what it holds, for readiness and lag."""

    def __init__(self, owner: InboxConsumer) -> None:
        self.owner = owner

    async def on_partitions_revoked(self, revoked: Any) -> None:
        self.owner.in_group = False
        for tp in revoked:
            self.owner.partitions.discard(tp)
            self.owner._next_offset.pop(tp, None)
            metrics.consumer_lag.pop((self.owner.name, tp.topic, tp.partition), None)

    async def on_partitions_assigned(self, assigned: Any) -> None:
        # Called after every join, with an empty set too when the group has more members
        # than partitions: that member is in the group and healthy.
        self.owner.partitions = set(assigned)
        self.owner.in_group = True


class InboxConsumer:
    """Consumes ``topics`` (logical names) in the service's group with ``handlers`` by type."""

    def __init__(
        self,
        settings: ServiceSettings,
        pool: asyncpg.Pool,
        *,
        topics: Sequence[str],
        handlers: Mapping[str, Handler],
        strict_topics: Collection[str] = (),
        kafka_options: Mapping[str, Any] | None = None,
    ) -> None:
        """``strict_topics`` (logical names): inbound topics read strictly, where a record of
        a type with no handler is refused to the dead-letter topic; elsewhere such records
        are another service's facts this one does not act on, and are skipped."""
        self.settings = settings
        self.pool = pool
        self.topics = [settings.topic(t) for t in topics]
        self.handlers = dict(handlers)
        self.strict_topics = {settings.topic(t) for t in strict_topics}
        self.kafka_options = dict(kafka_options or {})
        self.name = settings.group_id
        self.kafka_ok = False
        self.in_group = False  # joined, with an assignment (possibly empty)
        self.partitions: set[TopicPartition] = set()
        self.last_poll: float | None = None  # monotonic time of the last successful fetch
        self._consumer: AIOKafkaConsumer | None = None
        self._dlt: AIOKafkaProducer | None = None
        self._next_offset: dict[TopicPartition, int] = {}
        for type_ in self.handlers:
            if event_class(type_) is None:
                raise ValueError(f"handler for unregistered event type {type_}")
        for topic in self.topics:  # every series exists from the start, at zero
            for outcome in metrics.OUTCOMES:
                metrics.events_consumed.add(0, {"group": self.name, "topic": topic, "outcome": outcome})
            metrics.dead_letters.add(0, {"group": self.name, "topic": topic})

    @property
    def assigned(self) -> bool:
        return bool(self.partitions)

    def ready(self) -> bool:
        """In the group holding its assignment, and fetched within
        ``consumer_poll_stale_seconds`` (a stuck or dead loop is not ready)."""
        return (
            self.in_group and self.last_poll is not None
            and time.monotonic() - self.last_poll < self.settings.consumer_poll_stale_seconds
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set; finish the record in hand, then leave the group."""
        consumer = await self._start(stop)
        if consumer is None:
            return
        try:
            while not stop.is_set():
                try:
                    batch = await consumer.getmany(timeout_ms=500, max_records=200)
                except KafkaError as exc:
                    self.kafka_ok = False
                    log.warning("consumer fetch failed: %s", describe_error(exc))
                    await asyncio.sleep(1.0)
                    continue
                self.kafka_ok = True
                self.last_poll = time.monotonic()
                metrics.consumer_last_poll[self.name] = time.time()
                if batch:
                    await asyncio.gather(
                        *(self._work_partition(consumer, tp, recs, stop) for tp, recs in batch.items())
                    )
                self._record_lag(consumer)
        finally:
            self.in_group = False
            self.partitions = set()
            with contextlib.suppress(Exception):
                await consumer.stop()
            if self._dlt is not None:
                with contextlib.suppress(Exception):
                    await self._dlt.stop()
                self._dlt = None

    async def _start(self, stop: asyncio.Event) -> AIOKafkaConsumer | None:
        delay = 0.5
        while not stop.is_set():
            consumer = group_consumer(self.settings, **self.kafka_options)
            consumer.subscribe(self.topics, listener=_Partitions(self))
            try:
                await consumer.start()
                self._consumer = consumer
                self.kafka_ok = True
                return consumer
            except (KafkaError, OSError) as exc:
                self.kafka_ok = False
                log.warning("consumer cannot reach Kafka: %s", describe_error(exc))
                with contextlib.suppress(Exception):
                    await consumer.stop()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                delay = min(delay * 2, 10.0)
        return None

    async def _work_partition(
        self,
        consumer: AIOKafkaConsumer,
        tp: TopicPartition,
        records: list[ConsumerRecord],
        stop: asyncio.Event,
    ) -> None:
        for record in records:
            if stop.is_set():
                return  # not committed: the next owner of the partition starts here
            await self.handle(record, stop)
            try:
                await consumer.commit({tp: record.offset + 1})
                self._next_offset[tp] = record.offset + 1
            except KafkaError as exc:
                # Lost the partition in a rebalance (or Kafka went away): the new owner
                # re-reads from the last commit and the inbox absorbs the repeats.
                log.warning("offset commit failed on %s: %s", tp, describe_error(exc))
                return

    async def handle(self, record: ConsumerRecord, stop: asyncio.Event | None = None) -> str:
        """Apply one record; return the outcome (applied, duplicate, skipped, dead_lettered)."""
        stop = stop or asyncio.Event()
        try:
            outcome = await self._handle(record, stop)
        except Exception as exc:
            if stop.is_set():
                raise  # shutting down: the record stays uncommitted for the next owner
            # A fault of this code, not of the record's sender: say so loudly, keep the
            # record where an operator can replay it, and move on.
            log.exception("consumer failed on %s:%s@%s", record.topic, record.partition, record.offset)
            await self._dead_letter(record, f"internal error: {type(exc).__name__}", 1, stop)
            outcome = "dead_lettered"
        metrics.events_consumed.add(1, {"group": self.name, "topic": record.topic, "outcome": outcome})
        return outcome

    async def _handle(self, record: ConsumerRecord, stop: asyncio.Event) -> str:
        try:
            read = self._read(record)
        except _Refused as refused:
            await self._dead_letter(record, str(refused), 1, stop)
            return "dead_lettered"
        if read is None:
            return "skipped"  # another service's fact this one does not act on
        envelope, event, handler = read
        context = EventContext(
            id=envelope.id,
            source=envelope.source,
            type=envelope.type,
            time=envelope.time,
            subject=envelope.subject,
            key=envelope.key,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
        )
        with tracer.start_as_current_span(
            f"process {record.topic}",
            context=propagate.extract(dict(envelope.trace_headers)),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": record.topic,
                "messaging.consumer.group.name": self.name,
                "messaging.message.id": envelope.id,
                "messaging.kafka.offset": record.offset,
                "cloudevents.event_type": envelope.type,
            },
        ):
            return await self._apply(record, envelope, event, context, handler, stop)

    def _read(self, record: ConsumerRecord) -> tuple[Envelope, Event, Handler] | None:
        """The record as an event and its handler; None to skip it; :class:`_Refused` when
        it can never be applied."""
        strict = record.topic in self.strict_topics
        if record.key is None:
            raise _Refused("the record has no key (events are keyed by their aggregate id)")
        try:
            envelope = decode(record.headers, record.key, record.value)
        except InvalidEnvelope as exc:
            raise _Refused(str(exc)) from None
        named = envelope.type if is_type_name(envelope.type) else "(not a Kasane type name)"
        model = event_class(envelope.type)
        if model is None:
            raise _Refused(f"unknown event type {named}")
        if self.settings.topic(model.stream.name) != record.topic:
            raise _Refused(f"{named} is published on {model.stream.name}, not on this topic")
        if not strict and envelope.source != model.stream.source:
            raise _Refused(f"{named} comes from {model.stream.source}, not from this ce_source")
        handler = self.handlers.get(envelope.type)
        if handler is None:
            if strict:
                raise _Refused(f"unknown event type {named}")
            return None
        try:
            event = model.model_validate(envelope.data, context=None if strict else {TOLERANT: True})
        except ValidationError as exc:
            raise _Refused(validation_reason(exc)) from None
        return envelope, event, handler

    async def _apply(
        self,
        record: ConsumerRecord,
        envelope: Envelope,
        event: Event,
        context: EventContext,
        handler: Handler,
        stop: asyncio.Event,
    ) -> str:
        attempt = 0
        outage_wait = 0.5
        while True:
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    claimed = await conn.fetchval(
                        """INSERT INTO inbox (consumer, source, event_id, type, topic, partition, "offset")
                           VALUES ($1, $2, $3, $4, $5, $6, $7)
                           ON CONFLICT DO NOTHING RETURNING true""",
                        self.name, envelope.source, envelope.id, envelope.type,
                        record.topic, record.partition, record.offset,
                    )
                    if not claimed:
                        return "duplicate"
                    await handler(cast(asyncpg.Connection, conn), event, context)
                return "applied"
            except Rejected as exc:
                await self._dead_letter(record, f"rejected: {exc}", attempt + 1, stop)
                return "dead_lettered"
            except _OUTAGES as exc:
                if stop.is_set():
                    raise
                log.warning("database unavailable, waiting: %s", describe_error(exc))
                await asyncio.sleep(outage_wait)
                outage_wait = min(outage_wait * 2, 10.0)
            except Exception as exc:
                attempt += 1
                if attempt >= self.settings.consumer_max_attempts:
                    await self._dead_letter(record, describe_error(exc), attempt, stop)
                    return "dead_lettered"
                metrics.events_consumed.add(1, {"group": self.name, "topic": record.topic, "outcome": "retried"})
                delay = min(self.settings.consumer_backoff_seconds * 2 ** (attempt - 1), 30.0)
                log.warning(
                    "handler failed for %s %s (attempt %d), retrying in %.1fs: %s",
                    envelope.type, envelope.id, attempt, delay, describe_error(exc),
                )
                await asyncio.sleep(delay)

    async def _dead_letter(
        self, record: ConsumerRecord, reason: str, attempts: int, stop: asyncio.Event
    ) -> None:
        """Publish the record unchanged to ``<group>.dlt`` with its position and the error.

        A record too large for the dead-letter topic goes there without its value and
        headers (``kasane_dlt_value_dropped`` gives the size); it is still on its own topic
        at the offset the headers name, until retention ends."""
        position = [
            ("kasane_dlt_topic", record.topic.encode()),
            ("kasane_dlt_partition", str(record.partition).encode()),
            ("kasane_dlt_offset", str(record.offset).encode()),
            ("kasane_dlt_group", self.name.encode()),
            ("kasane_dlt_error", reason[:1000].encode()),
            ("kasane_dlt_attempts", str(attempts).encode()),
            ("kasane_dlt_at", datetime.now(UTC).isoformat().encode()),
        ]
        original = [(k, v) for k, v in record.headers if not k.startswith("kasane_dlt_")]
        value: bytes | None = record.value
        headers = original + position
        dropped = False
        delay = 0.5
        while True:
            try:
                if self._dlt is None:
                    self._dlt = idempotent_producer(self.settings)
                    await self._dlt.start()
                await self._dlt.send_and_wait(
                    self.settings.dead_letter_topic, value=value, key=record.key, headers=headers,
                )
                break
            except MessageSizeTooLargeError:
                await self._reset_dlt_producer()  # a refused batch leaves its sequence behind
                if dropped:
                    raise  # even the bare position does not fit: a broken dead-letter topic
                dropped = True
                size = len(record.value or b"") + sum(len(k) + len(v or b"") for k, v in original)
                value, headers = None, [*position, ("kasane_dlt_value_dropped", str(size).encode())]
            except (KafkaError, OSError) as exc:
                # Until the dead letter is safely stored the offset is not committed.
                log.warning("dead-letter publish failed, retrying: %s", describe_error(exc))
                await self._reset_dlt_producer()
                if stop.is_set():
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
        metrics.dead_letters.add(1, {"group": self.name, "topic": record.topic})
        # WARNING: the sender's fault, not this process's (an internal error was already
        # logged with its trace). Position and reason only, never the value.
        log.warning(
            "dead-lettered %s:%s@%s: %s", record.topic, record.partition, record.offset, reason,
            extra={"topic": record.topic, "partition": record.partition, "offset": record.offset,
                   "reason": reason[:1000]},
        )

    async def _reset_dlt_producer(self) -> None:
        if self._dlt is not None:
            with contextlib.suppress(Exception):
                await self._dlt.stop()
            self._dlt = None

    def _record_lag(self, consumer: AIOKafkaConsumer) -> None:
        assignment = consumer._subscription.subscription
        if assignment is None or assignment.assignment is None:
            return
        for tp in consumer.assignment():
            state = assignment.assignment.state_value(tp)
            if state is None:
                continue
            end = state.lso if state.lso not in (None, -1) else state.highwater
            position = self._next_offset.get(tp)
            if position is None and state.has_valid_position:
                position = state.position
            if end is not None and position is not None:
                metrics.consumer_lag[(self.name, tp.topic, tp.partition)] = max(end - position, 0)
