"""Helpers of the plumbing tests: a service's real worker app in-process, committed
offsets, and partner records."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import GroupCoordinatorNotAvailableError
from kasane_shared.contracts.partner import PartnerConsultationSubmitted
from kasane_shared.events.envelope import Envelope, encode
from kasane_shared.service import build_worker
from prometheus_client.parser import text_string_to_metric_families

from tests.support.app import client_for
from tests.support.service_env import ServiceEnv
from tests.support.stack import TestStack

PARTNER_SOURCE = "urn:kasane:agency:sk-houkatsu-kita"  # an agency of the sample profile


@contextlib.asynccontextmanager
async def running_worker(svc: ServiceEnv, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The service's worker process as ``<service> worker`` runs it (relay, consumer, jobs,
    probes and /metrics), in-process; its HTTP client for the block."""
    settings = svc.settings.model_copy(update=overrides) if overrides else svc.settings
    app = build_worker(svc.spec, settings)
    async with client_for(app) as client:
        client.app = app  # type: ignore[attr-defined]  # tests reach the worker's state
        yield client


async def committed(stack: TestStack, group: str, topic: str) -> int:
    """Sum of ``group``'s committed offsets on ``topic`` (0 while the group forms)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
        return sum(o.offset for tp, o in offsets.items() if tp.topic == topic and o.offset > 0)
    except GroupCoordinatorNotAvailableError:
        return 0
    finally:
        await admin.close()


def partner_data(external_id: str) -> dict[str, Any]:
    return {"external_id": external_id, "received_at": datetime.now(UTC).isoformat(),
            "channel": "phone", "consulted_by": "family", "concern_codes": ["elderly_care"],
            "area_code": "SK-N-01", "age_band": "80-84"}


def partner_record(external_id: str, *, key: str | None = None, now: datetime | None = None,
                   source: str = PARTNER_SOURCE) -> tuple[bytes | None, bytes, list[tuple[str, bytes]]]:
    """A valid partner consultation (binary-mode CloudEvent)."""
    return encode(Envelope(id=str(uuid.uuid4()), source=source, type=PartnerConsultationSubmitted.event_type,
                           time=now or datetime.now(UTC), data=partner_data(external_id),
                           key=key or external_id))


async def consultation(svc: ServiceEnv, external_id: str) -> list:
    return await svc.pool.fetch("SELECT id FROM consultations WHERE external_id = $1", external_id)


def metric(text: str, name: str, labels: dict[str, str]) -> float | None:
    """The value of the series ``name`` whose labels include ``labels``, in a /metrics page."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return None
