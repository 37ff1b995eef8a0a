"""What every benchmark needs: scratch databases and topics of its own, and percentiles."""

from __future__ import annotations

import os
import secrets
import statistics
from dataclasses import dataclass

import asyncpg
from kasane_shared.db.migrate import Migration, migrate
from kasane_shared.db.pool import connect
from kasane_shared.events.streams import TopicSpec
from kasane_shared.kafka import DAY_MS


@dataclass
class BenchEnv:
    bootstrap: str
    admin_url: str
    run_id: str

    @classmethod
    def from_environment(cls) -> BenchEnv:
        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
        admin_url = os.environ["DATABASE_URL"]
        return cls(bootstrap, admin_url, secrets.token_hex(3))

    @property
    def prefix(self) -> str:
        return f"bench{self.run_id}."

    async def database(self, name: str, migrations: list[Migration]) -> str:
        db = f"kasane_bench{self.run_id}_{name}"
        admin = await asyncpg.connect(self.admin_url)
        try:
            await admin.execute(f'CREATE DATABASE "{db}"')
        finally:
            await admin.close()
        url = self.admin_url.rsplit("/", 1)[0] + f"/{db}"
        conn = await connect(url)
        try:
            await migrate(conn, migrations)
        finally:
            await conn.close()
        return url

    async def topic(self, name: str, partitions: int = 6) -> str:
        """A fresh topic whose record timestamps are the broker's append time."""
        from aiokafka.admin import AIOKafkaAdminClient, NewTopic

        full = self.prefix + name
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(full, partitions, 1, topic_configs={
                "message.timestamp.type": "LogAppendTime", "retention.ms": str(DAY_MS)})])
        finally:
            await admin.close()
        return full

    async def cleanup(self) -> None:
        from aiokafka.admin import AIOKafkaAdminClient

        admin = await asyncpg.connect(self.admin_url)
        try:
            for (db,) in await admin.fetch(
                "SELECT datname FROM pg_database WHERE datname LIKE $1", f"kasane_bench{self.run_id}_%"
            ):
                await admin.execute(f'DROP DATABASE "{db}" WITH (FORCE)')
        finally:
            await admin.close()
        kafka = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await kafka.start()
        try:
            mine = [t for t in await kafka.list_topics() if t.startswith(self.prefix)]
            if mine:
                await kafka.delete_topics(mine)
        finally:
            await kafka.close()

    # a TopicSpec for code that wants one
    def spec(self, name: str, partitions: int = 6) -> TopicSpec:
        return TopicSpec(self.prefix + name, partitions, 1)


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> str:
    return (f"p50 {percentile(values, 50):.1f} ms, p99 {percentile(values, 99):.1f} ms, "
            f"mean {statistics.fmean(values):.1f} ms, n={len(values)}")
