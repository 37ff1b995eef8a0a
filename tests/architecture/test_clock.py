"""No code reads the machine's calendar: days are the municipality's (issue: the suite failed
from 00:00 to 09:00 Japan time because tests took ``date.today()`` on a UTC machine).

Services take today from the profile (``municipality.today()``), tests from
``tests/support/clock.py``. Forbidden everywhere: ``date.today()``, ``datetime.today()``,
``datetime.utcnow()``, ``datetime.now()`` without a zone, and ``datetime.now(UTC).date()``
(a UTC calendar day). Aware instants (``datetime.now(UTC)``) stay allowed: an instant has
no calendar until it is put in a zone.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ["shared", "services", "tools", "tests", "bench"]
UTC_NAMES = {"UTC", "utc", "timezone.utc", "datetime.UTC", "datetime.timezone.utc"}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _aliases(tree: ast.Module) -> dict[str, str]:
    """Local names bound to ``datetime.date`` / ``datetime.datetime`` (``from datetime import date as d``)."""
    names = {"datetime.date": "date", "datetime.datetime": "datetime"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "datetime":
            for alias in node.names:
                if alias.name in ("date", "datetime"):
                    names[alias.asname or alias.name] = alias.name
    return names


def machine_calendar_calls(source: str) -> list[tuple[int, str]]:
    """(line, text) of every call that reads the machine's calendar in ``source``."""
    tree = ast.parse(source)
    aliases = _aliases(tree)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        owner = aliases.get(_dotted(node.func.value))
        attr = node.func.attr
        if owner == "date" and attr == "today":
            found.append((node.lineno, "date.today()"))
        elif owner == "datetime" and attr in ("today", "utcnow"):
            found.append((node.lineno, f"datetime.{attr}()"))
        elif owner == "datetime" and attr == "now" and not node.args and not node.keywords:
            found.append((node.lineno, "datetime.now() without a zone"))
        elif attr == "date" and not node.args and isinstance(node.func.value, ast.Call):
            inner = node.func.value
            if (isinstance(inner.func, ast.Attribute) and inner.func.attr == "now"
                    and aliases.get(_dotted(inner.func.value)) == "datetime" and inner.args
                    and _dotted(inner.args[0]) in UTC_NAMES):
                found.append((node.lineno, "datetime.now(UTC).date(), a UTC calendar day"))
    return found


def python_files() -> list[Path]:
    return sorted(p for top in SCANNED for p in (ROOT / top).rglob("*.py") if ".local" not in p.parts)


def test_no_code_reads_the_machines_calendar() -> None:
    offenders = [f"{path.relative_to(ROOT)}:{line}: {what}"
                 for path in python_files()
                 for line, what in machine_calendar_calls(path.read_text(encoding="utf-8"))]
    assert python_files(), "nothing was scanned"
    assert not offenders, "take today from the profile (services) or tests/support/clock.py (tests):\n" + \
        "\n".join(offenders)


@pytest.mark.parametrize("snippet", [
    "from datetime import date\nx = date.today()",
    "import datetime\nx = datetime.date.today()",
    "from datetime import date as d\nx = d.today()",
    "from datetime import datetime\nx = datetime.now()",
    "from datetime import datetime\nx = datetime.utcnow()",
    "from datetime import datetime\nx = datetime.today()",
    "import datetime\nx = datetime.datetime.now()",
    "from datetime import UTC, datetime\nx = datetime.now(UTC).date()",
    "from datetime import datetime, timezone\nx = datetime.now(timezone.utc).date()",
])
def test_the_guard_finds_each_way_of_reading_the_machines_calendar(snippet: str) -> None:
    assert machine_calendar_calls(snippet)


@pytest.mark.parametrize("snippet", [
    "from datetime import UTC, datetime\nx = datetime.now(UTC)",
    "from datetime import datetime\nx = datetime.now(zone).date()",
    "x = profile.municipality.today()",
    "from tests.support.clock import today\nx = today()",
])
def test_the_guard_lets_zoned_time_through(snippet: str) -> None:
    assert not machine_calendar_calls(snippet)
