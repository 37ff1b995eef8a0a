"""HTTP defaults every service gets: tokens and scopes, problem+json, size limits,
idempotent POSTs, audit entries, probes."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from kasane_shared.service import build_api

from tests.support.app import client_for
from tests.support.stack import TestStack
from tests.support.things import SPEC
from tests.support.things_env import ThingsEnv, make_things_env

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
async def env(stack: TestStack) -> ThingsEnv:
    return await make_things_env(stack, "http", max_body_bytes=2048)


@pytest.fixture(scope="module")
async def client(env: ThingsEnv) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(build_api(SPEC, env.settings)) as c:
        yield c


async def _counts(env: ThingsEnv) -> tuple[int, int]:
    return (await env.pool.fetchval("SELECT count(*) FROM things"),
            await env.pool.fetchval("SELECT count(*) FROM outbox"))


async def test_no_token_is_401(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/me")
    assert r.status_code == 401
    assert r.headers["content-type"] == PROBLEM
    assert r.headers["www-authenticate"].startswith("Bearer")


async def test_a_token_signed_by_another_key_is_401(client: httpx.AsyncClient) -> None:
    other = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    forged = jwt.encode({"sub": "x", "agency": "sk-jiritsu", "scope": "things:read", "aud": "kasane",
                         "iss": "kasane-dev", "exp": int(time.time()) + 60}, other, algorithm="ES256")
    r = await client.get("/v1/me", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401 and r.json()["title"] == "Unauthorized"


@pytest.mark.parametrize("issuer", ["https://someone-else.example", None])
async def test_a_token_from_another_or_no_issuer_is_401(stack: TestStack, client: httpx.AsyncClient,
                                                          issuer: str | None) -> None:
    """Signed by a trusted key, but not issued by the configured issuer (or naming none)."""
    claims = {"sub": "x", "agency": "sk-jiritsu", "scope": "things:read", "aud": "kasane",
              "exp": int(time.time()) + 60}
    if issuer:
        claims["iss"] = issuer
    token = jwt.encode(claims, (stack.keys_dir / "dev-jwt.key.pem").read_bytes(), algorithm="ES256")
    r = await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.json()["title"] == "Unauthorized"


async def test_an_expired_token_is_401(stack: TestStack, client: httpx.AsyncClient) -> None:
    token = stack.token("sk-jiritsu", "things:read", ttl=-120)
    r = await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and "expired" in r.json()["detail"]


async def test_a_token_without_the_scope_is_403(stack: TestStack, client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/things", json={"label": "a"}, headers=stack.auth("sk-jiritsu", "things:read"))
    assert r.status_code == 403
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["type"].endswith("/insufficient-scope")
    assert 'error="insufficient_scope"' in r.headers["www-authenticate"]


async def test_an_agency_outside_the_profile_is_403(stack: TestStack, client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/me", headers=stack.auth("sk-nowhere", "things:read"))
    assert r.status_code == 403 and r.json()["type"].endswith("/unknown-agency")


async def test_the_right_token_passes(stack: TestStack, client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/me", headers=stack.auth("sk-jiritsu", "things:read", subject="staff-7"))
    assert r.status_code == 200
    assert r.json() == {"agency_id": "sk-jiritsu", "agency_name": "くらしサポートセンター（自立相談支援機関）",
                        "subject": "staff-7", "scopes": ["things:read"]}


async def test_invalid_input_is_422_naming_the_field_and_stores_nothing(
    stack: TestStack, env: ThingsEnv, client: httpx.AsyncClient
) -> None:
    before = await _counts(env)
    r = await client.post("/v1/things", json={"label": "", "count": "many"},
                          headers=stack.auth("sk-jiritsu", "things:write"))
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    errors = {e["field"]: e for e in r.json()["errors"]}
    assert set(errors) == {"label", "count"}
    assert errors["label"]["pointer"] == "#/label"
    assert await _counts(env) == before


async def test_a_body_that_is_not_json_is_422(stack: TestStack, client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/things", content=b"{label:", headers={
        **stack.auth("sk-jiritsu", "things:write"), "content-type": "application/json"})
    assert r.status_code == 422 and "not valid JSON" in r.text


async def test_a_body_over_the_limit_is_413(stack: TestStack, env: ThingsEnv, client: httpx.AsyncClient) -> None:
    before = await _counts(env)
    r = await client.post("/v1/things", json={"label": "x" * 4000},
                          headers=stack.auth("sk-jiritsu", "things:write"))
    assert r.status_code == 413 and r.headers["content-type"] == PROBLEM
    assert await _counts(env) == before


async def test_a_retried_post_returns_the_first_result(
    stack: TestStack, env: ThingsEnv, client: httpx.AsyncClient
) -> None:
    headers = {**stack.auth("sk-jiritsu", "things:write"), "Idempotency-Key": "retry-1"}
    before = await _counts(env)
    first = await client.post("/v1/things", json={"label": "once", "count": 2}, headers=headers)
    again = await client.post("/v1/things", json={"label": "once", "count": 2}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"
    assert await _counts(env) == (before[0] + 1, before[1] + 2)


async def test_a_replay_is_authorized_again_and_audited(
    stack: TestStack, env: ThingsEnv, client: httpx.AsyncClient
) -> None:
    """A retry after the caller lost sight of what it created gets 404, not the stored
    record; a replay it may see is a read, recorded in the audit log."""
    headers = {**stack.auth("sk-jiritsu", "things:write"), "Idempotency-Key": "replay-recheck"}
    first = await client.post("/v1/things", json={"label": "recheck"}, headers=headers)
    thing_id = first.json()["id"]
    reads = "SELECT count(*) FROM audit_log WHERE resource_id = $1 AND action = 'read' AND purpose = 'replay'"
    await env.pool.execute("UPDATE things SET hidden = true WHERE id = $1", uuid.UUID(thing_id))
    hidden = await client.post("/v1/things", json={"label": "recheck"}, headers=headers)
    assert hidden.status_code == 404 and "recheck" not in hidden.text
    assert await env.pool.fetchval(reads, thing_id) == 0
    await env.pool.execute("UPDATE things SET hidden = false WHERE id = $1", uuid.UUID(thing_id))
    again = await client.post("/v1/things", json={"label": "recheck"}, headers=headers)
    assert again.status_code == 201 and again.json() == first.json()
    assert await env.pool.fetchval(reads, thing_id) == 1


async def test_concurrent_retries_with_one_key_write_once(
    stack: TestStack, env: ThingsEnv, client: httpx.AsyncClient
) -> None:
    headers = {**stack.auth("sk-jiritsu", "things:write"), "Idempotency-Key": "race-1"}
    before = await _counts(env)
    results = await asyncio.gather(*(
        client.post("/v1/things", json={"label": "race"}, headers=headers) for _ in range(5)))
    assert {r.status_code for r in results} == {201}
    assert len({r.json()["id"] for r in results}) == 1
    assert await _counts(env) == (before[0] + 1, before[1] + 1)


async def test_a_key_reused_for_another_body_is_422(stack: TestStack, client: httpx.AsyncClient) -> None:
    headers = {**stack.auth("sk-jiritsu", "things:write"), "Idempotency-Key": "reuse-1"}
    assert (await client.post("/v1/things", json={"label": "a"}, headers=headers)).status_code == 201
    r = await client.post("/v1/things", json={"label": "b"}, headers=headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "Idempotency-Key"


async def test_keys_belong_to_the_agency(stack: TestStack, client: httpx.AsyncClient) -> None:
    a = await client.post("/v1/things", json={"label": "a"},
                          headers={**stack.auth("sk-jiritsu", "things:write"), "Idempotency-Key": "shared-key"})
    b = await client.post("/v1/things", json={"label": "a"},
                          headers={**stack.auth("sk-hoken", "things:write"), "Idempotency-Key": "shared-key"})
    assert a.status_code == b.status_code == 201 and a.json()["id"] != b.json()["id"]


async def test_reads_and_writes_are_audited(stack: TestStack, env: ThingsEnv, client: httpx.AsyncClient) -> None:
    created = await client.post("/v1/things", json={"label": "audited"},
                                headers=stack.auth("sk-jiritsu", "things:write", subject="staff-1"))
    thing_id = created.json()["id"]
    read = await client.get(f"/v1/things/{thing_id}", headers=stack.auth("sk-hoken", "things:read", subject="nurse-2"))
    assert read.status_code == 200
    rows = await env.pool.fetch(
        "SELECT agency_id, actor, action FROM audit_log WHERE resource_id = $1 ORDER BY id", thing_id)
    assert [tuple(r) for r in rows] == [("sk-jiritsu", "staff-1", "create"), ("sk-hoken", "nurse-2", "read")]
    missing = await client.get("/v1/things/00000000-0000-0000-0000-000000000000",
                               headers=stack.auth("sk-hoken", "things:read"))
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM


async def test_break_glass_needs_a_reason_and_is_flagged(
    stack: TestStack, env: ThingsEnv, client: httpx.AsyncClient
) -> None:
    from kasane_shared.access import break_glass_reason
    from kasane_shared.auth.tokens import Principal

    thing_id = "4f7c3e0e-0000-4000-8000-000000000001"
    body = {"resource_type": "thing", "resource_id": thing_id, "reason": "child at risk tonight, no contact"}
    assert (await client.post("/v1/break-glass", json=body, headers=stack.auth("sk-hoken"))).status_code == 403
    short = await client.post("/v1/break-glass", json={**body, "reason": "urgent"},
                              headers=stack.auth("sk-hoken", "break-glass"))
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "reason"
    wrong_type = await client.post("/v1/break-glass", json={**body, "resource_type": "case"},
                                   headers=stack.auth("sk-hoken", "break-glass"))
    assert wrong_type.status_code == 422 and wrong_type.json()["errors"][0]["field"] == "resource_type"
    granted = await client.post("/v1/break-glass", json=body,
                                headers=stack.auth("sk-hoken", "break-glass", subject="nurse-9"))
    assert granted.status_code == 201
    async with env.pool.acquire() as conn:
        nurse = Principal("sk-hoken", "nurse-9")
        assert await break_glass_reason(conn, nurse, "thing", thing_id) == body["reason"]
        assert await break_glass_reason(conn, Principal("sk-hoken", "someone-else"), "thing", thing_id) is None
        flagged = await conn.fetchrow(
            "SELECT break_glass, purpose FROM audit_log WHERE resource_id = $1", thing_id)
    assert flagged["break_glass"] is True and flagged["purpose"] == body["reason"]


async def test_probes(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"postgres": "up", "kafka": "up"}


async def test_a_nul_character_anywhere_is_422_naming_the_field_and_stores_nothing(
    stack: TestStack, env: ThingsEnv, client: httpx.AsyncClient
) -> None:
    """PostgreSQL keeps no U+0000 in text: it was a 500 deep in the write (issue 13)."""
    before = await _counts(env)
    writer = stack.auth("sk-jiritsu", "things:write")
    r = await client.post("/v1/things", json={"label": "a\x00b"}, headers=writer)
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, r.text
    assert [(e["field"], e["pointer"]) for e in r.json()["errors"]] == [("label", "#/label")]
    assert "\x00" not in r.text and "a\\u0000b" not in r.text  # the value is never echoed
    r = await client.post("/v1/things", json={"label": "ok", "extra\x00": 1}, headers=writer)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "extra?"
    r = await client.get(f"/v1/things/{uuid.uuid4()}", params={"purpose": "x\x00"},
                         headers=stack.auth("sk-jiritsu", "things:read"))
    assert r.status_code == 422 and r.json()["errors"][0] == {
        "field": "purpose", "detail": "must not contain the NUL character (U+0000)", "in": "query"}
    assert await _counts(env) == before
    # the same body without the NUL is written
    assert (await client.post("/v1/things", json={"label": "ab"}, headers=writer)).status_code == 201


async def test_a_database_that_cannot_be_reached_is_503_with_retry_after(
    stack: TestStack, env: ThingsEnv
) -> None:
    """PostgreSQL down or restarting is not a bug: 503 and when to retry, not 500 (issue 13).
    The app's pool points at a port where no server listens (connections refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: a refused connection
        app = build_api(SPEC, env.settings)
        async with client_for(app) as c:
            real = app.state.pool
            app.state.pool = await asyncpg.create_pool(f"postgresql://kasane@127.0.0.1:{port}/none", min_size=0)
            try:
                r = await c.post("/v1/things", json={"label": "x"}, headers=stack.auth("sk-jiritsu", "things:write"))
                assert r.status_code == 503 and r.headers["content-type"] == PROBLEM, r.text
                assert r.headers["retry-after"] == "5"
                assert r.json()["type"].endswith("/unavailable")
            finally:
                await app.state.pool.close()
                app.state.pool = real
