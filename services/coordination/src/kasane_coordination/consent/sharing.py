"""What consent allows (pure). Sharing a household's case between agencies needs a
member's consent (同意), except inside a 支援会議 (Art. 106-6)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from kasane_shared.contracts.codes import ConsentScope


@dataclass(frozen=True)
class ConsentFact:
    """One consent as coordination knows it (from intake's events or a referral)."""

    scope: ConsentScope
    agency_ids: frozenset[str]
    granted_on: date
    expires_on: date | None = None
    withdrawn_on: date | None = None

    def active(self, on: date) -> bool:
        """Granted by ``on``, not expired and not withdrawn."""
        if self.granted_on > on:
            return False
        if self.expires_on is not None and self.expires_on < on:
            return False
        return self.withdrawn_on is None or self.withdrawn_on > on


def covers(consents: Iterable[ConsentFact], agency_ids: Iterable[str], on: date) -> bool:
    """Whether the active consents together allow sharing with every one of ``agency_ids``:
    a collaboration-wide consent covers everyone, named-agency consents their agencies."""
    active = [c for c in consents if c.active(on)]
    if not active:
        return False
    if any(c.scope is ConsentScope.collaboration for c in active):
        return True
    named = frozenset().union(*(c.agency_ids for c in active if c.scope is ConsentScope.named_agencies))
    wanted = set(agency_ids)
    return bool(wanted) and wanted <= named


def any_active(consents: Iterable[ConsentFact], on: date) -> bool:
    """Whether any consent is in force (for showing the state, not for deciding sharing)."""
    return any(c.active(on) for c in consents)
