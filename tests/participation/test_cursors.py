"""A cursor the API did not return is one answer on every list of participation: 400
problem+json naming ``cursor`` (issue 20), whatever is wrong with it, never a 500."""

from __future__ import annotations

import base64
import uuid

import pytest
from kasane_shared.http.pagination import encode_cursor

from tests.participation.helpers import SPEC, Api
from tests.support.service_env import service_env
from tests.support.stack import TestStack

pytestmark = pytest.mark.integration

LISTS = ("/v1/opportunities", "/v1/requests")
NOW = "2026-11-02T10:00:00+00:00"  # a timestamp as the lists' cursors hold them


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


GARBAGE = {
    "random text": "nonsense",
    "not base64 at all": "!!!",
    "base64 of non-UTF-8 bytes": _b64(b"\xff\xfe\xfd"),
    "base64 of text that is no JSON": _b64(b"not-a-cursor"),
    "base64 of a JSON object": _b64(b'{"at": "x"}'),
    "base64 of a list too short": encode_cursor(NOW),
    "base64 of a list too long": encode_cursor(NOW, uuid.uuid4(), "x"),
    "base64 of a list of numbers": _b64(b"[1, 2]"),
    "an invalid timestamp part": encode_cursor("yesterday", uuid.uuid4()),
    "a timestamp out of range": encode_cursor("2026-13-45T99:00:00+00:00", uuid.uuid4()),
    "a timestamp that leaves the calendar in UTC": encode_cursor("0001-01-01T00:00:00+09:00", uuid.uuid4()),
    "a timestamp without a time zone": encode_cursor("2026-11-02T10:00:00", uuid.uuid4()),
    "an invalid uuid part": encode_cursor(NOW, "not-a-uuid"),
    "a uuid part of the wrong length": encode_cursor(NOW, "1234"),
}


async def test_every_garbage_cursor_is_a_400_naming_the_cursor_on_every_list(stack: TestStack) -> None:
    async with service_env(stack, SPEC, "p_cursors") as svc:
        api = Api(svc)
        await api.opportunity()
        await api.request()
        answers = {}
        for path in LISTS:
            for what, cursor in GARBAGE.items():
                r = await svc.client.get(path, params={"cursor": cursor}, headers=api.auth())
                body = r.json() if r.headers.get("content-type", "").startswith("application/problem+json") else {}
                answers[(path, what)] = (r.status_code, (body.get("errors") or [{}])[0].get("field"))
        assert {k: v for k, v in answers.items() if v != (400, "cursor")} == {}
        # and a cursor the API did return still pages on
        for path in LISTS:
            r = await svc.client.get(path, params={"cursor": encode_cursor(NOW, uuid.uuid4())}, headers=api.auth())
            assert r.status_code == 200, r.text
