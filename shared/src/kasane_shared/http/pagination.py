"""Cursor pagination: an opaque cursor encodes the sort key of the last item returned."""

from __future__ import annotations

import base64
import json
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from kasane_shared.http.problems import Problem, field_error

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list; pass ``next_cursor`` back as ``cursor`` for the next one."""

    items: list[T]
    next_cursor: str | None = None


def encode_cursor(*values: Any) -> str:
    """An opaque cursor for the sort key ``values``."""
    raw = json.dumps([str(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, parts: int) -> list[str]:
    """The sort key inside ``cursor``; 400 naming the parameter when it is not ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if isinstance(values, list) and len(values) == parts and all(isinstance(v, str) for v in values):
            return values
    except (ValueError, UnicodeDecodeError):
        pass
    raise Problem(
        "cursor: not a cursor this API returned",
        status=400, title="Bad Request", slug="invalid-cursor",
        errors=[field_error("cursor", "not a cursor this API returned", location="query")],
    )
