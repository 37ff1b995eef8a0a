"""OpenTelemetry for every service: traces across HTTP, PostgreSQL and Kafka, and metrics.

Traces go to OTLP when an endpoint is configured, to a JSON-lines file when
``trace_file`` is set (used by the end-to-end tests), and nowhere otherwise. Kafka spans
are made by the relay and the inbox consumer themselves rather than by aiokafka's
instrumentation, because the relay must continue the trace stored in the outbox row,
not its own ambient one.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
)

from kasane_shared.settings import ServiceSettings

log = logging.getLogger(__name__)

tracer = trace.get_tracer("kasane")
meter = metrics.get_meter("kasane")

_lock = threading.Lock()
_configured: set[str] = set()


def _tracer_provider(resource: Resource) -> TracerProvider:
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current  # a test (or an earlier call) installed one; add to it
    provider = TracerProvider(resource=resource)
    trace.set_tracer_provider(provider)
    return provider


def setup_telemetry(settings: ServiceSettings, *, role: str) -> None:
    """Install tracing and metrics once per process; safe to call again."""
    with _lock:
        if "traces" not in _configured:
            _configured.add("traces")
            resource = Resource.create(
                {"service.name": f"kasane-{settings.service}", "service.namespace": "kasane",
                 "kasane.role": role}
            )
            provider = _tracer_provider(resource)
            if settings.otlp_endpoint:
                from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
                    OTLPSpanExporter,
                )

                endpoint = settings.otlp_endpoint.rstrip("/") + "/v1/traces"
                provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
            if settings.trace_file:
                out = settings.trace_file.open("a", encoding="utf-8", buffering=1)
                exporter = ConsoleSpanExporter(
                    out=out, formatter=lambda span: span.to_json(indent=None) + "\n"
                )
                provider.add_span_processor(SimpleSpanProcessor(exporter))
            from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

            instrumentor = AsyncPGInstrumentor()  # type: ignore[no-untyped-call]
            if not instrumentor.is_instrumented_by_opentelemetry:
                instrumentor.instrument()
        if "metrics" not in _configured:
            _configured.add("metrics")
            from opentelemetry.exporter.prometheus import PrometheusMetricReader

            if not isinstance(metrics.get_meter_provider(), MeterProvider):
                metrics.set_meter_provider(MeterProvider(metric_readers=[PrometheusMetricReader()]))


def instrument_app(app: Any) -> None:
    """Server spans for every request except the probes."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics")


def current_trace_id() -> str | None:
    """The hex trace id of the active span, for logs and the audit log."""
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else None


def start_metrics_server(port: int | None, host: str) -> None:
    """Serve /metrics on a separate port (APIs keep their own port token-only)."""
    if port is None:
        return
    from prometheus_client import start_http_server

    with _lock:
        if "metrics_server" in _configured:
            return
        _configured.add("metrics_server")
        start_http_server(port, addr=host)
