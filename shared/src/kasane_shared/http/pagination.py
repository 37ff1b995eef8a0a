"""Cursor pagination: an opaque cursor encodes the sort key of the last item returned."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
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


def invalid_cursor(name: str = "cursor") -> Problem:
    """The one answer to a cursor this API did not return: 400, naming the parameter."""
    return Problem(
        f"{name}: not a cursor this API returned",
        status=400, title="Bad Request", slug="invalid-cursor",
        errors=[field_error(name, "not a cursor this API returned", location="query")],
    )


def decode_cursor(cursor: str, parts: int) -> list[str]:
    """The sort key inside ``cursor`` as strings; 400 naming the parameter when it is not ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if isinstance(values, list) and len(values) == parts and all(isinstance(v, str) for v in values):
            return values
    except (ValueError, UnicodeDecodeError):
        pass
    raise invalid_cursor()


def cursor_time(text: str) -> datetime:
    """A cursor's timestamp part, as :func:`cursor_key` parses it: the ISO text this API
    wrote (always with its offset), in UTC. ValueError for naive or unreadable text and
    OverflowError for one outside the calendar in UTC (year 0 or 10000), which the
    database would refuse: both are the cursor's 400, never a 500."""
    at = datetime.fromisoformat(text)
    if at.tzinfo is None:
        raise ValueError("a cursor's timestamp has no offset")
    return at.astimezone(UTC)


def cursor_key(cursor: str | None, *parsers: Callable[[str], Any]) -> tuple[Any, ...] | None:
    """The typed sort key a cursor encodes (one parser per part, e.g. ``cursor_time, UUID``),
    None without a cursor; any cursor that is not ours, or whose parts do not parse, is the
    same 400 naming ``cursor``."""
    if cursor is None or cursor == "":
        return None
    values = decode_cursor(cursor, len(parsers))
    try:
        return tuple(parse(v) for parse, v in zip(parsers, values, strict=True))
    except (ValueError, TypeError, OverflowError):
        raise invalid_cursor() from None
