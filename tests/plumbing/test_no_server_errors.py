"""Issue 13: no input gets a 5xx. Every operation of the four OpenAPI documents is called
with what schemathesis derives from it, in its three phases: the documents' examples, the
coverage cases (each field at its edges and just past them: empty, zero, wrong types, the
boundary lengths) and fuzzing (random valid and invalid cases), with a valid token of an
agency holding every scope, against the real service and its real database. Any answer of
500 or more fails, naming the operation and the case.

Bounded for ``make test``: every coverage case, and ``FUZZ`` fuzzed cases per operation and
mode (``KASANE_FUZZ_EXAMPLES`` for more; derandomized unless ``KASANE_SECURITY_RANDOM``).
The run prints how many cases each service took.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kasane_community.main import SPEC as COMMUNITY
from kasane_coordination.main import SPEC as COORDINATION
from kasane_intake.main import SPEC as INTAKE
from kasane_participation.main import SPEC as PARTICIPATION
from kasane_shared.service import ServiceSpec
from schemathesis.core import NotSet
from schemathesis.generation import GenerationMode

from tests.security.support import Runner
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration

FUZZ = int(os.environ.get("KASANE_FUZZ_EXAMPLES", "12"))
AGENCY = "sk-jusou-suishin"  # the collaboration desk and a participation coordinator
# path values the profile defines (areas), so a route's other inputs are reached
KNOWN_PATH_VALUES = {"area_code": "SK-N"}
SCOPES = {
    "intake": ("consultations:read", "consultations:write", "persons:read", "persons:write", "persons:merge",
               "consents:write", "referrals:write", "break-glass"),
    "coordination": ("cases:read", "cases:write", "plans:write", "meetings:read", "meetings:write",
                     "outreach:read", "outreach:write", "break-glass"),
    "participation": ("opportunities:read", "opportunities:write", "requests:read", "requests:write",
                      "matches:write", "placements:read", "placements:write", "gap-needs:read"),
    "community": ("directory:read", "places:write", "organisations:write", "coordinators:write",
                  "developments:read", "developments:write", "stats:read"),
}


def _content(body: Any) -> bytes | None:
    """The body as sent: JSON, or the raw bytes a syntax-fuzzing case is made of."""
    if isinstance(body, NotSet) or body is None:
        return None
    if isinstance(body, bytes):
        return body
    return json.dumps(body, default=lambda b: b.decode("latin-1") if isinstance(b, bytes) else str(b)).encode()


def _send(runner: Runner, case: Any, headers: dict[str, str]) -> tuple[int, str]:
    content = _content(case.body)
    request_headers = {k: str(v) for k, v in (case.headers or {}).items()} | headers
    if content is not None:
        request_headers.setdefault("content-type", "application/json")
    r = runner.run(runner.svc.client.request(
        case.method, case.formatted_path, params=case.query or None, headers=request_headers, content=content))
    return r.status_code, r.text[:300]


def drive(strategy: st.SearchStrategy[Any], phase: str, config: settings, check: Any) -> None:
    """Run ``check`` on cases hypothesis draws from ``strategy``."""

    @config
    @given(st.data())
    def run(data: st.DataObject) -> None:
        check(data.draw(strategy), phase)

    run()


@pytest.mark.parametrize("spec", [INTAKE, COORDINATION, PARTICIPATION, COMMUNITY], ids=lambda s: s.name)
def test_no_input_gets_a_server_error(stack: TestStack, spec: ServiceSpec) -> None:
    runner = Runner(stack, spec, f"fuzz_{spec.name}", SCOPES[spec.name])
    headers = runner.auth(AGENCY)
    failures: list[str] = []
    tried = {"examples": 0, "coverage": 0, "fuzzing": 0}
    answers: dict[str, int] = {}
    try:
        schema = schemathesis.openapi.from_dict(runner.svc.app.openapi())
        operations = [result.ok() for result in schema.get_all_operations()]
        assert operations, "no operation found"

        def check(case: Any, phase: str) -> None:
            tried[phase] += 1
            status, text = _send(runner, case, headers)
            answers[f"{status // 100}xx"] = answers.get(f"{status // 100}xx", 0) + 1
            if status >= 500:
                failures.append(f"{case.method} {case.path} ({phase}): {status} for {case.as_curl_command()}"
                                f" -> {text}")

        quiet = {"deadline": None, "database": None, "suppress_health_check": list(HealthCheck)}
        for op in operations:
            for examples in op.get_strategies_from_examples():
                drive(examples, "examples", settings(max_examples=5, derandomize=True, **quiet), check)
            config = schema.config.generation_for(operation=op)
            for case in schema.iter_coverage_cases(op, generation_modes=list(GenerationMode),
                                                   generation_config=config):
                check(case, "coverage")
            # random path values mostly meet a 404 before anything else is read: the cases are
            # drawn again with the path's known values, so the rest of the request gets fuzzed
            names = {p.name for p in op.path_parameters}
            known = {name: value for name, value in KNOWN_PATH_VALUES.items() if name in names}
            for mode in GenerationMode:
                for fixed in ({}, known) if known else ({},):
                    drive(op.as_strategy(generation_mode=mode, path_parameters=fixed or None), "fuzzing", settings(
                        max_examples=FUZZ, derandomize=not os.environ.get("KASANE_SECURITY_RANDOM"), **quiet),
                        check)
    finally:
        runner.close()
    print(f"\n[no server errors] {spec.name}: {len(operations)} operations, "
          f"{sum(tried.values())} cases ({tried}), answered {dict(sorted(answers.items()))}, "
          f"{len(failures)} server errors")
    assert not failures, "\n".join(failures[:20])
