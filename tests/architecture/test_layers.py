"""The walls between layers (STYLE.md, "And the walls to keep"), read from the code itself.

- a view parses and answers: it runs no SQL and writes no outbox row;
- a store runs SQL: it does not authorize and does not write the outbox;
- a pure module (matching, statuses, screening, calendar, policy, ...) does no I/O;
- no service imports another service;
- no import of the project's own modules inside a function (the way a cycle gets hidden;
  third-party imports may stay lazy, e.g. an exporter only some deployments configure).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "src").is_dir())
PACKAGES = {f"kasane_{s}" for s in SERVICES}

SQL_CALLS = {"fetch", "fetchrow", "fetchval", "execute", "executemany", "copy_records_to_table", "cursor"}
OUTBOX = ("kasane_shared.events.outbox",)
AUTHORIZATION = ("kasane_shared.access", "kasane_shared.auth", "kasane_shared.policy")
IO = ("asyncpg", "aiokafka", "httpx", "fastapi", "starlette", "kasane_shared.db", "kasane_shared.events.outbox",
      "kasane_shared.kafka", "kasane_shared.audit")
# modules whose job is a rule or a calculation: no I/O at all
PURE = {"matching.py", "statuses.py", "screening.py", "calendar.py", "policy.py", "lifecycle.py", "stages.py",
        "grouping.py", "suppression.py", "schedule.py", "pace.py", "versions.py", "detect.py", "sharing.py",
        "membership.py", "decisions.py", "reasons.py", "report.py", "metrics.py", "labels.py", "shapes.py",
        "mynumber.py"}


@dataclass(frozen=True)
class Violation:
    path: str
    rule: str
    what: str

    def __str__(self) -> str:
        return f"{self.path}: {self.rule}: {self.what}"


def _imports(tree: ast.Module) -> Iterator[tuple[ast.stmt, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node, node.module
            for alias in node.names:
                yield node, f"{node.module}.{alias.name}"


def _under(name: str, prefixes: tuple[str, ...] | set[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _function_imports(tree: ast.Module) -> Iterator[ast.stmt]:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    yield inner


def _service_of(path: Path) -> str | None:
    parts = path.relative_to(ROOT).parts
    return f"kasane_{parts[1]}" if parts[0] == "services" else None


def violations_in(path: Path, source: str) -> list[Violation]:
    """Every wall ``source`` (the file at ``path``) breaks."""
    rel = str(path.relative_to(ROOT))
    tree = ast.parse(source)
    found: list[Violation] = []
    own = _service_of(path)
    role = path.name
    for _node, name in _imports(tree):
        if own and _under(name, PACKAGES - {own}):
            found.append(Violation(rel, "a service imports another service", name))
        if role == "views.py" and _under(name, OUTBOX):
            found.append(Violation(rel, "a view writes the outbox", name))
        if role in ("store.py", "reads.py") and (_under(name, OUTBOX) or _under(name, AUTHORIZATION)
                                                 or name.endswith((".authz", ".access", ".policy"))):
            found.append(Violation(rel, "a store authorizes or writes the outbox", name))
        if role in PURE and (_under(name, IO) or name.endswith((".store", ".facts"))):
            found.append(Violation(rel, "a pure module does I/O", name))
    if role == "views.py":
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_CALLS:
                found.append(Violation(rel, "a view runs SQL", f"line {node.lineno}: .{node.func.attr}()"))
    for node in _function_imports(tree):
        names = [a.name for a in node.names]
        module = node.module if isinstance(node, ast.ImportFrom) else None
        if not any(n.startswith("kasane_") for n in [module or "", *names]):
            continue  # a third-party import kept lazy for start-up or an optional exporter
        found.append(Violation(rel, "an import inside a function", f"line {node.lineno}: {module or ''} {names}"))
    return found


def source_files() -> list[Path]:
    files = [p for top in ("shared", "services") for p in (ROOT / top).rglob("*.py")]
    return sorted(p for p in files if ".local" not in p.parts and "/tests/" not in str(p))


def all_violations() -> list[Violation]:
    return [v for p in source_files() for v in violations_in(p, p.read_text(encoding="utf-8"))]


# Walls still broken when the service kit arrived (issue 20). Each service's conversion
# removes its lines; the test fails when a wall breaks anywhere else or an entry is stale.
NOT_YET: dict[tuple[str, str], int] = {
    ("services/community/src/kasane_community/coordinators/views.py", "a view writes the outbox"): 1,
    ("services/community/src/kasane_community/main.py", "an import inside a function"): 6,
    ("services/community/src/kasane_community/organisations/views.py", "a view writes the outbox"): 1,
    ("services/coordination/src/kasane_coordination/cases/reads.py", "a store authorizes or writes the outbox"): 1,
    ("services/coordination/src/kasane_coordination/outreach/views.py", "a view runs SQL"): 1,
    ("services/coordination/src/kasane_coordination/participation/views.py", "a view runs SQL"): 4,
    ("services/coordination/src/kasane_coordination/teams/views.py", "a view runs SQL"): 1,
    ("services/intake/src/kasane_intake/consents/views.py", "a view runs SQL"): 3,
    ("services/intake/src/kasane_intake/consents/views.py", "a view writes the outbox"): 1,
    ("services/intake/src/kasane_intake/consultations/store.py", "a store authorizes or writes the outbox"): 1,
    ("services/intake/src/kasane_intake/consultations/views.py", "a view runs SQL"): 1,
    ("services/intake/src/kasane_intake/households/store.py", "a store authorizes or writes the outbox"): 2,
    ("services/intake/src/kasane_intake/households/views.py", "a view runs SQL"): 2,
    ("services/intake/src/kasane_intake/persons/views.py", "a view runs SQL"): 11,
    ("services/intake/src/kasane_intake/persons/views.py", "a view writes the outbox"): 1,
    ("services/intake/src/kasane_intake/referrals/views.py", "a view runs SQL"): 2,
    ("services/intake/src/kasane_intake/screening/store.py", "a store authorizes or writes the outbox"): 1,
    ("services/participation/src/kasane_participation/main.py", "an import inside a function"): 5,
    ("services/participation/src/kasane_participation/matching/service.py", "an import inside a function"): 1,
    ("services/participation/src/kasane_participation/matching/views.py", "a view runs SQL"): 3,
    ("services/participation/src/kasane_participation/opportunities/service.py", "an import inside a function"): 1,
    ("services/participation/src/kasane_participation/placements/service.py", "an import inside a function"): 1,
    ("services/participation/src/kasane_participation/requests/service.py", "an import inside a function"): 1,
    ("services/participation/src/kasane_participation/requests/views.py", "a view runs SQL"): 1,
}


def test_the_walls_between_layers_hold() -> None:
    found = all_violations()
    assert source_files(), "nothing was scanned"
    counts: dict[tuple[str, str], int] = {}
    for v in found:
        counts[(v.path, v.rule)] = counts.get((v.path, v.rule), 0) + 1
    new = [str(v) for v in found if counts[(v.path, v.rule)] > NOT_YET.get((v.path, v.rule), 0)]
    assert not new, "walls broken:\n" + "\n".join(new)
    stale = [k for k, n in NOT_YET.items() if counts.get(k, 0) < n]
    assert not stale, f"fixed, so remove them from NOT_YET: {stale}"


FIXTURE = ROOT / "services" / "intake" / "src" / "kasane_intake" / "x"


@pytest.mark.parametrize(("name", "source", "rule"), [
    ("views.py", "async def f(conn):\n    await conn.fetchrow('SELECT 1')", "a view runs SQL"),
    ("views.py", "from kasane_shared.events import outbox", "a view writes the outbox"),
    ("views.py", "from kasane_shared.events.outbox import enqueue", "a view writes the outbox"),
    ("store.py", "from kasane_intake.authz import Viewer", "a store authorizes or writes the outbox"),
    ("store.py", "from kasane_shared.events import outbox", "a store authorizes or writes the outbox"),
    ("statuses.py", "import asyncpg", "a pure module does I/O"),
    ("matching.py", "from kasane_intake.persons import store", "a pure module does I/O"),
    ("service.py", "from kasane_coordination.cases import store", "a service imports another service"),
    ("service.py", "def f():\n    from kasane_intake.x import y\n    return y", "an import inside a function"),
])
def test_each_wall_is_seen_when_broken(name: str, source: str, rule: str) -> None:
    assert rule in {v.rule for v in violations_in(FIXTURE / name, source)}


def test_a_clean_module_passes() -> None:
    source = "from kasane_intake.referrals import store\n\nasync def f(conn):\n    return await store.get(conn, 1)"
    assert not violations_in(FIXTURE / "views.py", source)
