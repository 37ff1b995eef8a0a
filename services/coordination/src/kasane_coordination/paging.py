"""Cursors over (timestamp, tiebreak) sort keys."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from kasane_shared.http.pagination import decode_cursor
from kasane_shared.http.problems import Problem, field_error

T = TypeVar("T")


def after(cursor: str | None, tiebreak: Callable[[str], T]) -> tuple[datetime, T] | None:
    """The (time, tiebreak) key a cursor encodes; 400 naming ``cursor`` when it is not ours."""
    if not cursor:
        return None
    at, last = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(at), tiebreak(last)
    except ValueError:
        raise Problem("cursor: not a cursor this API returned", status=400, title="Bad Request",
                      slug="invalid-cursor",
                      errors=[field_error("cursor", "not a cursor this API returned", location="query")]) from None
