"""Structured JSON logs carrying trace ids. Log ids and codes, never personal data."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from kasane_shared.telemetry import current_trace_id


class _TraceContext(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.trace_id = current_trace_id()
        return True


def configure_logging(service: str, level: str = "INFO") -> None:
    """One JSON line per record on stdout, with service and trace_id."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(service)s %(trace_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(_TraceContext(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Their INFO lines repeat connection chatter; warnings and errors still show.
    for noisy in ("aiokafka", "kafka", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def describe_error(exc: BaseException) -> str:
    """An error for logs and dead-letter headers without the input values it may hold.

    pydantic's messages repeat the rejected input and PostgreSQL's details repeat key
    values; both may be personal data, so only locations, types and codes are kept.
    """
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        parts = [
            f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['type']}"
            for err in exc.errors(include_input=False, include_url=False)
        ]
        return "invalid event data: " + "; ".join(parts)
    sqlstate = getattr(exc, "sqlstate", None)
    if sqlstate:
        constraint = getattr(exc, "constraint_name", None)
        return f"{type(exc).__name__} (SQLSTATE {sqlstate}{', ' + constraint if constraint else ''})"
    return f"{type(exc).__name__}: {exc}"[:500]
