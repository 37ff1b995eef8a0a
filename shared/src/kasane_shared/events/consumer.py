"""The inbox consumer: applies each event exactly once to the service's database.

For every record: decode the CloudEvent, find the handler for its type, then in one
transaction claim ``(consumer, ce_source, ce_id)`` in the ``inbox`` table and run the
handler; after the commit, commit that record's offset. A redelivered event finds its
claim and changes nothing.

Partitions are worked concurrently, each strictly in order. Failures:

* a record that can never succeed (not a CloudEvent, data that fails its model, a handler
  raising :class:`Rejected`) goes straight to the group's dead-letter topic;
* any other handler error is retried with backoff, then dead-lettered, so one bad record
  never blocks the partition behind it;
* the database or Kafka being unreachable is waited out, never dead-lettered: an outage
  must not turn good events into dead letters.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from opentelemetry import propagate
from opentelemetry.trace import SpanKind
from pydantic import ValidationError

from kasane_shared import metrics
from kasane_shared.events.base import Event, event_class
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


class Rejected(Exception):
    """Raised by a handler for an event it can never apply; the message names why
    (ids and codes only: it travels in a Kafka header)."""


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
        """``strict_topics`` (logical names): inbound topics where a record of a type with no
        handler is refused to the dead-letter topic; elsewhere such records are another
        service's facts this one does not act on, and are skipped."""
        self.settings = settings
        self.pool = pool
        self.topics = [settings.topic(t) for t in topics]
        self.handlers = dict(handlers)
        self.strict_topics = {settings.topic(t) for t in strict_topics}
        self.kafka_options = dict(kafka_options or {})
        self.name = settings.group_id
        self.kafka_ok = False
        self.assigned = False
        self._consumer: AIOKafkaConsumer | None = None
        self._dlt: AIOKafkaProducer | None = None
        self._next_offset: dict[TopicPartition, int] = {}
        for type_ in self.handlers:
            if event_class(type_) is None:
                raise ValueError(f"handler for unregistered event type {type_}")

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
                self.assigned = bool(consumer.assignment())
                if batch:
                    await asyncio.gather(
                        *(self._work_partition(consumer, tp, recs, stop) for tp, recs in batch.items())
                    )
                self._record_lag(consumer)
        finally:
            with contextlib.suppress(Exception):
                await consumer.stop()
            if self._dlt is not None:
                with contextlib.suppress(Exception):
                    await self._dlt.stop()

    async def _start(self, stop: asyncio.Event) -> AIOKafkaConsumer | None:
        delay = 0.5
        while not stop.is_set():
            consumer = group_consumer(self.settings, *self.topics, **self.kafka_options)
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
        outcome = await self._handle(record, stop or asyncio.Event())
        metrics.events_consumed.add(1, {"group": self.name, "outcome": outcome})
        return outcome

    async def _handle(self, record: ConsumerRecord, stop: asyncio.Event) -> str:
        try:
            envelope = decode(record.headers, record.key, record.value)
        except InvalidEnvelope as exc:
            await self._dead_letter(record, str(exc), 1, stop)
            return "dead_lettered"
        handler = self.handlers.get(envelope.type)
        if handler is None:
            if record.topic in self.strict_topics:
                await self._dead_letter(record, f"unknown event type {envelope.type}", 1, stop)
                return "dead_lettered"
            return "skipped"  # another service's fact this one does not act on
        model = event_class(envelope.type)
        assert model is not None
        try:
            event = model.model_validate(envelope.data)
        except ValidationError as exc:
            await self._dead_letter(record, describe_error(exc), 1, stop)
            return "dead_lettered"
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
                delay = min(self.settings.consumer_backoff_seconds * 2 ** (attempt - 1), 30.0)
                log.warning(
                    "handler failed for %s %s (attempt %d), retrying in %.1fs: %s",
                    envelope.type, envelope.id, attempt, delay, describe_error(exc),
                )
                await asyncio.sleep(delay)

    async def _dead_letter(
        self, record: ConsumerRecord, reason: str, attempts: int, stop: asyncio.Event
    ) -> None:
        """Publish the record unchanged to ``<group>.dlt`` with its position and the error."""
        headers = [(k, v) for k, v in record.headers if not k.startswith("kasane_dlt_")]
        headers += [
            ("kasane_dlt_topic", record.topic.encode()),
            ("kasane_dlt_partition", str(record.partition).encode()),
            ("kasane_dlt_offset", str(record.offset).encode()),
            ("kasane_dlt_group", self.name.encode()),
            ("kasane_dlt_error", reason[:1000].encode()),
            ("kasane_dlt_attempts", str(attempts).encode()),
            ("kasane_dlt_at", datetime.now(UTC).isoformat().encode()),
        ]
        delay = 0.5
        while True:
            try:
                if self._dlt is None:
                    self._dlt = idempotent_producer(self.settings)
                    await self._dlt.start()
                await self._dlt.send_and_wait(
                    self.settings.dead_letter_topic, value=record.value, key=record.key,
                    headers=headers,
                )
                break
            except (KafkaError, OSError) as exc:
                # Until the dead letter is safely stored the offset is not committed.
                log.warning("dead-letter publish failed, retrying: %s", describe_error(exc))
                if self._dlt is not None:
                    with contextlib.suppress(Exception):
                        await self._dlt.stop()
                    self._dlt = None
                if stop.is_set():
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
        metrics.dead_letters.add(1, {"group": self.name})
        log.error(
            "dead-lettered %s:%s@%s: %s", record.topic, record.partition, record.offset, reason
        )

    def _record_lag(self, consumer: AIOKafkaConsumer) -> None:
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            position = self._next_offset.get(tp)
            if highwater is not None and position is not None:
                metrics.consumer_lag[(self.name, tp.topic, tp.partition)] = max(highwater - position, 0)
