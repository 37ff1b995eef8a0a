"""Listing and replaying a consumer group's dead letters (``<service> dlt list|replay``).

A dead letter is the original record, unchanged, with ``kasane_dlt_*`` headers naming
where it came from and why it failed. Replaying sends it back to its original topic
without those headers; the consumer's inbox makes a replay of an event that was in fact
applied harmless.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

from kasane_shared.events.consumer import DLT_HEADERS
from kasane_shared.kafka import connection_options, idempotent_producer
from kasane_shared.settings import ServiceSettings


@dataclass(frozen=True)
class DeadLetter:
    """One record of a dead-letter topic."""

    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k == name:
                return v.decode("utf-8", "replace")
        return None

    def summary(self) -> dict[str, str | int | None]:
        return {
            "offset": self.offset,
            "ce_type": self.header("ce_type"),
            "ce_id": self.header("ce_id"),
            "ce_source": self.header("ce_source"),
            "topic": self.header("kasane_dlt_topic"),
            "partition": self.header("kasane_dlt_partition"),
            "original_offset": self.header("kasane_dlt_offset"),
            "attempts": self.header("kasane_dlt_attempts"),
            "at": self.header("kasane_dlt_at"),
            "error": self.header("kasane_dlt_error"),
        }


async def read_dead_letters(settings: ServiceSettings) -> list[DeadLetter]:
    """Every record now in the group's dead-letter topic, oldest first."""
    topic = settings.dead_letter_topic
    consumer = AIOKafkaConsumer(
        enable_auto_commit=False, auto_offset_reset="earliest", **connection_options(settings)
    )
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            partitions = await _partitions(consumer, topic)
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        letters: list[DeadLetter] = []
        remaining = {tp for tp in tps if ends[tp] > 0}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, records in batch.items():
                for r in records:
                    letters.append(DeadLetter(r.offset, r.key, r.value, list(r.headers)))
                    if r.offset + 1 >= ends[tp]:
                        remaining.discard(tp)
            if not batch:
                for tp in list(remaining):
                    if await consumer.position(tp) >= ends[tp]:
                        remaining.discard(tp)
        return sorted(letters, key=lambda d: d.offset)
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    with contextlib.suppress(Exception):
        await consumer._client.force_metadata_update()  # metadata for an unsubscribed topic
    return consumer.partitions_for_topic(topic) or set()


async def replay(settings: ServiceSettings, offsets: list[int] | None) -> list[int]:
    """Send dead letters (all, or those at ``offsets``) back to their original topics."""
    letters = await read_dead_letters(settings)
    chosen = [d for d in letters if offsets is None or d.offset in offsets]
    producer = idempotent_producer(settings)
    await producer.start()
    try:
        for letter in chosen:
            original = letter.header("kasane_dlt_topic")
            if not original:
                continue
            headers = [(k, v) for k, v in letter.headers if k not in DLT_HEADERS]
            headers.append(("kasane_replayed_from", f"{settings.dead_letter_topic}@{letter.offset}".encode()))
            await producer.send_and_wait(original, value=letter.value, key=letter.key, headers=headers)
    finally:
        await producer.stop()
    return [d.offset for d in chosen]
