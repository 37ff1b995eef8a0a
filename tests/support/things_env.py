"""A per-test namespace for the things service: its own database, topics and group."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg
from kasane_shared.db.pool import create_pool
from kasane_shared.events.consumer import InboxConsumer
from kasane_shared.events.relay import OutboxRelay
from kasane_shared.events.streams import TopicSpec

from tests.support.stack import TestStack
from tests.support.things import SPEC, TEST_STREAM, ThingRecorded, ThingsSettings, apply_thing


@dataclass
class ThingsEnv:
    stack: TestStack
    settings: ThingsSettings
    pool: asyncpg.Pool

    @property
    def topic(self) -> str:
        return self.settings.topic(TEST_STREAM.name)

    def relay(self, **kwargs: Any) -> OutboxRelay:
        return OutboxRelay(self.settings, source=TEST_STREAM.source, **kwargs)

    def consumer(self) -> InboxConsumer:
        return InboxConsumer(
            self.settings, self.pool, topics=[TEST_STREAM.name],
            handlers={ThingRecorded.event_type: apply_thing},
        )


async def make_things_env(stack: TestStack, name: str, **overrides: Any) -> ThingsEnv:
    prefix = f"{stack.prefix}{name}."
    url = await stack.create_database(f"things_{name}", SPEC.all_migrations())
    settings = stack.settings(ThingsSettings, url, topic_prefix=prefix, **overrides)
    bootstrap = overrides.get("kafka_bootstrap_servers", stack.bootstrap)
    await stack.ensure_topics(
        [TopicSpec(settings.topic(TEST_STREAM.name), 3, 1), TopicSpec(settings.dead_letter_topic, 1, 1)],
        bootstrap,
    )
    pool = await create_pool(url, max_size=10)
    stack.closers.append(pool.close)
    return ThingsEnv(stack, settings, pool)
