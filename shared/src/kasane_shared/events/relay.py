"""The outbox relay: publishes committed outbox rows to Kafka, in ``seq`` order.

One relay per service database is active at a time: each candidate holds a dedicated
connection and tries a session advisory lock; the holder leads, the others wait as
standbys and take over when its session ends (crash, stop, lost connection). Two relays
sharing the work with SKIP LOCKED would reorder a key's events, so they never do.

The leader reads a batch of unpublished rows, sends them all through an idempotent
producer (acks=all), awaits the acknowledgements in order and marks published only the
prefix before the first failure, so nothing overtakes a row that failed.

Tracing follows OpenTelemetry's messaging conventions for batch sends: a message is
created when its outbox row is written, so its ``traceparent`` header is the writer's
context stored with the row, and the consumer's span continues that trace; the relay
records one ``publish`` span per batch, linked to the messages' contexts. It sleeps until
a NOTIFY from the outbox trigger or the poll tick. Kafka being down only grows the
backlog; writes never fail because of it.

A relay that dies after sending and before marking sends those rows again when it (or a
standby) resumes: delivery is at least once, and consumers' inboxes absorb the repeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, MessageSizeTooLargeError
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.producer.message_accumulator import BatchBuilder
from opentelemetry import propagate, trace
from opentelemetry.trace import Link, SpanKind

from kasane_shared import metrics
from kasane_shared.db.pool import connect
from kasane_shared.events.envelope import Envelope, encode
from kasane_shared.kafka import idempotent_producer
from kasane_shared.logs import describe_error
from kasane_shared.settings import ServiceSettings
from kasane_shared.telemetry import tracer

log = logging.getLogger(__name__)

RELAY_LOCK_KEY = 0x6B6173616E6552  # "kasaneR": one relay per service database
CHANNEL = "kasane_outbox"
_HOUSEKEEPING_SECONDS = 600
_MAX_LINKS = 128  # the SDK's default span link limit

SentHook = Callable[[Sequence[asyncpg.Record]], Awaitable[None]]


def published_prefix(
    seqs: Sequence[int], batches: Sequence[tuple[int, bool]], unsent_from: int | None
) -> tuple[list[int], int | None]:
    """Which rows may be marked published: those before the first row that did not reach
    Kafka, whichever batch or partition it was in (nothing overtakes a failure).

    ``batches`` are (lowest seq in the batch, failed?); ``unsent_from`` is the lowest seq never
    handed to the producer. Returns the seqs to mark and the first failed seq (or None).
    """
    failed = [lowest for lowest, did_fail in batches if did_fail]
    if unsent_from is not None:
        failed.append(unsent_from)
    first = min(failed, default=None)
    return [seq for seq in seqs if first is None or seq < first], first


class _Unsent(Exception):
    """Handing rows to the producer failed part-way: what was handed over, and from which
    seq nothing was."""

    def __init__(self, sent: list[tuple[asyncio.Future[Any], int]], error: BaseException, seq: int) -> None:
        super().__init__(str(error))
        self.sent, self.error, self.seq = sent, error, seq


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


class OutboxRelay:
    """Publishes one service's outbox; run it with :meth:`run` until ``stop`` is set."""

    def __init__(
        self,
        settings: ServiceSettings,
        *,
        source: str,
        producer_factory: Callable[[], AIOKafkaProducer] | None = None,
        after_send: SentHook | None = None,
        published_retention_days: int = 7,
    ) -> None:
        self.settings = settings
        self.source = source
        # Batches of up to 256 KiB: fewer produce requests per event (the broker accepts 1 MiB).
        self._producer_factory = producer_factory or (
            lambda: idempotent_producer(settings, max_batch_size=262_144))
        # Test seam: runs after Kafka acknowledged a batch and before the rows are marked,
        # the window in which a crash makes the relay send those rows again.
        self._after_send = after_send
        self._retention_days = published_retention_days
        self.is_leader = False
        self.kafka_ok = False
        self.published = 0
        self._last_housekeeping = 0.0
        self._last_backlog_read = 0.0
        self._partitioner = DefaultPartitioner()
        self._topic_partitions: dict[str, list[int]] = {}
        self._key_partitions: dict[tuple[str, bytes | None], int] = {}

    async def run(self, stop: asyncio.Event) -> None:
        """Campaign for leadership, publish while leading, step down when ``stop`` is set."""
        while not stop.is_set():
            conn: asyncpg.Connection | None = None
            try:
                conn = await connect(self.settings.database_url)
                if await conn.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK_KEY):
                    self.is_leader = True
                    log.info("outbox relay leads", extra={"service": self.settings.service})
                    await self._lead(conn, stop)
                else:
                    await conn.close()
                    conn = None
                    await _sleep_unless(stop, self.settings.relay_standby_seconds)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("outbox relay lost its database: %s", describe_error(exc))
                await _sleep_unless(stop, 1.0)
            finally:
                self.is_leader = False
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close()  # ends the session: the lock goes to a standby

    async def _lead(self, conn: asyncpg.Connection, stop: asyncio.Event) -> None:
        wake = asyncio.Event()
        await conn.add_listener(CHANNEL, lambda *_args: wake.set())
        producer: AIOKafkaProducer | None = None
        backoff = 0.5
        try:
            while not stop.is_set():
                if producer is None:
                    producer = await self._start_producer()
                    if producer is None:
                        await self._read_backlog(conn, force=True)
                        await _sleep_unless(stop, backoff)
                        backoff = min(backoff * 2, 10.0)
                        continue
                wake.clear()  # before reading, so a commit during the read is not missed
                sent, failed = await self._publish_batch(conn, producer)
                await self._read_backlog(conn, force=failed)
                await self._housekeep(conn)
                if failed:
                    # A fresh producer (new producer id) after a failure, then back off.
                    await self._stop_producer(producer)
                    producer = None
                    await _sleep_unless(stop, backoff)
                    backoff = min(backoff * 2, 10.0)
                    continue
                backoff = 0.5
                if sent < self.settings.relay_batch_size:
                    waiter = asyncio.ensure_future(wake.wait())
                    stopper = asyncio.ensure_future(stop.wait())
                    await asyncio.wait(
                        {waiter, stopper},
                        timeout=self.settings.relay_poll_seconds,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    waiter.cancel()
                    stopper.cancel()
        finally:
            if producer is not None:
                await self._stop_producer(producer)

    async def _start_producer(self) -> AIOKafkaProducer | None:
        producer = self._producer_factory()
        try:
            await producer.start()
        except (KafkaError, OSError) as exc:
            self.kafka_ok = False
            log.warning("outbox relay cannot reach Kafka: %s", describe_error(exc))
            await self._stop_producer(producer)
            return None
        self.kafka_ok = True
        self._topic_partitions.clear()  # a new producer reads partition counts afresh
        self._key_partitions.clear()
        return producer

    @staticmethod
    async def _stop_producer(producer: AIOKafkaProducer) -> None:
        with contextlib.suppress(Exception):
            await producer.stop()

    async def _publish_batch(
        self, conn: asyncpg.Connection, producer: AIOKafkaProducer
    ) -> tuple[int, bool]:
        """Send one batch; return (rows marked published, whether a send failed)."""
        # payload as text: it goes out as the record's value without a decode/encode round
        rows = await conn.fetch(
            """SELECT seq, id, aggregate_id, type, topic, payload::text AS payload,
                      headers ->> 'ce_subject' AS subject, traceparent, tracestate, created_at
                 FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1""",
            self.settings.relay_batch_size,
        )
        if not rows:
            return 0, False
        error: BaseException | None = None
        failed_from: int | None = None  # the lowest seq that did not reach Kafka
        with self._batch_span(rows):
            sent: list[tuple[asyncio.Future[Any], int]] = []  # a batch's ack, its lowest seq
            try:
                sent = await self._send_rows(producer, rows)
            except _Unsent as unsent:
                sent, error, failed_from = unsent.sent, unsent.error, unsent.seq
            results = await asyncio.gather(*(ack for ack, _ in sent), return_exceptions=True)
        error = next((r for r in results if isinstance(r, BaseException)), error)
        delivered, failed_from = published_prefix(
            [row["seq"] for row in rows], [(lowest, isinstance(r, BaseException)) for (_, lowest), r in
                                           zip(sent, results, strict=True)], failed_from)
        if self._after_send is not None and delivered:
            await self._after_send(rows[: len(delivered)])
        if delivered:
            await conn.execute(
                "UPDATE outbox SET published_at = now(), attempts = attempts + 1, last_error = NULL"
                " WHERE seq = ANY($1::bigint[])",
                delivered,
            )
            self.published += len(delivered)
            metrics.events_published.add(len(delivered), {"service": self.settings.service})
        if error is not None:
            self.kafka_ok = False
            failed_row = next(row for row in rows if row["seq"] == failed_from)
            await conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE seq = $1",
                failed_row["seq"],
                describe_error(error),
            )
            log.warning(
                "outbox relay stopped a batch at seq %s: %s", failed_row["seq"], describe_error(error)
            )
            return len(delivered), True
        self.kafka_ok = True
        return len(delivered), False

    def _batch_span(self, rows: Sequence[asyncpg.Record]) -> Any:
        links = []
        for row in rows[:_MAX_LINKS]:
            if row["traceparent"]:
                ctx = trace.get_current_span(
                    propagate.extract({"traceparent": row["traceparent"]})
                ).get_span_context()
                if ctx.is_valid:
                    links.append(Link(ctx))
        topics = {row["topic"] for row in rows}
        return tracer.start_as_current_span(
            f"publish {next(iter(topics)) if len(topics) == 1 else 'outbox'}",
            kind=SpanKind.PRODUCER,
            links=links,
            attributes={
                "messaging.system": "kafka",
                "messaging.operation.type": "send",
                "messaging.batch.message_count": len(rows),
                "messaging.destination.name": ",".join(sorted(self.settings.topic(t) for t in topics)),
            },
        )

    async def _send_rows(
        self, producer: AIOKafkaProducer, rows: Sequence[asyncpg.Record]
    ) -> list[tuple[asyncio.Future[Any], int]]:
        """Append the rows to one record batch per partition, in seq order, and hand each
        full batch to the producer; return each batch's ack with its lowest seq.

        Building batches here instead of calling ``send()`` per record costs a third of the
        CPU per event (measured in bench/platform.py); partitions come from Kafka's default
        (murmur2) partitioner over all partitions, as ``send()`` would pick for a key, so a
        key's partition never changes. Per partition the producer still sends one batch at
        a time, in order.
        """
        open_batches: dict[tuple[str, int], tuple[BatchBuilder, int]] = {}
        sent: list[tuple[asyncio.Future[Any], int]] = []
        for row in rows:
            topic = self.settings.topic(row["topic"])
            try:
                key, value, headers = self._encode(row)
                partition = await self._partition(producer, topic, key)
                slot = (topic, partition)
                builder, lowest = open_batches.get(slot) or (producer.create_batch(), row["seq"])
                if builder.append(key=key, value=value, timestamp=None, headers=headers) is None:
                    sent.append((await producer.send_batch(builder, topic, partition=partition), lowest))
                    builder, lowest = producer.create_batch(), row["seq"]
                    if builder.append(key=key, value=value, timestamp=None, headers=headers) is None:
                        raise MessageSizeTooLargeError(f"outbox row {row['seq']} is larger than a batch")
                open_batches[slot] = (builder, lowest)
            except (KafkaError, OSError) as exc:
                raise _Unsent(sent, exc, self._lowest_unsent(open_batches, row["seq"])) from exc
        for (topic, partition), (builder, lowest) in open_batches.items():
            try:
                sent.append((await producer.send_batch(builder, topic, partition=partition), lowest))
            except (KafkaError, OSError) as exc:
                raise _Unsent(sent, exc, lowest) from exc
        return sent

    @staticmethod
    def _lowest_unsent(open_batches: dict[tuple[str, int], tuple[BatchBuilder, int]], seq: int) -> int:
        return min([seq, *(lowest for _builder, lowest in open_batches.values())])

    async def _partition(self, producer: AIOKafkaProducer, topic: str, key: bytes | None) -> int:
        """Kafka's default partition for ``key``: murmur2 in pure Python costs more than the
        rest of a record's handling, and aggregates publish again and again, so remember it."""
        known = self._key_partitions.get((topic, key))
        if known is not None:
            return known
        partitions = self._topic_partitions.get(topic)
        if partitions is None:
            partitions = sorted(await producer.partitions_for(topic))
            self._topic_partitions[topic] = partitions
        if len(self._key_partitions) > 100_000:
            self._key_partitions.clear()
        known = self._key_partitions[(topic, key)] = int(self._partitioner(key, partitions, partitions))
        return known

    def _encode(self, row: asyncpg.Record) -> tuple[bytes | None, bytes, list[tuple[str, bytes]]]:
        trace_headers = {"traceparent": row["traceparent"]} if row["traceparent"] else {}
        if row["tracestate"]:
            trace_headers["tracestate"] = row["tracestate"]
        return encode(
            Envelope(
                id=str(row["id"]),
                source=self.source,
                type=row["type"],
                time=row["created_at"],
                data=row["payload"].encode(),
                subject=row["subject"],
                key=row["aggregate_id"],
                trace_headers=trace_headers,
            )
        )

    async def _read_backlog(self, conn: asyncpg.Connection, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_backlog_read < 1.0:
            return
        self._last_backlog_read = now
        count = await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        metrics.outbox_backlog[self.settings.service] = count

    async def _housekeep(self, conn: asyncpg.Connection) -> None:
        now = time.monotonic()
        if now - self._last_housekeeping < _HOUSEKEEPING_SECONDS:
            return
        self._last_housekeeping = now
        # Published rows are kept a week for investigation; idempotency keys a day.
        await conn.execute(
            "DELETE FROM outbox WHERE published_at < now() - make_interval(days => $1)",
            self._retention_days,
        )
        await conn.execute("DELETE FROM idempotency_keys WHERE created_at < now() - interval '1 day'")
        # Inbox claims outlive the topics' retention (30 days), so no redelivery can slip past.
        await conn.execute("DELETE FROM inbox WHERE processed_at < now() - interval '45 days'")

