"""A real service under test: its own database (migrations applied), its real ASGI app,
and its worker's relay and consumer running in-process against real Kafka, all in a
topic namespace of its own.

    async with service_env(stack, intake.SPEC, "intake_consent") as svc:
        r = await svc.client.post("/v1/consultations", json=..., headers=stack.auth(...))
        async with svc.worker():
            await svc.publish(CaseOpened(...), source="/kasane/coordination")
            records = await svc.read(INTAKE.name, at_least=2)
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer, ConsumerRecord
from fastapi import FastAPI
from kasane_shared.db.pool import create_pool
from kasane_shared.events.base import Event
from kasane_shared.events.consumer import EventContext, InboxConsumer
from kasane_shared.events.envelope import Envelope, encode
from kasane_shared.events.relay import OutboxRelay
from kasane_shared.events.streams import all_topics
from kasane_shared.service import ServiceSpec, WorkerContext, bind, build_api
from kasane_shared.settings import ServiceSettings

from tests.support.app import client_for
from tests.support.kafka import read_topic
from tests.support.runners import running
from tests.support.stack import PROFILE, TestStack


@dataclass
class ServiceEnv:
    stack: TestStack
    spec: ServiceSpec
    settings: ServiceSettings
    pool: asyncpg.Pool
    app: FastAPI
    client: httpx.AsyncClient

    def topic(self, logical: str) -> str:
        return self.settings.topic(logical)

    @contextlib.asynccontextmanager
    async def worker(self, *, relay: bool = True, consumer: bool = True) -> AsyncIterator[asyncio.Event]:
        """Run the service's relay and inbox consumer (as its worker does) for the block."""
        runners: list[OutboxRelay | InboxConsumer] = []
        if relay and self.spec.stream is not None:
            runners.append(OutboxRelay(self.settings, source=self.spec.stream.source))
        if consumer and self.spec.consumes:
            runners.append(InboxConsumer(self.settings, self.pool, topics=[s.name for s in self.spec.consumes],
                                         handlers=bind(self.spec.handlers, self.context),
                                         strict_topics=[s.name for s in self.spec.strict_topics]))
        async with running(*runners) as stop:
            yield stop

    @property
    def context(self) -> WorkerContext:
        return self.spec.context(self.settings, self.spec.load_profile(self.settings))

    async def run_job(self, name: str) -> None:
        """Run one tick of a periodic job now (what the worker does on its schedule)."""
        job = next(j for j in self.spec.jobs if j.name == name)
        async with self.pool.acquire() as conn, conn.transaction():
            await job.run(conn, self.context)

    async def publish(
        self, event: Event, *, source: str | None = None, event_id: str | None = None,
        time: datetime | None = None, key: str | None = None,
    ) -> str:
        """Put ``event`` on its stream's topic in this namespace, as its owner would: by default
        stamped with a database server's clock, as an owner's outbox stamps ``ce_time``
        (the test process's clock may be faked to another hour, see tests/support/faked_clock.py)."""
        eid = event_id or str(uuid.uuid4())
        if time is None:
            time = await self.pool.fetchval("SELECT clock_timestamp()")
        k, value, headers = encode(Envelope(
            id=eid, source=source or event.stream.source, type=event.event_type,
            time=time, data=event.payload(), key=key or event.aggregate_id,
            subject=f"{event.aggregate_type}/{event.aggregate_id}",
        ))
        await self.produce(event.stream.name, k, value, headers)
        return eid

    async def apply(self, event: Event, *, source: str | None = None) -> None:
        """Apply ``event`` now through the service's own handler, in one transaction, as its
        consumer would (to set up a fact a test builds on without running the worker; tests
        of the consuming itself publish with :meth:`publish`)."""
        handler = bind(self.spec.handlers, self.context)[event.event_type]
        async with self.pool.acquire() as conn, conn.transaction():
            now = await conn.fetchval("SELECT clock_timestamp()")
            await handler(conn, event, EventContext(
                id=str(uuid.uuid4()), source=source or event.stream.source, type=event.event_type, time=now,
                subject=f"{event.aggregate_type}/{event.aggregate_id}", key=event.aggregate_id,
                topic=self.topic(event.stream.name), partition=0, offset=-1))

    async def produce(self, logical_topic: str, key: bytes | None, value: bytes,
                      headers: list[tuple[str, bytes]]) -> None:
        """Put a raw record on a topic in this namespace (for malformed-input tests)."""
        producer = AIOKafkaProducer(bootstrap_servers=self.stack.bootstrap, enable_idempotence=True)
        await producer.start()
        try:
            await producer.send_and_wait(self.topic(logical_topic), value=value, key=key, headers=headers)
        finally:
            await producer.stop()

    async def read(self, logical_topic: str, **kwargs: Any) -> list[ConsumerRecord]:
        """Every record now on a topic of this namespace."""
        return await read_topic(self.stack.bootstrap, self.topic(logical_topic), **kwargs)


@contextlib.asynccontextmanager
async def service_env(
    stack: TestStack, spec: ServiceSpec, name: str, **overrides: Any
) -> AsyncIterator[ServiceEnv]:
    """A fresh database, topics and app for ``spec``; ``name`` keeps them apart."""
    prefix = f"{stack.prefix}{name}."
    url = await stack.create_database(name, spec.all_migrations())
    settings = stack.settings(spec.settings_class, url, topic_prefix=prefix, **overrides)
    await stack.ensure_topics(all_topics(prefix))
    pool = await create_pool(url, max_size=10)
    app = build_api(spec, settings)
    try:
        async with client_for(app) as client:
            yield ServiceEnv(stack, spec, settings, pool, app, client)
    finally:
        await pool.close()


__all__ = ["PROFILE", "ServiceEnv", "service_env"]
