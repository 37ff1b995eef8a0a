"""The shape every service's access policy takes: one decision point, ``may``.

Each service keeps its rules in one pure module (``<service>/access/policy.py``): a
function from *relationship facts* (who the caller is to the record: the desk that
received it, a referral it answers, its case team, a consent naming it, a meeting it
acknowledged, a break-glass grant) and an *action* to a :class:`Decision`. A second module
(``access/facts.py``) reads those facts from the service's own tables. Routes ask
``may(conn, principal, action, resource)`` and nothing else; ids received in a body are
resources too. The access matrix in ``docs/access.md`` is generated from the policies
(``make access-docs``) and a test keeps it current.

Records a caller may not see are 404, never 403: ids travel on Kafka and are not secrets,
so "forbidden" would confirm that a record exists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from kasane_shared.http.problems import NotFound, Problem, field_error

Level = Literal["full", "limited"]


@dataclass(frozen=True)
class Decision:
    """What the policy said: allowed or not, how much of the record shows, and why."""

    allowed: bool
    level: Level | None = None  # full: everything; limited: that it exists and codes only
    basis: str | None = None  # the relationship fact that decided (for the audit log and the docs)
    break_glass: str | None = None  # the grant's stated reason, when only break glass allowed it

    @property
    def full(self) -> bool:
        return self.allowed and self.level == "full"

    @property
    def standing(self) -> bool:
        """Allowed by a relationship, not only by an emergency grant."""
        return self.allowed and self.break_glass is None

    def purpose(self, default: str) -> str:
        """The audit log's purpose: the break-glass reason, or the caller's own."""
        return self.break_glass or default


DENY = Decision(False)


def allow(basis: str, level: Level = "full") -> Decision:
    return Decision(True, level, basis)


def not_visible(what: str, field_name: str | None = None) -> Problem:
    """404 for a record the caller may not see (the same as for one that does not exist);
    for an id that came in the body, the field is named."""
    if field_name is None:
        return NotFound(f"no such {what}")
    return NotFound(f"{field_name}: no such {what}",
                    errors=[field_error(field_name, f"no such {what}", location="body")])


@dataclass(frozen=True)
class MatrixRow:
    """One line of the access matrix: a relationship, a record, and what each action gives."""

    relationship: str
    record: str
    outcomes: Mapping[str, str]  # action -> "full" | "limited" | "yes" | "—"


@dataclass(frozen=True)
class PolicyDoc:
    """A service's policy as the docs show it."""

    service: str
    summary: str
    actions: Sequence[str]
    rows: Callable[[], Iterable[MatrixRow]]
    notes: Sequence[str] = field(default_factory=tuple)


def outcome(decision: Decision) -> str:
    if not decision.allowed:
        return "—"
    glass = " (break glass)" if decision.break_glass else ""
    return (decision.level or "yes") + glass


def render(docs: Sequence[PolicyDoc]) -> str:
    """The access matrix as Markdown (docs/access.md)."""
    out = [
        "# Access matrix",
        "",
        "Generated from each service's policy (`services/*/src/*/access/policy.py`) by",
        "`make access-docs`; `tests/architecture/test_access_matrix.py` fails when",
        "it is out of date. A row is one relationship the caller has to one record and nothing",
        "else; `—` is 404 (the same answer as for an id that does not exist). `full` shows the",
        "record, `limited` that it exists (ids, dates, codes), `yes` allows the action.",
        "",
    ]
    for doc in docs:
        out += [f"## {doc.service}", "", doc.summary, ""]
        out.append("| relationship | record | " + " | ".join(doc.actions) + " |")
        out.append("|---|---|" + "---|" * len(doc.actions))
        for row in doc.rows():
            out.append(f"| {row.relationship} | {row.record} | "
                       + " | ".join(row.outcomes.get(a, "—") for a in doc.actions) + " |")
        out.append("")
        for note in doc.notes:
            out.append(f"- {note}")
        if doc.notes:
            out.append("")
    return "\n".join(out)
