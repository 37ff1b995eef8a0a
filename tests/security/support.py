"""A real service for the stateful suites: hypothesis's state machines are synchronous, so
the service (database, app, handlers) runs on an event loop of the test's own."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from typing import Any

import httpx
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine
from kasane_shared.service import ServiceSpec

from tests.support.service_env import ServiceEnv, service_env
from tests.support.stack import TestStack


@dataclass
class Tally:
    """What a stateful run tried, printed at its end."""

    sequences: int = 0
    steps: int = 0
    reads: int = 0


class Runner:
    def __init__(self, stack: TestStack, spec: ServiceSpec, name: str, scopes: tuple[str, ...]) -> None:
        self.loop = asyncio.new_event_loop()
        self.stack = stack
        self.scopes = scopes
        self._env = service_env(stack, spec, name)
        self.svc: ServiceEnv = self.loop.run_until_complete(self._env.__aenter__())

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def close(self) -> None:
        self.loop.run_until_complete(self._env.__aexit__(None, None, None))
        self.loop.close()

    def auth(self, agency: str, subject: str = "staff") -> dict[str, str]:
        return self.stack.auth(agency, *self.scopes, subject=f"{agency}/{subject}")

    def call(self, method: str, path: str, agency: str, body: Any = None, subject: str = "staff") -> httpx.Response:
        return self.run(self.svc.client.request(method, path, json=body, headers=self.auth(agency, subject)))

    def apply(self, event: Any) -> None:
        """One fact from another service, through this service's own handler."""
        self.run(self.svc.apply(event))

    def now(self) -> Any:
        return self.run(self.svc.pool.fetchval("SELECT now()"))


def explore(machine: type[RuleBasedStateMachine], *, examples: int, steps: int) -> None:
    """Run the state machine: ``examples`` sequences of up to ``steps`` steps, derandomized so
    main stays reproducible (``KASANE_SECURITY_RANDOM=1`` searches at random)."""
    machine.TestCase.settings = settings(
        max_examples=examples, stateful_step_count=steps, deadline=None, database=None,
        derandomize=not os.environ.get("KASANE_SECURITY_RANDOM"),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    machine.TestCase().runTest()
