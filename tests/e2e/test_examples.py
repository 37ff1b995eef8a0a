"""The example clients of docs/integrating.md run against the real system: a partner
posting over HTTP with retries, a partner posting as an event, an integrator subscribing."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.support.e2e import running_system
from tests.support.kafka import eventually
from tests.support.stack import TestStack

pytestmark = pytest.mark.e2e

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


async def _run(*args: str) -> dict:
    """Run an example; return its last JSON line."""
    result = await asyncio.to_thread(
        subprocess.run, [sys.executable, *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


async def test_the_example_clients_work_against_the_system(stack: TestStack, tmp_path: Path) -> None:
    async with running_system(stack, "examples", tmp_path) as system:
        intake_url = str(system["intake"].base_url).rstrip("/")
        token = stack.token("sk-houkatsu-kita", "consultations:write", "consultations:read")

        # HTTP: a post, then the retry a partner makes after a timeout (same key)
        key = str(uuid.uuid4())
        first = await _run(str(EXAMPLES / "partner_post.py"), "--base-url", intake_url, "--token", token,
                           "--external-id", "HK-EX-1", "--idempotency-key", key)
        retry = await _run(str(EXAMPLES / "partner_post.py"), "--base-url", intake_url, "--token", token,
                           "--external-id", "HK-EX-1", "--idempotency-key", key)
        assert first["status"] == 201 and not first["replayed"]
        assert retry["consultation_id"] == first["consultation_id"] and retry["replayed"]
        assert first["recommendation"] == "refer_to_collaboration"  # the 8050 household

        # Kafka: a consultation as an event; the same external id over HTTP is the same one
        event_proc = await asyncio.to_thread(subprocess.run, [
            sys.executable, str(EXAMPLES / "partner_event.py"), "--bootstrap-servers", stack.bootstrap,
            "--topic", system.prefix + "kasane.partner.consultations.v1", "--external-id", "HK-EX-2",
            "--source", "urn:kasane:agency:sk-houkatsu-kita"], capture_output=True, text=True, timeout=60)
        assert event_proc.returncode == 0, event_proc.stderr

        async def same_via_http() -> dict:
            return await _run(str(EXAMPLES / "partner_post.py"), "--base-url", intake_url, "--token", token,
                              "--external-id", "HK-EX-2")

        found = await eventually(same_via_http, lambda r: r["replayed"], timeout=60,
                                 what="the partner event became a consultation")
        assert found["status"] == 200

        # An integrator: reads the intake topic once, exactly once per event across restarts
        store = tmp_path / "integrator.sqlite3"
        topic = system.prefix + "kasane.intake.v1"
        sub = [str(EXAMPLES / "subscribe.py"), "--bootstrap-servers", stack.bootstrap, "--topic", topic,
               "--store", str(store), "--idle-exit", "5"]
        first_read = await _run(*sub, "--group", "integrator-a")
        assert first_read["applied"] >= 4  # received and screened, for each of the two consultations
        again_same_group = await _run(*sub, "--group", "integrator-a")
        assert again_same_group["applied"] == 0  # offsets were committed after each write
        replayed_new_group = await _run(*sub, "--group", "integrator-b")
        assert replayed_new_group["applied"] == 0  # every record came again; the dedup absorbed them
