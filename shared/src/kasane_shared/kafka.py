"""Kafka clients configured the same way in every service, and explicit topic creation."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.helpers import create_ssl_context

from kasane_shared.events.streams import TopicSpec, all_topics
from kasane_shared.settings import ServiceSettings

log = logging.getLogger(__name__)

DAY_MS = 86_400_000


def connection_options(settings: ServiceSettings) -> dict[str, Any]:
    """Bootstrap and security options shared by producers, consumers and the admin client."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = create_ssl_context(
            cafile=str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None
        )
    if settings.kafka_sasl_mechanism:
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        options["sasl_plain_password"] = settings.kafka_sasl_password
    return options


def idempotent_producer(settings: ServiceSettings, **overrides: Any) -> AIOKafkaProducer:
    """A producer that never duplicates or reorders on its own retries (acks=all)."""
    options: dict[str, Any] = {
        "enable_idempotence": True,
        "acks": "all",
        "linger_ms": 5,
        "request_timeout_ms": 15_000,
        "retry_backoff_ms": 200,
        **connection_options(settings),
    }
    options.update(overrides)
    return AIOKafkaProducer(**options)


def group_consumer(settings: ServiceSettings, *topics: str, **overrides: Any) -> AIOKafkaConsumer:
    """A consumer in the service's group that commits offsets only when told to."""
    options: dict[str, Any] = {
        "group_id": settings.group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "isolation_level": "read_committed",
        # heartbeats run in aiokafka's own task; a slow handler only has to finish
        # within max_poll_interval_ms, which the bounded retries keep it under
        "max_poll_interval_ms": 300_000,
        "session_timeout_ms": 30_000,
        "heartbeat_interval_ms": 3_000,
        **connection_options(settings),
    }
    options.update(overrides)
    return AIOKafkaConsumer(*topics, **options)


async def ensure_topics(
    settings: ServiceSettings | None,
    specs: list[TopicSpec],
    *,
    bootstrap_servers: str | None = None,
    replication_factor: int = 1,
    min_insync_replicas: int | None = None,
    configs: Mapping[str, str] | None = None,
) -> list[str]:
    """Create the topics that do not exist yet (with ``configs`` beside the retention);
    return the names created."""
    options = (
        connection_options(settings)
        if settings is not None
        else {"bootstrap_servers": bootstrap_servers}
    )
    admin = AIOKafkaAdminClient(**options)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        if not missing:
            return []
        new_topics = []
        for spec in missing:
            topic_configs = {"retention.ms": str(spec.retention_days * DAY_MS), **(configs or {})}
            if min_insync_replicas:
                topic_configs["min.insync.replicas"] = str(min_insync_replicas)
            new_topics.append(
                NewTopic(spec.name, spec.partitions, replication_factor, topic_configs=topic_configs)
            )
        response = await admin.create_topics(new_topics)
        for name, code, *_rest in response.topic_errors:
            if code not in (0, 36):  # 36: TOPIC_ALREADY_EXISTS (a concurrent creator won)
                raise RuntimeError(f"creating topic {name} failed with Kafka error code {code}")
        return [s.name for s in missing]
    finally:
        await admin.close()


def topics_main(argv: list[str] | None = None) -> None:
    """``kasane-topics``: create every Kasane topic with its partitions (idempotent)."""
    parser = argparse.ArgumentParser(prog="kasane-topics", description=topics_main.__doc__)
    parser.add_argument(
        "--bootstrap-servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    )
    parser.add_argument("--prefix", default=os.environ.get("KASANE_TOPIC_PREFIX", ""))
    parser.add_argument("--replication-factor", type=int, default=1)
    parser.add_argument("--min-insync-replicas", type=int, default=None)
    args = parser.parse_args(argv)
    created = asyncio.run(
        ensure_topics(
            None,
            all_topics(args.prefix),
            bootstrap_servers=args.bootstrap_servers,
            replication_factor=args.replication_factor,
            min_insync_replicas=args.min_insync_replicas,
        )
    )
    for name in created:
        print(f"created {name}")
    print(f"{len(all_topics(args.prefix))} topics present", file=sys.stderr)
