"""The servers a test run talks to, and what each run keeps to itself.

Every run gets a random id: its topics carry the prefix ``t<id>.`` and its databases the
name ``kasane_t<id>_<name>``, so parallel runs, the running dev stack and earlier runs
never see each other's events or rows. Both are removed when the run ends.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from kasane_shared.auth.cli import keygen, mint
from kasane_shared.db.migrate import Migration, migrate
from kasane_shared.db.pool import connect
from kasane_shared.events.streams import TopicSpec, all_topics
from kasane_shared.kafka import ensure_topics
from kasane_shared.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)

ROOT = Path(__file__).resolve().parents[2]
PROFILE = ROOT / "profiles" / "sample-city.yaml"


@dataclass
class TestStack:
    __test__ = False  # a helper, not a test class

    bootstrap: str
    admin_url: str
    keys_dir: Path
    run_id: str = field(default_factory=lambda: secrets.token_hex(4))
    databases: list[str] = field(default_factory=list)
    extra_topics: list[str] = field(default_factory=list)
    closers: list[Any] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        return f"t{self.run_id}."

    async def ensure_topics(self, specs: list[TopicSpec], bootstrap: str | None = None) -> None:
        """Create test topics. The broker stamps records with its own clock (LogAppendTime):
        the suite also runs with the test process's clock faked to other hours and days
        (``scripts/faked-clock.py``), and the broker must neither refuse records stamped
        "in the future" nor expire ones stamped months ago."""
        await ensure_topics(None, specs, bootstrap_servers=bootstrap or self.bootstrap,
                            configs={"message.timestamp.type": "LogAppendTime"})

    async def create_database(self, name: str, migrations: list[Migration]) -> str:
        """A fresh database with ``migrations`` applied; dropped when the run ends."""
        db = f"kasane_t{self.run_id}_{name}"
        admin = await asyncpg.connect(self.admin_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{db}"')
        finally:
            await admin.close()
        self.databases.append(db)
        url = self.admin_url.rsplit("/", 1)[0] + f"/{db}"
        conn = await connect(url)
        try:
            await migrate(conn, migrations)
        finally:
            await conn.close()
        return url

    async def drop_databases(self) -> None:
        for close in reversed(self.closers):
            await close()
        admin = await asyncpg.connect(self.admin_url)
        try:
            for db in self.databases:
                await admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        finally:
            await admin.close()

    async def create_topics(self, *extra: str, partitions: int = 3) -> None:
        specs = all_topics(self.prefix) + [TopicSpec(self.prefix + t, partitions, 1) for t in extra]
        await self.ensure_topics(specs)
        self.extra_topics.extend(extra)

    async def delete_topics(self) -> None:
        from aiokafka.admin import AIOKafkaAdminClient

        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            mine = [t for t in await admin.list_topics() if t.startswith(self.prefix)]
            if mine:
                await admin.delete_topics(mine)
        finally:
            await admin.close()

    def settings(self, cls: type[S], database_url: str, **overrides: Any) -> S:
        """Settings for a service under test: this run's topics, keys and profile."""
        values: dict[str, Any] = {
            "database_url": database_url,
            "kafka_bootstrap_servers": self.bootstrap,
            "topic_prefix": self.prefix,
            "profile_path": PROFILE,
            "jwt_public_key_files": [self.keys_dir / "dev-jwt.pub.pem"],
            "jwt_issuer": "kasane-dev",
            "jwt_audience": "kasane",
            "relay_poll_seconds": 0.2,
            "relay_standby_seconds": 0.3,
            "consumer_backoff_seconds": 0.05,
            "consumer_max_attempts": 3,
            "metrics_port": None,  # the running stack's services hold the metrics ports
        }
        values.update(overrides)
        return cls(**values)

    def token(self, agency: str, *scopes: str, subject: str | None = None, ttl: int = 3600) -> str:
        return mint(
            (self.keys_dir / "dev-jwt.key.pem").read_bytes(),
            agency=agency, scopes=list(scopes), subject=subject, ttl_seconds=ttl,
        )

    def auth(self, agency: str, *scopes: str, subject: str | None = None) -> dict[str, str]:
        """An Authorization header for ``agency`` with ``scopes``."""
        return {"Authorization": f"Bearer {self.token(agency, *scopes, subject=subject)}"}


def discover(keys_dir: Path) -> TestStack:
    """The servers KASANE_TEST_SERVERS chooses (``kasane_devstack.servers``): the ones in
    KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL when you set both; else this checkout's local
    stack, its Kafka and PostgreSQL started if they are down (`make test` has started them
    already); or, asked for by name, Kafka and PostgreSQL in containers."""
    from kasane_devstack.servers import choose

    mode = choose(os.environ)
    if mode == "env":
        bootstrap, admin_url = os.environ["KAFKA_BOOTSTRAP_SERVERS"], os.environ["DATABASE_URL"]
    elif mode == "containers":
        from tests.support.containers import start_servers

        bootstrap, admin_url = start_servers()
    else:
        from kasane_devstack.cli import infra

        env = infra()
        bootstrap, admin_url = env["KAFKA_BOOTSTRAP_SERVERS"], env["DATABASE_URL"]
    keygen(keys_dir)
    return TestStack(bootstrap=bootstrap, admin_url=admin_url, keys_dir=keys_dir)
