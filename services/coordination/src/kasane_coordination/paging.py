"""Cursors over (timestamp, tiebreak) sort keys."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from kasane_shared.http.pagination import cursor_time, decode_cursor, invalid_cursor

T = TypeVar("T")


def bigint(text: str) -> int:
    """A cursor's bigint tiebreak (a timeline entry's id); ValueError beyond 64 bits, which
    the database would refuse."""
    value = int(text)
    if not -(2**63) <= value < 2**63:
        raise ValueError("beyond a bigint")
    return value


def after(cursor: str | None, tiebreak: Callable[[str], T]) -> tuple[datetime, T] | None:
    """The (time, tiebreak) key a cursor encodes; 400 naming ``cursor`` when it is not ours."""
    if not cursor:
        return None
    at, last = decode_cursor(cursor, 2)
    try:
        return cursor_time(at), tiebreak(last)
    except (ValueError, OverflowError):  # OverflowError: a time outside the calendar in UTC
        raise invalid_cursor() from None
