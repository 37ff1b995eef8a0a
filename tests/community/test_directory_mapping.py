"""A place's facts (what events carry) and the HSDS mapping: pure, no servers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from kasane_community.directory.hsds import derived_id, export
from kasane_community.organisations.models import OrganisationRead
from kasane_community.places.facts import column_values, facts_changed, facts_of
from kasane_community.places.models import ActivityRead, PlaceRead
from kasane_shared.profile import load_profile

from tests.community.hsds_schema import problems
from tests.support.stack import PROFILE

NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)


def _org(**over: object) -> OrganisationRead:
    base = dict(id=uuid.uuid4(), name="NPO法人 ひだまり", kind="npo", description=None, area_code="SK-N",
                offers=["space", "volunteers"], website="https://hidamari.example", registered_by_agency="sk-shakyo",
                contact={"name": "事務局", "phone": "0561-00-0000", "email": "info@hidamari.example"}, agency_id=None,
                joined_at=NOW, updated_at=NOW)
    return OrganisationRead(**{**base, **over})


def _place(**over: object) -> PlaceRead:
    base = dict(id=uuid.uuid4(), name="ひだまりカフェ", kind="ibasho", description="誰でも立ち寄れる居場所",
                organisation_id=None, area_code="SK-N-01", lat=35.048, lon=136.892,
                address={"postal_code": "999-0012", "city": "桜ヶ丘市", "line1": "北町1-2-3"},
                schedule=[{"weekday": 1, "start_hour": 10, "end_hour": 15}, {"weekday": 4, "start_hour": 13,
                                                                              "end_hour": 24}],
                for_ages=["15-19", "20-24"], for_fields=["youth"], accessibility=["quiet_space"],
                languages=["ja", "pt"], capacity=12, contact={"name": "山田", "phone": "0561-11-2222"},
                status="open", development_id=None, registered_by_agency="sk-shakyo", version=1, created_at=NOW,
                updated_at=NOW, closed_at=None)
    return PlaceRead(**{**base, **over})


def test_facts_carry_no_name_address_or_contact() -> None:
    place = _place()
    facts = facts_of(place).model_dump(mode="json")
    assert set(facts) == {"kind", "area_code", "lat", "lon", "organisation_id", "schedule", "for_ages", "for_fields",
                          "accessibility", "languages", "capacity", "status"}
    text = str(facts)
    for personal in ("ひだまりカフェ", "北町1-2-3", "山田", "0561-11-2222", "999-0012", "誰でも"):
        assert personal not in text


def test_only_a_change_of_facts_is_news_for_participation() -> None:
    place = _place()
    renamed = place.model_copy(update={"name": "ひだまり食堂", "contact": {"phone": "0561-99-9999"}})
    assert not facts_changed(place, renamed)
    assert facts_changed(place, place.model_copy(update={"capacity": 20}))
    assert facts_changed(place, place.model_copy(update={"status": "paused"}))


def test_an_explicit_null_clears_a_list_rather_than_breaking_it() -> None:
    assert column_values({"languages": None, "for_fields": ["youth"], "contact": None}) == {
        "languages": [], "for_fields": ["youth"], "contact": {}}


def test_the_export_is_valid_hsds_with_stable_ids() -> None:
    org = _org()
    place = _place(organisation_id=org.id)
    bare = _place(address=None, lat=None, lon=None, for_ages=["all"], schedule=[], contact={}, kind="salon",
                  status="paused", description=None)
    activity = ActivityRead(id=uuid.uuid4(), place_id=place.id, name="ポルトガル語の茶話会", kind="salon",
                            description=None, schedule=[{"weekday": 5, "start_hour": 14, "end_hour": 16}],
                            for_ages=["all"], status="open", registered_by_agency="sk-shakyo", created_at=NOW,
                            updated_at=NOW)
    doc = export(organisations=[org], places=[place, bare], activities=[activity],
                 profile=load_profile(PROFILE), generated_at=NOW, utcoffset=timedelta(hours=9))
    assert problems(doc) == []
    assert [len(doc[k]) for k in ("organizations", "services", "locations", "schedules")] == [1, 3, 2, 3]
    service = doc["services"][0]
    assert service["organization_id"] == str(org.id)
    assert (service["minimum_age"], service["maximum_age"]) == (15, 24)
    assert doc["services"][1]["status"] == "temporarily closed"
    location = doc["locations"][0]
    assert location["addresses"][0]["state_province"] == "みどり県"  # the profile's prefecture
    assert service["service_at_locations"][0]["location_id"] == location["id"] == derived_id("location", place.id)
    friday = next(s for s in doc["schedules"] if s["byday"] == "FR" and s["service_id"] == str(place.id))
    assert (friday["opens_at"], friday["closes_at"]) == ("13:00+09:00", "23:59+09:00")
    again = export(organisations=[org], places=[place, bare], activities=[activity],
                   profile=load_profile(PROFILE), generated_at=NOW, utcoffset=timedelta(hours=9))
    assert again == doc  # derived ids are stable


def test_the_schema_check_would_catch_a_broken_export() -> None:
    doc = export(organisations=[_org()], places=[_place()], activities=[], profile=load_profile(PROFILE),
                 generated_at=NOW, utcoffset=timedelta(hours=9))
    doc["services"][0]["status"] = "open"  # not an HSDS status
    doc["locations"][0]["addresses"][0].pop("postal_code")
    doc["organizations"][0]["nmae"] = "typo"
    found = "\n".join(problems(doc))
    assert "'open' is not one of" in found
    assert "'postal_code' is a required property" in found
    assert "nmae: not an HSDS field" in found
