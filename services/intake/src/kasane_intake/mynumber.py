"""The My Number (個人番号) detector: pure logic, no I/O.

Intake must never store an individual number (番号法 restricts who may collect it, and
no Kasane purpose is among them). Any string field of any request or partner event that
holds 12 digits with a valid check digit, written plainly or as ``1234 5678 9012`` /
``1234-5678-9012`` (full-width digits too), is refused with a 422 naming the field. The
value itself is never echoed, logged or stored.

The check digit (個人番号の検査用数字, 総務省令第85号 第5条): with P(n) the n-th of the first
eleven digits counted from the right and Q(n) = n + 1 for n <= 6, n - 5 for n >= 7,
check = 11 - (sum P(n) x Q(n) mod 11), or 0 when the remainder is 0 or 1.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

# 12 digits, optionally grouped 4-4-4 by one space or hyphen, not inside a longer number
_CANDIDATE = re.compile(r"(?<![0-9])([0-9]{4})[ \-]?([0-9]{4})[ \-]?([0-9]{4})(?![0-9])")


def check_digit(first_eleven: str) -> int:
    """The check digit of the first eleven digits of an individual number."""
    total = 0
    for n, ch in enumerate(reversed(first_eleven), start=1):
        q = n + 1 if n <= 6 else n - 5
        total += int(ch) * q
    remainder = total % 11
    return 0 if remainder <= 1 else 11 - remainder


def is_my_number(digits: str) -> bool:
    """Whether 12 ASCII digits form a valid individual number."""
    return len(digits) == 12 and digits.isdigit() and check_digit(digits[:11]) == int(digits[11])


def contains_my_number(text: str) -> bool:
    """Whether ``text`` holds something that is a valid individual number."""
    normalised = unicodedata.normalize("NFKC", text)
    return any(is_my_number("".join(m.groups())) for m in _CANDIDATE.finditer(normalised))


def find_my_number(value: Any, path: tuple[str, ...] = ()) -> str | None:
    """The dotted path of the first string field in ``value`` that holds an individual
    number (``members.0.person.contact_notes``), or None."""
    if isinstance(value, str):
        return ".".join(path) if contains_my_number(value) else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            found = find_my_number(item, (*path, str(key)))
            if found is not None:
                return found
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = find_my_number(item, (*path, str(index)))
            if found is not None:
                return found
    return None
