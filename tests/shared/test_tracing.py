"""One trace runs from an HTTP request through the outbox and Kafka into the consumer's
database write."""

from __future__ import annotations

import pytest
from kasane_shared.service import build_api
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from tests.support.app import client_for
from tests.support.kafka import eventually, header, read_topic
from tests.support.runners import running
from tests.support.stack import TestStack
from tests.support.things import SPEC
from tests.support.things_env import make_things_env

pytestmark = pytest.mark.integration


async def test_one_trace_from_request_to_consumer_write(stack: TestStack) -> None:
    env = await make_things_env(stack, "trace")
    app = build_api(SPEC, env.settings)  # installs the SDK tracer provider and instrumentation
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    async with client_for(app) as client:
        created = await client.post("/v1/things", json={"label": "traced"},
                                    headers=stack.auth("sk-jiritsu", "things:write"))
    assert created.status_code == 201
    async with running(env.relay(), env.consumer()):
        await eventually(lambda: env.pool.fetchval("SELECT count(*) FROM applied"), lambda n: n == 1,
                         what="event applied by the consumer")

    spans = exporter.get_finished_spans()
    server = next(s for s in spans if s.kind == SpanKind.SERVER and "/v1/things" in s.name)
    trace_id = server.context.trace_id
    in_trace = [s for s in spans if s.context.trace_id == trace_id]
    by_id = {s.context.span_id: s for s in in_trace}

    outbox_insert = next(s for s in in_trace if "INSERT INTO outbox" in str(s.attributes.get("db.statement", "")))
    producer = next(s for s in spans if s.kind == SpanKind.PRODUCER and s.links
                    and s.links[0].context.trace_id == trace_id)
    consumer = next(s for s in in_trace if s.kind == SpanKind.CONSUMER)
    applied_write = next(s for s in in_trace if "INSERT INTO applied" in str(s.attributes.get("db.statement", "")))

    def ancestors(span):
        while span.parent is not None and span.parent.span_id in by_id:
            span = by_id[span.parent.span_id]
            yield span

    assert server in ancestors(outbox_insert)
    # the message was created with the outbox row: the consumer continues the writer's span,
    # and the relay's batch span links to that creation context
    assert consumer.parent.span_id == outbox_insert.parent.span_id
    assert server in ancestors(consumer)
    assert producer.attributes["messaging.destination.name"] == env.topic
    assert [link.context.span_id for link in producer.links] == [outbox_insert.parent.span_id]
    assert consumer in ancestors(applied_write)

    (record,) = await read_topic(stack.bootstrap, env.topic, at_least=1)
    assert header(record, "traceparent").split("-")[1] == format(trace_id, "032x")
