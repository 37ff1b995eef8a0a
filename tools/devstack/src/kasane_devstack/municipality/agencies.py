"""Which agency of the profile plays which part in the demo: the desks by field and area,
the collaboration desk, participation's coordinators, the 社協, schools, 民生委員 ...

Resolved from the municipality profile (fields, site types, areas and the services' rules
sections), so the demo follows the profile rather than a list of ids of its own.
"""

from __future__ import annotations

import math

from kasane_shared.profile import AgencyField, MunicipalityProfile, SiteType

DESK_SITES = (SiteType.basic, SiteType.integrated)


class Agencies:
    """The profile's agencies by role."""

    def __init__(self, profile: MunicipalityProfile) -> None:
        self.profile = profile
        rules = profile.rules
        self.collaboration_desk: str = rules.get("coordination", {}).get("collaboration_desk") or \
            rules.get("referrals", {}).get("collaboration_desk") or self.first(AgencyField.municipal)
        self.outreach_agency: str = rules.get("coordination", {}).get("outreach_agency") or self.collaboration_desk
        self.coordinators: list[str] = list(rules.get("participation", {}).get("coordinator_agencies") or
                                            [self.collaboration_desk])
        self.shakyo = self.first(AgencyField.welfare_council)
        self.health = self.first(AgencyField.health, site=None)
        self.education = self.first(AgencyField.education, area_kind="municipality")
        self.npo = self.first(AgencyField.npo)
        self.employment = self.first(AgencyField.employment)
        self.ids = [a.id for a in profile.agencies]

    def first(self, field: AgencyField, *, site: SiteType | str | None = "any",
              area_kind: str | None = None) -> str:
        """The first agency of ``field`` (optionally of a site type, or one whose area is of a kind)."""
        for a in self.profile.agencies:
            if a.field is not field:
                continue
            if site != "any" and a.site_type is not site:
                continue
            if area_kind is not None:
                area = self.profile.area(a.area or "")
                if area is None or area.kind.value != area_kind:
                    continue
            return a.id
        raise LookupError(f"the profile has no agency of field {field}")

    def local(self, field: AgencyField, area_code: str) -> str | None:
        """An agency of ``field`` based in ``area_code`` or an area above it (a school, 民生委員)."""
        above = {a.code for a in self.profile.ancestors(area_code)} | {area_code}
        for a in self.profile.agencies:
            if a.field is field and a.area in above and a.area != self._root():
                return a.id
        return None

    def local_school(self, area_code: str) -> str:
        """The school of the area, else the board of education."""
        return self.local(AgencyField.education, area_code) or self.education

    def local_volunteers(self, area_code: str) -> str | None:
        """The 民生委員児童委員協議会 of the area, if the profile has one."""
        return self.local(AgencyField.community_volunteer, area_code)

    def local_health(self, area_code: str) -> str:
        """A health desk near residents (まちの保健室), else the health centre."""
        return self.local(AgencyField.health, area_code) or self.health

    @property
    def development_area(self) -> str:
        """Where the demo's development project works: the integrated desk's daily-life area
        (else the last daily-life area of the profile)."""
        for a in self.profile.agencies:
            if a.site_type is SiteType.integrated and a.area:
                return self.daily_life_area(a.area)
        return [a.code for a in self.profile.areas if a.kind.value == "daily_life_area"][-1]

    def desk(self, field: str, area_code: str) -> str:
        """The consultation desk (基本型 or 統合型) of ``field`` for a household in ``area_code``:
        one whose area holds the household's, else the nearest by the areas' centroids."""
        wanted = AgencyField(field)
        candidates = [a for a in self.profile.agencies
                      if a.site_type in DESK_SITES and wanted in a.all_fields]
        if not candidates:
            raise LookupError(f"the profile has no desk for {field}")
        above = {a.code for a in self.profile.ancestors(area_code)} | {area_code}
        inside = [a for a in candidates if a.area in above and a.area != self._root()]
        if inside:
            return inside[0].id
        return min(candidates, key=lambda a: self._distance(a.area, area_code)).id

    def _root(self) -> str:
        return next(a.code for a in self.profile.areas if a.parent is None)

    def _distance(self, a: str | None, b: str) -> float:
        pa, pb = self.centroid(a or self._root()), self.centroid(b)
        return math.hypot(pa[0] - pb[0], pa[1] - pb[1])

    def centroid(self, code: str) -> tuple[float, float]:
        """The area's centroid, or its nearest ancestor's."""
        area = self.profile.area(code)
        while area is not None:
            if area.centroid is not None:
                return area.centroid.lat, area.centroid.lon
            area = self.profile.area(area.parent) if area.parent else None
        raise LookupError(f"no centroid for {code}")

    def daily_life_area(self, code: str) -> str:
        """The 日常生活圏域 an area lies in (the area itself when it is one)."""
        area = self.profile.area(code)
        while area is not None and area.kind.value != "daily_life_area":
            area = self.profile.area(area.parent) if area.parent else None
        return area.code if area is not None else code
