"""Reading what really landed on a topic, and waiting for eventual outcomes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

T = TypeVar("T")


async def read_topic(
    bootstrap: str, topic: str, *, at_least: int = 0, timeout: float = 20.0, settle: float = 0.5
) -> list[ConsumerRecord]:
    """Every record on ``topic`` (all partitions, from the start) once at least ``at_least``
    are there and no more arrive for ``settle`` seconds; partition order is kept."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        parts = consumer.partitions_for_topic(topic)
        deadline = time.monotonic() + timeout
        while not parts and time.monotonic() < deadline:
            await consumer._client.force_metadata_update()
            parts = consumer.partitions_for_topic(topic)
        assert parts, f"topic {topic} does not exist"
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        records: list[ConsumerRecord] = []
        last_new = time.monotonic()
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for recs in batch.values():
                records.extend(recs)
                last_new = time.monotonic()
            if len(records) >= at_least and time.monotonic() - last_new >= settle:
                break
        return records
    finally:
        await consumer.stop()


def header(record: ConsumerRecord, name: str) -> str | None:
    for k, v in record.headers:
        if k == name:
            return v.decode()
    return None


async def eventually(
    probe: Callable[[], Awaitable[T]], check: Callable[[T], bool], *, timeout: float = 20.0,
    interval: float = 0.1, what: str = "condition",
) -> T:
    """Poll ``probe`` until ``check`` holds; fail with the last value after ``timeout``."""
    deadline = time.monotonic() + timeout
    value = await probe()
    while not check(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout}s; last value: {value!r}")
        await asyncio.sleep(interval)
        value = await probe()
    return value
