"""Gap needs grouped by area and need, so a coordinator sees where the same gap recurs.

Pure functions, unit-tested without servers. A gap need names several need codes; it
counts in the group of each, so the groups of one area may overlap.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from pydantic import BaseModel


@dataclass(frozen=True)
class GapNeed:
    """A gap need as community keeps it (codes and an area; no person)."""

    id: UUID
    area_code: str
    need_codes: tuple[str, ...]
    wanted_kinds: tuple[str, ...]
    accommodations: tuple[str, ...]
    languages: tuple[str, ...]
    recorded_at: datetime
    development_id: UUID | None

    @property
    def open(self) -> bool:
        """Not yet taken up by a live development project."""
        return self.development_id is None


class GapNeedGroup(BaseModel):
    area_code: str
    need_code: str
    gap_needs: int  # all recorded in the group
    open: int  # not yet taken up by a project
    open_gap_need_ids: list[UUID]  # pass these to POST /v1/developments
    development_ids: list[UUID]  # live projects already working on part of the group
    wanted_kinds: dict[str, int]
    accommodations: dict[str, int]
    languages: dict[str, int]
    first_recorded_at: datetime
    last_recorded_at: datetime


def group_gap_needs(needs: Iterable[GapNeed], *, open_only: bool = False) -> list[GapNeedGroup]:
    """Groups by (area, need code), the ones with most open gap needs first."""
    buckets: dict[tuple[str, str], list[GapNeed]] = defaultdict(list)
    for need in needs:
        if open_only and not need.open:
            continue
        for code in dict.fromkeys(need.need_codes):
            buckets[(need.area_code, code)].append(need)
    groups = []
    for (area, code), members in buckets.items():
        members.sort(key=lambda n: (n.recorded_at, n.id))
        open_members = [n for n in members if n.open]
        groups.append(GapNeedGroup(
            area_code=area,
            need_code=code,
            gap_needs=len(members),
            open=len(open_members),
            open_gap_need_ids=[n.id for n in open_members],
            development_ids=sorted({n.development_id for n in members if n.development_id}, key=str),
            wanted_kinds=_tally(k for n in members for k in n.wanted_kinds),
            accommodations=_tally(a for n in members for a in n.accommodations),
            languages=_tally(lang for n in members for lang in n.languages),
            first_recorded_at=members[0].recorded_at,
            last_recorded_at=members[-1].recorded_at,
        ))
    groups.sort(key=lambda g: (-g.open, -g.gap_needs, g.area_code, g.need_code))
    return groups


def _tally(codes: Iterable[str]) -> dict[str, int]:
    return dict(sorted(Counter(codes).items(), key=lambda kv: (-kv[1], kv[0])))


def needs_of(members: Iterable[GapNeed]) -> list[str]:
    """The need codes a project takes up from its gap needs, most frequent first."""
    return list(_tally(c for n in members for c in dict.fromkeys(n.need_codes)))


def outside_area(members: Iterable[GapNeed], scope: set[str]) -> list[UUID]:
    """Gap needs recorded outside a project's area (the area and those below it)."""
    return [n.id for n in members if n.area_code not in scope]
