"""Kafka and PostgreSQL in containers, for a machine with a Docker engine
(``KASANE_TEST_SERVERS=containers``), through testcontainers' own Kafka and PostgreSQL
modules. Unverified on the project's machines: they have a Docker client but no engine,
so this path has never run there (docs/architecture.md, "Tests", says what would verify it).

The images are pinned by tag. Kafka is Confluent's image because testcontainers' Kafka
module drives that image's start scripts; 8.0.0 carries Apache Kafka 4.0, the oldest 4.x
(the local stack runs 4.4.0 from Maven Central). PostgreSQL 15 is the major version
Debian's package gives the local stack. The brokers' settings are the local stack's
(no auto-created topics, single-replica internal topics).
"""

from __future__ import annotations

import atexit
from typing import Any

KAFKA_IMAGE = "confluentinc/cp-kafka:8.0.0"
POSTGRES_IMAGE = "postgres:15.14-bookworm"

KAFKA_SETTINGS = {
    "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
    "KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS": "10",
    "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
    "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
    "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR": "1",
    "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR": "1",
    "KAFKA_DELETE_TOPIC_ENABLE": "true",
}


def start_servers() -> tuple[str, str]:
    """Start both containers; return (bootstrap servers, an admin database URL). They are
    stopped when the test process exits (and testcontainers' reaper removes them if it
    dies)."""
    from testcontainers.community.kafka import KafkaContainer  # imported only when asked for
    from testcontainers.community.postgres import PostgresContainer

    postgres: Any = PostgresContainer(POSTGRES_IMAGE, username="kasane", password="kasane-dev", dbname="postgres",
                                      driver=None)
    postgres.with_command("postgres -c max_connections=300")
    kafka: Any = KafkaContainer(KAFKA_IMAGE).with_kraft()
    for key, value in KAFKA_SETTINGS.items():
        kafka.with_env(key, value)
    postgres.start()
    atexit.register(postgres.stop)
    kafka.start(timeout=120)
    atexit.register(kafka.stop)
    return kafka.get_bootstrap_server(), postgres.get_connection_url(driver=None)
