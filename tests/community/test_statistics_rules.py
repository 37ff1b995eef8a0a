"""What each event adds to the statistics, the month it counts in, the profile section,
and how a report picks an area's cells: pure rules, no servers."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from kasane_community.rules import StatisticsRules, statistics_rules
from kasane_community.statistics.metrics import TOTAL, UNLISTED, Metric, Tally, month_of, tallies
from kasane_community.statistics.report import months_between, report_rows
from kasane_community.statistics.suppression import Hierarchy
from kasane_shared.contracts.coordination import CaseEnded, OutreachStarted
from kasane_shared.contracts.intake import ConsentGranted, ConsultationReceived
from kasane_shared.contracts.participation import GapNeedRecorded
from kasane_shared.profile import load_profile
from pydantic import ValidationError

from tests.support.stack import PROFILE

profile = load_profile(PROFILE)
ZONE = statistics_rules(profile).zone


def test_the_sample_profile_section_validates() -> None:
    rules = statistics_rules(profile)
    assert (rules.suppression_threshold, rules.suppress_zero, rules.timezone) == (5, False, "Asia/Tokyo")


@pytest.mark.parametrize("section", [
    {"version": "1", "suppression_threshold": 2},  # "<2" with zeros shown would mean exactly 1
    {"version": "1", "suppression_threshold": 5, "timezone": "Asia/Tokyo"},  # the municipality's, not ours
    {"version": "1", "suppression_threshold": 5, "surprise": True},
    {"suppression_threshold": 5},
])
def test_a_broken_statistics_section_is_refused(section: dict) -> None:
    with pytest.raises(ValidationError):
        StatisticsRules.model_validate(section)


def test_the_zone_comes_from_the_municipality() -> None:
    elsewhere = profile.model_copy(update={"municipality": profile.municipality.model_copy(
        update={"timezone": "Pacific/Honolulu"})})
    assert statistics_rules(elsewhere).zone.key == "Pacific/Honolulu"


def test_months_are_cut_in_the_municipality_time_zone() -> None:
    # 2026-03-31 16:00 UTC is 1 April 01:00 in Tokyo
    assert month_of(datetime(2026, 3, 31, 16, 0, tzinfo=UTC), ZONE) == date(2026, 4, 1)
    assert month_of(date(2026, 3, 31), ZONE) == date(2026, 3, 1)


def test_a_consultation_counts_in_its_total_and_each_concern_once() -> None:
    event = ConsultationReceived(
        consultation_id=uuid.uuid4(), agency_id="sk-jiritsu", received_at=datetime(2026, 3, 10, 1, tzinfo=UTC),
        channel="phone", consulted_by="self", anonymous=False, person_id=uuid.uuid4(), household_id=uuid.uuid4(),
        area_code="SK-N-01", concern_codes=["poverty", "debt", "poverty"], unknown_concern_codes=["kodokushi"],
    )
    got = tallies(event, datetime(2026, 3, 10, tzinfo=UTC), profile=profile, zone=ZONE)
    assert got == [Tally(date(2026, 3, 1), "SK-N-01", Metric.consultations_received, code)
                   for code in (TOTAL, "poverty", "debt", UNLISTED)]
    assert not any(str(event.person_id) in repr(t) or str(event.consultation_id) in repr(t) for t in got)


def test_events_without_a_known_area_count_at_the_municipality_and_dates_give_the_month() -> None:
    ended = CaseEnded(case_id=uuid.uuid4(), outcome_code="resolved", ended_on=date(2026, 2, 28))
    assert tallies(ended, datetime(2026, 3, 5, tzinfo=UTC), profile=profile, zone=ZONE) == [
        Tally(date(2026, 2, 1), "SK", Metric.cases_ended, TOTAL)]
    outreach = OutreachStarted(engagement_id=uuid.uuid4(), agency_id="sk-jusou-suishin", area_code="XX-9")
    assert tallies(outreach, datetime(2026, 3, 5, tzinfo=UTC), profile=profile, zone=ZONE)[0].area_code == "SK"
    gap = GapNeedRecorded(gap_need_id=uuid.uuid4(), area_code="SK-E-02", need_codes=["daytime_place"])
    assert [t.code for t in tallies(gap, datetime(2026, 3, 5, tzinfo=UTC), profile=profile, zone=ZONE)] == [
        TOTAL, "daytime_place"]


def test_events_the_statistics_do_not_use_add_nothing() -> None:
    consent = ConsentGranted(consent_id=uuid.uuid4(), person_id=uuid.uuid4(), scope="collaboration",
                             method="written", granted_on=date(2026, 3, 1))
    assert tallies(consent, datetime(2026, 3, 5, tzinfo=UTC), profile=profile, zone=ZONE) == []


def test_months_between_crosses_the_year() -> None:
    assert months_between(date(2025, 11, 1), date(2026, 2, 1)) == [
        date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]


def test_a_report_shows_the_area_its_children_and_its_unassigned_part() -> None:
    h = Hierarchy.of(profile)
    march = date(2026, 3, 1)
    counts = [
        {"month": march, "metric": "cases_opened", "code": TOTAL, "area_code": a, "count": n}
        for a, n in {"SK-N": 6, "SK-N-01": 2, "SK-N-02": 10, "SK-C-01": 30}.items()
    ]
    rows = report_rows(h, counts, area="SK-N", months=[march], metrics=[Metric.cases_opened], threshold=5,
                       suppress_zero=False)
    shown = {(r.scope, r.area_code): r.display for r in rows}
    assert shown == {("area", "SK-N"): "18", ("unassigned", "SK-N"): "6", ("child", "SK-N-01"): "<5",
                     ("child", "SK-N-02"): "x"}
    by_city = report_rows(h, counts, area="SK", months=[march], metrics=[Metric.cases_opened], threshold=5,
                          suppress_zero=False)
    assert {(r.scope, r.area_code): r.display for r in by_city} == {
        ("area", "SK"): "48", ("child", "SK-N"): "18", ("child", "SK-C"): "30"}
