"""What each consumed event adds to the area statistics: pure functions, no I/O.

A tally is (month, area, metric, code). Every event adds one to its metric's ``total``
and one to each of its codes (concerns or needs), in the area the event names and the
month its fact happened in the municipality's time zone. Ids are read nowhere here: the
statistics keep counts only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from kasane_shared.contracts.coordination import CaseEnded, CaseOpened, OutreachStarted
from kasane_shared.contracts.intake import ConsultationReceived, ConsultationReferred
from kasane_shared.contracts.participation import GapNeedRecorded, PlacementEnded, PlacementStarted
from kasane_shared.events.base import Event
from kasane_shared.profile import MunicipalityProfile

TOTAL = "total"
UNLISTED = "unlisted"  # consultations naming a concern not in the catalogue (kept and flagged by intake)


class Metric(StrEnum):
    consultations_received = "consultations_received"  # 相談受付 (intake)
    consultations_referred = "consultations_referred"  # つなぎ (intake)
    cases_opened = "cases_opened"  # 多機関協働の支援開始 (coordination)
    cases_ended = "cases_ended"  # 終結 (coordination)
    outreach_started = "outreach_started"  # アウトリーチ開始 (coordination)
    placements_started = "placements_started"  # 参加支援の開始 (participation)
    placements_ended = "placements_ended"  # (participation)
    gap_needs_recorded = "gap_needs_recorded"  # 既存の資源では合わないニーズ (participation)


# Metrics broken down by code: what the code dimension means for each. Events may carry
# several codes or none, so a metric's codes do not add up to its total.
CODED: dict[Metric, str] = {
    Metric.consultations_received: "concern",
    Metric.consultations_referred: "concern",
    Metric.cases_opened: "concern",
    Metric.gap_needs_recorded: "need",
}


@dataclass(frozen=True)
class Tally:
    month: date
    area_code: str
    metric: Metric
    code: str


def month_of(moment: datetime | date, zone: ZoneInfo) -> date:
    """The first day of the month ``moment`` falls in, in the municipality's zone."""
    if isinstance(moment, datetime):
        moment = moment.astimezone(zone).date()
    return moment.replace(day=1)


def root_area(profile: MunicipalityProfile) -> str:
    """Where an event with no area (or one the profile does not know) is counted: the
    municipality, as its own "unassigned" part."""
    roots = [a for a in profile.areas if a.parent is None]
    return next((a.code for a in roots if a.kind == "municipality"), roots[0].code)


def tallies(event: Event, event_time: datetime, *, profile: MunicipalityProfile, zone: ZoneInfo) -> list[Tally]:
    """The counts one event adds; empty for types the statistics do not use."""
    metric, codes, area, when = _facts(event, event_time)
    if metric is None:
        return []
    if area is None or profile.area(area) is None:
        area = root_area(profile)
    month = month_of(when, zone)
    return [Tally(month, area, metric, code) for code in (TOTAL, *dict.fromkeys(codes))]


def _facts(event: Event, event_time: datetime) -> tuple[Metric | None, list[str], str | None, datetime | date]:
    match event:
        case ConsultationReceived():
            codes = list(event.concern_codes) + ([UNLISTED] if event.unknown_concern_codes else [])
            return Metric.consultations_received, codes, event.area_code, event.received_at
        case ConsultationReferred():
            return Metric.consultations_referred, list(event.concern_codes), event.area_code, event_time
        case CaseOpened():
            return Metric.cases_opened, list(event.concern_codes), event.area_code, event_time
        case CaseEnded():
            return Metric.cases_ended, [], event.area_code, event.ended_on
        case OutreachStarted():
            return Metric.outreach_started, [], event.area_code, event_time
        case PlacementStarted():
            return Metric.placements_started, [], event.area_code, event.started_on
        case PlacementEnded():
            return Metric.placements_ended, [], event.area_code, event.ended_on
        case GapNeedRecorded():
            return Metric.gap_needs_recorded, list(event.need_codes), event.area_code, event_time
    return None, [], None, event_time
