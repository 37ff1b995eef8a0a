"""A cursor the API did not return is a 400 problem+json naming ``cursor`` on coordination's
lists (issue 20), including a time outside the calendar in UTC and a tiebreak beyond 64
bits, which the database refuses (they were 500s)."""

from __future__ import annotations

import uuid

import pytest
from kasane_coordination.main import SPEC
from kasane_shared.http.pagination import encode_cursor

from tests.coordination.support import ELDERLY, auth, ok, open_case
from tests.support.service_env import service_env
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration

NOW = "2026-11-02T10:00:00+00:00"
GARBAGE = {
    "random text": lambda last: "nonsense",
    "an invalid timestamp part": lambda last: encode_cursor("yesterday", last),
    "a timestamp outside the calendar in UTC": lambda last: encode_cursor("0001-01-01T00:00:00+09:00", last),
    "a timestamp without a time zone": lambda last: encode_cursor("2026-11-02T10:00:00", last),
    "an invalid tiebreak": lambda last: encode_cursor(NOW, "not-an-id"),
}


async def test_every_garbage_cursor_is_a_400_naming_the_cursor(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "coord_cursors") as svc:
        case = await open_case(svc, stack)
        headers = auth(stack, ELDERLY)
        lists = {"/v1/cases": str(uuid.uuid4()), f"/v1/cases/{case['id']}/timeline": "1"}
        answers = {}
        for path, last in lists.items():
            cursors = {what: make(last) for what, make in GARBAGE.items()}
            if path.endswith("/timeline"):
                cursors["a tiebreak beyond 64 bits"] = encode_cursor(NOW, str(2**64))
            for what, cursor in cursors.items():
                r = await svc.client.get(path, params={"cursor": cursor}, headers=headers)
                field = (r.json().get("errors") or [{}])[0].get("field") if r.status_code < 500 else None
                answers[(path, what)] = (r.status_code, field)
        assert {k: v for k, v in answers.items() if v != (400, "cursor")} == {}
        for path, last in lists.items():  # a well-formed cursor still pages on
            ok(await svc.client.get(path, params={"cursor": encode_cursor(NOW, last)}, headers=headers))
