"""The event pipeline's metrics: outbox backlog, published and consumed events, consumer
lag and dead letters (scraped from each process's /metrics)."""

from __future__ import annotations

from collections.abc import Iterable

from opentelemetry.metrics import CallbackOptions, Observation

from kasane_shared.telemetry import meter

# Latest readings, refreshed by the relay and the consumers, read by the gauges' callbacks.
outbox_backlog: dict[str, int] = {}
consumer_lag: dict[tuple[str, str, int], int] = {}


def _observe_backlog(_options: CallbackOptions) -> Iterable[Observation]:
    for service, count in list(outbox_backlog.items()):
        yield Observation(count, {"service": service})


def _observe_lag(_options: CallbackOptions) -> Iterable[Observation]:
    for (group, topic, partition), lag in list(consumer_lag.items()):
        yield Observation(lag, {"group": group, "topic": topic, "partition": partition})


meter.create_observable_gauge(
    "kasane.outbox.backlog", callbacks=[_observe_backlog], unit="{event}",
    description="Outbox rows committed but not yet published to Kafka",
)
meter.create_observable_gauge(
    "kasane.consumer.lag", callbacks=[_observe_lag], unit="{event}",
    description="Records behind the partition's high watermark",
)
events_published = meter.create_counter(
    "kasane.events.published", unit="{event}", description="Outbox rows published to Kafka"
)
events_consumed = meter.create_counter(
    "kasane.events.consumed", unit="{event}",
    description="Records handled by inbox consumers, by outcome",
)
dead_letters = meter.create_counter(
    "kasane.events.dead_lettered", unit="{event}", description="Records sent to a dead-letter topic"
)
