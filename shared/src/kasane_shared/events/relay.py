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

A row the broker refuses (too large for the topic, invalid: ``parking.REFUSALS``) would
stop the outbox for ever; after ``relay_park_after`` refusals it is parked instead (kept,
listed by ``kasane-<service> outbox parked``, replayed with ``outbox unpark``). Later rows
of its key (topic and aggregate id) are not read while it is parked, so per-key order
holds; other keys flow. Outages are never charged to a row (see ``parking``).
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
from aiokafka.errors import KafkaError, RecordTooLargeError
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.producer.message_accumulator import BatchBuilder
from opentelemetry import propagate, trace
from opentelemetry.trace import Link, SpanKind

from kasane_shared import metrics
from kasane_shared.db.pool import connect
from kasane_shared.events.base import schema_uri
from kasane_shared.events.envelope import Envelope, encode
from kasane_shared.events.parking import Failure, key_hash, settle
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
Sent = list[tuple[asyncio.Future[Any], list[int]]]  # a batch's ack, the seqs in it

# Unpublished rows in seq order, skipping parked rows and every later row of a parked
# row's key (the partial index outbox_parked answers the probe). The payload is read as
# text: it goes out as the record's value without a decode/encode round.
_READ = """SELECT seq, id, aggregate_id, type, topic, payload::text AS payload,
                  headers ->> 'ce_subject' AS subject, traceparent, tracestate, created_at
             FROM outbox o
            WHERE published_at IS NULL AND parked_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM outbox p
                               WHERE p.parked_at IS NOT NULL AND p.published_at IS NULL
                                 AND p.topic = o.topic AND p.aggregate_id = o.aggregate_id
                                 AND p.seq < o.seq)
            ORDER BY seq LIMIT $1"""


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
        self._one_per_batch = False  # after a refusal, until a round has none (parking)
        metrics.relay_leader[settings.service] = 0
        metrics.outbox_parked.setdefault(settings.service, 0)  # read with the backlog

    async def run(self, stop: asyncio.Event) -> None:
        """Campaign for leadership, publish while leading, step down when ``stop`` is set."""
        while not stop.is_set():
            conn: asyncpg.Connection | None = None
            try:
                conn = await connect(self.settings.database_url)
                if await conn.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK_KEY):
                    self.is_leader = True
                    metrics.relay_leader[self.settings.service] = 1
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
                metrics.relay_leader[self.settings.service] = 0
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
                sent, failed, parked = await self._publish_batch(conn, producer)
                await self._read_backlog(conn, force=failed)
                await self._housekeep(conn)
                if failed:
                    # A fresh producer (new producer id) after a failure, then back off;
                    # parking a row is progress: the other keys go on at once.
                    await self._stop_producer(producer)
                    producer = None
                    if parked:
                        backoff = 0.5
                        continue
                    await _sleep_unless(stop, backoff)
                    backoff = min(backoff * 2, 10.0)
                    continue
                backoff = 0.5
                metrics.relay_last_publish[self.settings.service] = time.time()
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
    ) -> tuple[int, bool, bool]:
        """Send one batch; return (rows marked published, whether a send failed, whether a
        row was parked)."""
        rows = await conn.fetch(_READ, self.settings.relay_batch_size)
        if not rows:
            return 0, False, False
        with self._batch_span(rows):
            sent, unsent = await self._send_rows(producer, rows, alone=self._one_per_batch)
            results = await asyncio.gather(*(ack for ack, _ in sent), return_exceptions=True)
        settled = settle(
            [row["seq"] for row in rows],
            [(seqs, r if isinstance(r, BaseException) else None)
             for (_, seqs), r in zip(sent, results, strict=True)],
            unsent,
        )
        delivered = settled.marked
        self._one_per_batch = settled.refused  # find the refused row: one row per batch next round
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
        failure = settled.failure
        if failure is None:
            self.kafka_ok = True
            return len(delivered), False, False
        self.kafka_ok = settled.refused  # a refusal is an answer: the broker is there
        failed_row = next(row for row in rows if row["seq"] == failure.seq)
        reason = describe_error(failure.error)
        if settled.culprit is not None:
            return len(delivered), True, await self._charge(conn, failed_row, reason)
        await conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE seq = $1",
            failed_row["seq"],
            reason,
        )
        log.warning("outbox relay stopped a batch at seq %s: %s", failed_row["seq"], reason)
        return len(delivered), True, False

    async def _charge(self, conn: asyncpg.Connection, row: asyncpg.Record, reason: str) -> bool:
        """Count a refusal of ``row`` (sent alone, so it is about this row); park the row at
        ``relay_park_after`` refusals. Returns whether it was parked."""
        parked = await conn.fetchval(
            """UPDATE outbox SET attempts = attempts + 1, refusals = refusals + 1, last_error = $2,
                      parked_at = CASE WHEN refusals + 1 >= $3 THEN now() END,
                      park_reason = CASE WHEN refusals + 1 >= $3 THEN $2 END
                WHERE seq = $1 AND published_at IS NULL
            RETURNING parked_at IS NOT NULL""",
            row["seq"], reason, self.settings.relay_park_after,
        )
        # seq, topic and a key digest find the row and its held rows; never the payload
        where = (row["seq"], self.settings.topic(row["topic"]), key_hash(row["aggregate_id"]))
        if parked:
            log.warning(
                "outbox row parked: seq %s, topic %s, key hash %s; later rows of its key wait: %s",
                *where, reason,
                extra={"service": self.settings.service, "outbox_seq": row["seq"]},
            )
        else:
            log.warning("the broker refused outbox row seq %s, topic %s, key hash %s: %s", *where, reason)
        return bool(parked)

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
        self, producer: AIOKafkaProducer, rows: Sequence[asyncpg.Record], *, alone: bool = False
    ) -> tuple[Sent, Failure | None]:
        """Append the rows to one record batch per partition, in seq order, and hand each
        full batch to the producer; return each batch's ack with its seqs, and the first row
        not handed over (if any). ``alone`` sends each row in a batch of its own and waits for
        its ack before the next, so that a refusal names its row (slow, used only to find a
        refused row).

        Building batches here instead of calling ``send()`` per record costs a third of the
        CPU per event (measured in bench/platform.py); partitions come from Kafka's default
        (murmur2) partitioner over all partitions, as ``send()`` would pick for a key, so a
        key's partition never changes. Per partition the producer still sends one batch at
        a time, in order.
        """
        open_batches: dict[tuple[str, int], tuple[BatchBuilder, list[int]]] = {}
        sent: Sent = []
        unsent: Failure | None = None
        for row in rows:
            topic = self.settings.topic(row["topic"])
            try:
                key, value, headers = self._encode(row)
                partition = await self._partition(producer, topic, key)
                slot = (topic, partition)
                builder, seqs = open_batches.get(slot) or (producer.create_batch(), [])
                if builder.append(key=key, value=value, timestamp=None, headers=headers) is None:
                    if seqs:  # full: send it, start the next one
                        del open_batches[slot]
                        sent.append((await producer.send_batch(builder, topic, partition=partition), seqs))
                    builder, seqs = producer.create_batch(), []
                    if builder.append(key=key, value=value, timestamp=None, headers=headers) is None:
                        # defensive (aiokafka takes any first record): about this row
                        # alone, and the rows before it still go
                        too_large = RecordTooLargeError(f"outbox row {row['seq']} is larger than a record batch")
                        unsent = Failure(row["seq"], too_large, alone=True)
                        break
                seqs.append(row["seq"])
                if not alone:
                    open_batches[slot] = (builder, seqs)
                    continue
                # one at a time: nothing goes out after a refused row, so no later row of
                # its key overtakes it
                ack = await producer.send_batch(builder, topic, partition=partition)
                sent.append((ack, seqs))
                try:
                    await ack
                except (KafkaError, OSError):
                    break  # settle() reads the error from the ack
            except (KafkaError, OSError) as exc:
                return sent, Failure(self._lowest_unsent(open_batches, row["seq"]), exc, alone=False)
        for (topic, partition), (builder, seqs) in sorted(open_batches.items(), key=lambda item: item[1][1][0]):
            try:
                sent.append((await producer.send_batch(builder, topic, partition=partition), seqs))
            except (KafkaError, OSError) as exc:
                return sent, Failure(seqs[0], exc, alone=False)  # sorted: the lowest left unsent
        return sent, unsent

    @staticmethod
    def _lowest_unsent(open_batches: dict[tuple[str, int], tuple[BatchBuilder, list[int]]], seq: int) -> int:
        return min([seq, *(seqs[0] for _builder, seqs in open_batches.values())])

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
                dataschema=schema_uri(row["type"]),  # the $id of docs/events/schemas/<type>.json
            )
        )

    async def _read_backlog(self, conn: asyncpg.Connection, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_backlog_read < 1.0:
            return
        self._last_backlog_read = now
        # rows held behind a parked row of their key count as waiting: their age shows it
        row = await conn.fetchrow(
            """SELECT count(*) FILTER (WHERE parked_at IS NULL),
                      coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE parked_at IS NULL)),
                               0)::float8,
                      count(*) FILTER (WHERE parked_at IS NOT NULL)
                 FROM outbox WHERE published_at IS NULL"""
        )
        assert row is not None  # an aggregate always answers one row
        count, oldest, parked = row[0], row[1], row[2]
        metrics.outbox_backlog[self.settings.service] = count
        metrics.outbox_oldest_age[self.settings.service] = max(oldest, 0.0)
        metrics.outbox_parked[self.settings.service] = parked

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

