"""The event pipeline's metrics, scraped from each worker's /metrics.

Alert rules are written against these Prometheus names (docs/architecture.md lists them
with their meaning), so a rename here is a breaking change for operators:

    kasane_consumer_lag{group,topic,partition}
    kasane_events_consumed_total{group,topic,outcome}   applied|skipped|duplicate|retried|dead_lettered
    kasane_events_dead_lettered_total{group,topic}
    kasane_events_published_total{service}
    kasane_outbox_backlog{service}
    kasane_outbox_oldest_age_seconds{service}
    kasane_outbox_parked{service}
    kasane_relay_leader{service}
    kasane_consumer_last_poll_timestamp_seconds{group}
    kasane_relay_last_publish_timestamp_seconds{service}
    kasane_worker_loop_restarts_total{service,loop}

OpenTelemetry's Prometheus exporter turns ``kasane.events.consumed`` into
``kasane_events_consumed_total`` and a gauge in seconds into ``..._seconds``; it adds
``otel_scope_*`` labels beside these. Gauges read the latest values that the relay and the
consumer leave in the dictionaries below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from opentelemetry.metrics import CallbackOptions, Observation

from kasane_shared.telemetry import meter

OUTCOMES = ("applied", "skipped", "duplicate", "retried", "dead_lettered")

# Latest readings, refreshed by the relay and the consumers, read by the gauges' callbacks.
outbox_backlog: dict[str, int] = {}  # service -> rows waiting (parked ones not included)
outbox_oldest_age: dict[str, float] = {}  # service -> seconds the oldest waiting row has waited
outbox_parked: dict[str, int] = {}  # service -> rows the broker refused, kept aside
relay_leader: dict[str, int] = {}  # service -> 1 while this process's relay leads, else 0
relay_last_publish: dict[str, float] = {}  # service -> unix time of the last good round
consumer_lag: dict[tuple[str, str, int], int] = {}  # (group, topic, partition) -> records behind
consumer_last_poll: dict[str, float] = {}  # group -> unix time of the last successful poll


def _by_service(readings: dict[str, int] | dict[str, float]) -> Callable[[CallbackOptions], Iterable[Observation]]:
    def observe(_options: CallbackOptions) -> Iterable[Observation]:
        for service, value in list(readings.items()):
            yield Observation(value, {"service": service})

    return observe


def _observe_lag(_options: CallbackOptions) -> Iterable[Observation]:
    for (group, topic, partition), lag in list(consumer_lag.items()):
        yield Observation(lag, {"group": group, "topic": topic, "partition": partition})


def _observe_last_poll(_options: CallbackOptions) -> Iterable[Observation]:
    for group, at in list(consumer_last_poll.items()):
        yield Observation(at, {"group": group})


meter.create_observable_gauge(
    "kasane.outbox.backlog", callbacks=[_by_service(outbox_backlog)], unit="{event}",
    description="Outbox rows committed and waiting to be published (parked rows not counted)",
)
meter.create_observable_gauge(
    "kasane.outbox.oldest_age", callbacks=[_by_service(outbox_oldest_age)], unit="s",
    description="How long the oldest waiting outbox row has waited (0 when none waits)",
)
meter.create_observable_gauge(
    "kasane.outbox.parked", callbacks=[_by_service(outbox_parked)], unit="{event}",
    description="Outbox rows the broker refused, parked for an operator (kasane-<service> outbox parked)",
)
meter.create_observable_gauge(
    "kasane.relay.leader", callbacks=[_by_service(relay_leader)],
    description="1 in the process whose outbox relay leads, 0 in standbys",
)
meter.create_observable_gauge(
    "kasane.relay.last_publish_timestamp", callbacks=[_by_service(relay_last_publish)], unit="s",
    description="Unix time the leading relay last published a batch or found the outbox empty",
)
meter.create_observable_gauge(
    "kasane.consumer.lag", callbacks=[_observe_lag], unit="{event}",
    description="Records between the consumer's position and the partition's end",
)
meter.create_observable_gauge(
    "kasane.consumer.last_poll_timestamp", callbacks=[_observe_last_poll], unit="s",
    description="Unix time the consumer last fetched from Kafka successfully",
)
events_published = meter.create_counter(
    "kasane.events.published", unit="{event}", description="Outbox rows published to Kafka"
)
events_consumed = meter.create_counter(
    "kasane.events.consumed", unit="{event}",
    description="Records handled by inbox consumers, by outcome (retried counts failed attempts)",
)
dead_letters = meter.create_counter(
    "kasane.events.dead_lettered", unit="{event}", description="Records sent to a dead-letter topic"
)
loop_restarts = meter.create_counter(
    "kasane.worker.loop_restarts", unit="{restart}",
    description="Times a worker loop (consumer, relay, a job) ended unexpectedly and was restarted",
)
