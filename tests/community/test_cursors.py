"""A cursor the API did not return is a 400 problem+json naming ``cursor`` on community's
lists (issue 20), including a time outside the calendar in UTC, which the database
refuses (it was a 500)."""

from __future__ import annotations

import uuid

import pytest
from kasane_shared.http.pagination import encode_cursor

from tests.community.helpers import SPEC, auth
from tests.support.service_env import service_env
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration

NOW = "2026-11-02T10:00:00+00:00"
LISTS = ("/v1/places", "/v1/organisations", "/v1/developments")
GARBAGE = {
    "random text": "nonsense",
    "an invalid timestamp part": encode_cursor("yesterday", uuid.uuid4()),
    "a timestamp outside the calendar in UTC": encode_cursor("0001-01-01T00:00:00+09:00", uuid.uuid4()),
    "a timestamp without a time zone": encode_cursor("2026-11-02T10:00:00", uuid.uuid4()),
    "an invalid uuid part": encode_cursor(NOW, "not-a-uuid"),
}


async def test_every_garbage_cursor_is_a_400_naming_the_cursor(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "comm_cursors") as svc:
        answers = {}
        for path in LISTS:
            for what, cursor in GARBAGE.items():
                r = await svc.client.get(path, params={"cursor": cursor}, headers=auth(stack))
                field = (r.json().get("errors") or [{}])[0].get("field") if r.status_code < 500 else None
                answers[(path, what)] = (r.status_code, field)
        assert {k: v for k, v in answers.items() if v != (400, "cursor")} == {}
        for path in LISTS:  # a well-formed cursor still pages on
            r = await svc.client.get(path, params={"cursor": encode_cursor(NOW, uuid.uuid4())}, headers=auth(stack))
            assert r.status_code == 200, r.text
