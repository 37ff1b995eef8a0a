"""The municipality profile: one versioned YAML file per deployment.

It names the municipality's areas (a hierarchy: the city, its daily-life areas 日常生活圏域,
school districts 小学校区 ...), the agencies taking part (支援関係機関) with their field and
site type, and the rules' thresholds each service reads from its own ``rules`` section.
Every service loads and validates it at start; a broken profile stops the start.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

T = TypeVar("T", bound=BaseModel)


class AreaKind(StrEnum):
    municipality = "municipality"
    district = "district"  # 地区
    daily_life_area = "daily_life_area"  # 日常生活圏域
    school_district = "school_district"  # 小学校区 / 中学校区
    neighbourhood = "neighbourhood"  # 町丁目・自治会


class AgencyField(StrEnum):
    """The field an agency works in; the first four are the existing systems (イ-ニ)."""

    elderly = "elderly"  # 高齢 (地域包括支援センター)
    disability = "disability"  # 障害 (障害者相談支援事業)
    children = "children"  # 子ども・子育て (利用者支援事業)
    poverty = "poverty"  # 生活困窮 (自立相談支援事業)
    health = "health"  # 保健センター
    education = "education"  # 学校・教育委員会
    welfare_council = "welfare_council"  # 社会福祉協議会 (CSW, volunteer centre)
    community_volunteer = "community_volunteer"  # 民生委員・児童委員
    municipal = "municipal"  # 市町村の担当課
    npo = "npo"
    employment = "employment"
    other = "other"


class SiteType(StrEnum):
    basic = "basic"  # 基本型: one field
    integrated = "integrated"  # 統合型: up to four fields at one site
    community = "community"  # 地域型: near residents


class Coordinates(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Area(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    name: str
    name_en: str | None = None
    kind: AreaKind
    parent: str | None = None
    centroid: Coordinates | None = None


class Agency(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    name: str
    name_en: str | None = None
    field: AgencyField
    fields: list[AgencyField] = []  # an integrated site's further fields
    site_type: SiteType | None = None
    area: str | None = None
    # ce_source this agency's partner system uses on the inbound consultation topic
    event_source: str | None = None

    @property
    def source(self) -> str:
        return self.event_source or f"urn:kasane:agency:{self.id}"

    @property
    def all_fields(self) -> set[AgencyField]:
        return {self.field, *self.fields}


class Municipality(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[0-9]{6}$")  # 全国地方公共団体コード
    name: str
    name_en: str | None = None
    prefecture: str
    # The municipality's calendar: days, months and local times without an offset are
    # read in this zone by every service.
    timezone: str = "Asia/Tokyo"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def today(self) -> date:
        """The municipality's calendar day now."""
        return datetime.now(self.zone).date()


class MunicipalityProfile(BaseModel):
    """A deployment's areas, agencies and rule thresholds."""

    model_config = ConfigDict(extra="forbid")

    profile_version: str
    municipality: Municipality
    areas: list[Area]
    agencies: list[Agency]
    rules: dict[str, dict[str, Any]] = {}

    @model_validator(mode="after")
    def _consistent(self) -> MunicipalityProfile:
        codes = [a.code for a in self.areas]
        if len(set(codes)) != len(codes):
            raise ValueError("areas: two areas share a code")
        known = set(codes)
        for area in self.areas:
            if area.parent is not None and area.parent not in known:
                raise ValueError(f"areas: {area.code} has unknown parent {area.parent}")
        for area in self.areas:  # no cycles: every chain reaches a root
            seen: set[str] = set()
            cursor: str | None = area.code
            while cursor is not None:
                if cursor in seen:
                    raise ValueError(f"areas: {area.code} is its own ancestor")
                seen.add(cursor)
                cursor = self.areas_by_code[cursor].parent
        ids = [a.id for a in self.agencies]
        if len(set(ids)) != len(ids):
            raise ValueError("agencies: two agencies share an id")
        sources = [a.source for a in self.agencies]
        if len(set(sources)) != len(sources):
            raise ValueError("agencies: two agencies share an event_source")
        for agency in self.agencies:
            if agency.area is not None and agency.area not in known:
                raise ValueError(f"agencies: {agency.id} is in unknown area {agency.area}")
        return self

    @cached_property
    def areas_by_code(self) -> dict[str, Area]:
        return {a.code: a for a in self.areas}

    @cached_property
    def agencies_by_id(self) -> dict[str, Agency]:
        return {a.id: a for a in self.agencies}

    @cached_property
    def agencies_by_source(self) -> dict[str, Agency]:
        return {a.source: a for a in self.agencies}

    def area(self, code: str) -> Area | None:
        return self.areas_by_code.get(code)

    def agency(self, agency_id: str) -> Agency | None:
        return self.agencies_by_id.get(agency_id)

    def agency_by_source(self, source: str) -> Agency | None:
        """The agency whose partner system sends events with this ``ce_source``."""
        return self.agencies_by_source.get(source)

    def ancestors(self, code: str) -> Iterator[Area]:
        """The area's parents up to the municipality, nearest first."""
        area = self.area(code)
        while area is not None and area.parent is not None:
            area = self.area(area.parent)
            if area is not None:
                yield area

    def descendants(self, code: str) -> set[str]:
        """Codes of ``code`` and every area below it."""
        found = {code}
        changed = True
        while changed:
            changed = False
            for area in self.areas:
                if area.parent in found and area.code not in found:
                    found.add(area.code)
                    changed = True
        return found

    def rules_section(self, name: str, model: type[T]) -> T:
        """A service's rule thresholds, validated by the service's own model."""
        return model.model_validate(self.rules.get(name, {}))


def load_profile(path: Path) -> MunicipalityProfile:
    """Read and validate a profile file."""
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return MunicipalityProfile.model_validate(data)
