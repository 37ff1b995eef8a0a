"""Each service starts on the common runtime: migrations apply, probes answer, OpenAPI is
served, and the token check guards its API."""

from __future__ import annotations

import pytest
from kasane_community.main import SPEC as COMMUNITY
from kasane_coordination.main import SPEC as COORDINATION
from kasane_intake.main import SPEC as INTAKE
from kasane_participation.main import SPEC as PARTICIPATION

from tests.support.service_env import service_env
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("spec", [INTAKE, COORDINATION, PARTICIPATION, COMMUNITY], ids=lambda s: s.name)
async def test_service_starts_with_probes_docs_and_auth(stack: TestStack, spec) -> None:
    async with service_env(stack, spec, f"start_{spec.name}") as svc:
        assert (await svc.client.get("/healthz")).status_code == 200
        assert (await svc.client.get("/readyz")).json()["checks"]["postgres"] == "up"
        openapi = (await svc.client.get("/openapi.json")).json()
        assert openapi["info"]["title"] == spec.title
        assert (await svc.client.get("/docs")).status_code == 200
        assert (await svc.client.get("/v1/me")).status_code == 401
        me = await svc.client.get("/v1/me", headers=stack.auth("sk-shakyo"))
        assert me.status_code == 200 and me.json()["agency_id"] == "sk-shakyo"
        tables = {r["tablename"] for r in await svc.pool.fetch("SELECT tablename FROM pg_tables")}
        assert {"outbox", "inbox", "audit_log", "idempotency_keys", "schema_migrations"} <= tables
