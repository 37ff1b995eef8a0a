"""The municipality profile: the sample loads, broken ones are refused at start."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from kasane_shared.profile import MunicipalityProfile, load_profile
from pydantic import BaseModel, ValidationError

SAMPLE = Path(__file__).resolve().parents[2] / "profiles" / "sample-city.yaml"


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))


def test_sample_profile_loads_with_its_hierarchy() -> None:
    profile = load_profile(SAMPLE)
    assert profile.municipality.name == "桜ヶ丘市"
    assert [a.code for a in profile.ancestors("SK-N-01")] == ["SK-N", "SK"]
    assert profile.descendants("SK-N") == {"SK-N", "SK-N-01", "SK-N-02"}
    integrated = profile.agency("sk-sougou-higashi")
    assert integrated is not None and {f.value for f in integrated.all_fields} == {
        "elderly", "disability", "children", "poverty"}
    assert profile.agency_by_source("urn:kasane:agency:sk-jiritsu").id == "sk-jiritsu"
    assert profile.municipality.zone.key == "Asia/Tokyo"


def _broken(raw: dict, mutate) -> dict:
    data = copy.deepcopy(raw)
    mutate(data)
    return data


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["areas"].append(dict(d["areas"][1])), "share a code"),
        (lambda d: d["areas"][1].update(parent="NOPE"), "unknown parent"),
        (lambda d: d["areas"][0].update(parent="SK-N"), "its own ancestor"),
        (lambda d: d["agencies"].append(dict(d["agencies"][0])), "share an id"),
        (lambda d: d["agencies"][0].update(area="NOPE"), "unknown area"),
        (lambda d: d["agencies"][0].update(field="astrology"), "field"),
        (lambda d: d.update(surprise=1), "surprise"),
        (lambda d: d["municipality"].update(timezone="Mars/Olympus"), "unknown time zone"),
    ],
)
def test_inconsistent_profiles_are_refused(raw: dict, mutate, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        MunicipalityProfile.model_validate(_broken(raw, mutate))


def test_rules_sections_are_validated_by_their_owner() -> None:
    class Referrals(BaseModel):
        version: str
        max_bounces: int

    profile = load_profile(SAMPLE)
    assert profile.rules_section("referrals", Referrals).max_bounces == 2


def test_a_service_refuses_to_start_on_a_broken_rules_section(tmp_path: Path, raw: dict) -> None:
    """ServiceSpec.rules sections are validated when a process loads the profile."""
    from types import SimpleNamespace

    from kasane_shared.service import ServiceSpec

    class Referrals(BaseModel):
        version: str
        max_bounces: int

    spec = ServiceSpec(name="x", title="x", description="x", version="0", settings_class=object,  # type: ignore[arg-type]
                       routers=list, migrations=tmp_path, rules={"referrals": Referrals})  # type: ignore[arg-type]
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert spec.load_profile(SimpleNamespace(profile_path=good)).municipality.code == "999990"  # type: ignore[arg-type]
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(_broken(raw, lambda d: d["rules"]["referrals"].update(max_bounces="many")),
                                     allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationError, match="max_bounces"):
        spec.load_profile(SimpleNamespace(profile_path=broken))  # type: ignore[arg-type]
