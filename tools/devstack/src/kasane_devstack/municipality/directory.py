"""The sample municipality's local resources: organisations, coordinators, places with their
activities, providers' opportunities, and the development project that answers a gap.

Generated (organisation names partly from Faker's ``ja_JP`` company names); pure, no I/O.
Nothing here offers ``no_phone_calls`` or Tagalog: those are the gaps the demo's
households run into, one answered by the development project and one left waiting.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from faker import Faker
from kasane_shared.profile import MunicipalityProfile

from kasane_devstack.municipality.agencies import Agencies

WEEKDAYS = [0, 1, 2, 3, 4]
ELDERLY_BANDS = ["65-69", "70-74", "75-79", "80-84", "85-89", "90-94", "95-99"]
YOUTH_BANDS = ["15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49"]


@dataclass
class Org:
    key: str
    name: str
    kind: str
    area_code: str | None
    offers: list[str]
    agency_id: str | None = None
    description: str | None = None


@dataclass
class Coordinator:
    key: str
    display_name: str
    role: str
    agency_id: str
    area_codes: list[str]


@dataclass
class Place:
    key: str
    body: dict[str, Any]
    org: str  # Org.key
    activities: list[tuple[str, str, list[dict]]] = field(default_factory=list)  # (name, kind, schedule)


@dataclass
class Opportunity:
    key: str
    agency: str
    body: dict[str, Any]


@dataclass
class Development:
    title: str
    area_code: str
    orgs: list[str]  # Org.key
    coordinator: str  # Coordinator.key
    place: dict[str, Any]


@dataclass
class Directory:
    orgs: list[Org]
    coordinators: list[Coordinator]
    places: list[Place]
    opportunities: list[Opportunity]
    development: Development


def _slots(days: list[int], start: int, end: int) -> list[dict]:
    return [{"weekday": d, "start_hour": start, "end_hour": end} for d in days]


class _Builder:
    def __init__(self, profile: MunicipalityProfile, agencies: Agencies, seed: int) -> None:
        self.p, self.ag = profile, agencies
        self.rng = random.Random(f"kasane-demo:{seed}:directory")
        self.fake = Faker("ja_JP")
        self.fake.seed_instance(self.rng.getrandbits(64))
        self.city = profile.municipality.name
        self.short_city = self.city.removesuffix("市")
        self.root = next(a.code for a in profile.areas if a.parent is None)
        self.dlas = [a for a in profile.areas if a.kind.value == "daily_life_area"]
        self.districts = [a for a in profile.areas if a.kind.value == "school_district"]

    def short(self, code: str) -> str:
        name = self.p.area(code).name  # type: ignore[union-attr]
        for suffix in ("小学校区", "圏域", "校区"):
            name = name.removesuffix(suffix)
        return name

    def near(self, code: str, spread: float = 0.004) -> tuple[float, float]:
        lat, lon = self.ag.centroid(code)
        return (round(lat + self.rng.uniform(-spread, spread), 5), round(lon + self.rng.uniform(-spread, spread), 5))

    def address(self) -> dict[str, Any]:
        line1 = f"{self.fake.town()}{self.rng.randint(1, 5)}丁目{self.rng.randint(1, 30)}-{self.rng.randint(1, 20)}"
        return {"postal_code": f"999-{self.rng.randint(1, 9999):04d}", "city": self.city, "line1": line1}

    def contact(self, name: str | None = None) -> dict[str, Any]:
        return {"name": name, "phone": self.fake.phone_number()}

    def company(self) -> str:
        return self.fake.company()

    def person_name(self) -> str:
        last, first = self.fake.last_name_pair()[0], self.fake.first_name_pair()[0]
        return f"{last} {first}"


def build(profile: MunicipalityProfile, agencies: Agencies, seed: int) -> Directory:
    """The whole directory of the seed's municipality."""
    b = _Builder(profile, agencies, seed)
    orgs = _orgs(b)
    return Directory(orgs=orgs, coordinators=_coordinators(b), places=_places(b, orgs),
                     opportunities=_opportunities(b, orgs), development=_development(b))


def _orgs(b: _Builder) -> list[Org]:
    ag, dev = b.ag, b.ag.development_area
    out = [Org("shakyo", f"{b.city}社会福祉協議会", "shakyo", None, ["volunteers", "expertise", "space"], ag.shakyo),
           Org("npo", b.p.agency(ag.npo).name, "npo", b.p.agency(ag.npo).area, ["space", "volunteers"], ag.npo),  # type: ignore[union-attr]
           Org("swc", "社会福祉法人 みどり会", "social_welfare_corporation", b.districts[2].code,
               ["space", "jobs", "expertise"]),
           Org("kominkan", f"{b.city}中央公民館", "kominkan", b.districts[2].code, ["space"]),
           Org("university", f"{b.short_city}大学 地域連携センター", "university", b.districts[4].code,
               ["volunteers", "expertise"]),
           Org("cafe", "喫茶さくら", "shop", b.districts[0].code, ["space", "jobs"]),
           Org("shops", f"{b.short(b.districts[6].code)}商店会", "shop", b.districts[6].code, ["jobs", "food"]),
           Org("listening", f"{b.short_city}傾聴ボランティアの会", "volunteer_group", None, ["volunteers"]),
           Org("clinic", f"{b.short(b.districts[6].code)}診療所", "medical", b.districts[6].code, ["expertise"]),
           Org("foodbank", f"フードバンク{b.short_city}", "npo", b.districts[3].code, ["food", "volunteers"])]
    for i, code in enumerate((b.districts[3].code, b.districts[6].code, b.districts[1].code)):
        out.append(Org(f"company{i + 1}", b.company(), "company", code, ["jobs"]))
    farm_area = [d.code for d in b.districts if ag.daily_life_area(d.code) == dev][-1]
    out.append(Org("farm", f"{b.short(farm_area)}ファーム", "company", farm_area, ["jobs", "food", "space"]))
    for dla in b.dlas:
        out.append(Org(f"jichikai-{dla.code}", f"{b.short(dla.code)}地区自治会連合会", "residents_association",
                       dla.code, ["volunteers", "space"]))
    return out


def _coordinators(b: _Builder) -> list[Coordinator]:
    ag = b.ag
    out = [Coordinator("sc1", b.person_name(), "seikatsu_shien_coordinator", ag.shakyo, [b.root])]
    out += [Coordinator(f"sc2-{d.code}", b.person_name(), "seikatsu_shien_coordinator", ag.shakyo, [d.code])
            for d in b.dlas]
    half = len(b.districts) // 2
    out += [Coordinator("csw1", b.person_name(), "csw", ag.shakyo, [d.code for d in b.districts[:half]]),
            Coordinator("csw2", b.person_name(), "csw", ag.shakyo, [d.code for d in b.districts[half:]])]
    integrated = ag.desk("disability", ag.development_area)
    out.append(Coordinator("director", b.person_name(), "area_director", integrated,
                           [d.code for d in b.districts if ag.daily_life_area(d.code) == ag.development_area]))
    return out


def _place(b: _Builder, key: str, name: str, kind: str, area: str, org: str, schedule: list[dict], *,
           accessibility: list[str], languages: list[str] | None = None, capacity: int | None = None,
           for_ages: list[str] | None = None, for_fields: list[str] | None = None,
           description: str | None = None) -> Place:
    lat, lon = b.near(area)
    body = {"name": name, "kind": kind, "area_code": area, "lat": lat, "lon": lon, "address": b.address(),
            "schedule": schedule, "for_ages": for_ages or ["all"], "for_fields": for_fields or ["everyone"],
            "accessibility": accessibility, "languages": languages or ["ja"], "capacity": capacity,
            "contact": b.contact("受付"), "description": description}
    return Place(key, body, org)


def _places(b: _Builder, orgs: list[Org]) -> list[Place]:
    out: list[Place] = []
    foreign = {b.districts[i].code for i in (3, 5, 6) if i < len(b.districts)}
    for i, d in enumerate(b.districts):
        s, code = b.short(d.code), d.code
        jichikai = f"jichikai-{b.ag.daily_life_area(code)}"
        langs = ["ja", "pt"] if code in foreign else ["ja"]
        if i % 2 == 0:
            p = _place(b, f"ibasho-{code}", f"{s}ひだまりの居場所", "ibasho", code, "npo", _slots(WEEKDAYS, 10, 17),
                       accessibility=["quiet_space", "short_hours", "gradual_start"], languages=langs,
                       capacity=b.rng.randint(8, 14), for_fields=["everyone", "youth"],
                       description="誰でも立ち寄れる昼間の居場所。話さなくても過ごせる静かな部屋があります。")
            p.activities.append(("ボードゲームの日", "games", _slots([2], 14, 16)))
        else:
            p = _place(b, f"salon-{code}", f"{s}ふれあいいきいきサロン", "salon", code, "shakyo",
                       _slots(WEEKDAYS, 10, 16), accessibility=["quiet_space", "short_hours", "wheelchair_access"],
                       languages=langs, capacity=b.rng.randint(10, 15),
                       description="お茶を飲みながら気軽に集えるサロン。")
            p.activities.append(("おしゃべり茶話会", "salon", _slots([1, 3], 13, 15)))
        out.append(p)
        kayoi = _place(b, f"kayoi-{code}", f"{s}いきいき百歳体操", "kayoi_no_ba", code, jichikai, _slots([1, 3], 9, 11),
                       accessibility=["wheelchair_access"], for_ages=ELDERLY_BANDS, for_fields=["elderly"],
                       capacity=20)
        kayoi.activities.append(("百歳体操", "exercise", _slots([1, 3], 9, 10)))
        out.append(kayoi)
        shokudo = _place(b, f"shokudo-{code}", f"{s}みんなの食堂", "kodomo_shokudo", code,
                         "foodbank" if i % 3 == 0 else "npo", _slots([2, 4], 16, 19), accessibility=["short_hours"],
                         languages=langs, for_fields=["children", "everyone"], capacity=30)
        shokudo.activities.append(("夕食会", "meal", _slots([2, 4], 17, 19)))
        out.append(shokudo)
    c1, c2, c3 = (b.districts[i].code for i in (2, 3, 4))
    s1 = b.districts[5].code
    out += [
        _place(b, "katsudo", f"地域活動支援センター {b.short(c1)}", "chiiki_katsudo_shien_center", c1, "swc",
               _slots(WEEKDAYS, 10, 16), accessibility=["quiet_space", "supporter_present", "short_hours"],
               for_fields=["disability"], capacity=15),
        _place(b, "kosodate", f"{b.short(c2)}子育てひろば", "kosodate_shien_kyoten", c2, "swc",
               _slots([0, 1, 2, 3, 4, 5], 9, 15), accessibility=["wheelchair_access"], languages=["ja", "pt", "vi"],
               for_ages=["0-4", "20-24", "25-29", "30-34", "35-39", "40-44"], for_fields=["children"], capacity=25),
        _place(b, "farm", f"{b.short(s1)}みんなの畑", "community_farm", s1, "jichikai-" + b.ag.daily_life_area(s1),
               _slots([1, 5], 9, 12), accessibility=["short_hours", "gradual_start"], capacity=12),
        _place(b, "kominkan", f"{b.short(c3)}公民館 ものづくり講座", "kominkan_programme", c3, "kominkan",
               _slots([3], 13, 16), accessibility=["wheelchair_access", "quiet_space"], capacity=16),
    ]
    out[-1].activities.append(("木工教室", "crafts", _slots([3], 13, 15)))
    out[-2].activities.append(("畑作業", "farming", _slots([1, 5], 9, 11)))
    return out


def _opportunities(b: _Builder, orgs: list[Org]) -> list[Opportunity]:
    ag = b.ag
    d = [x.code for x in b.districts]
    company = {o.key: o.name for o in orgs}
    emp, pov, shakyo, npo = ag.employment, ag.desk("poverty", d[3]), ag.shakyo, ag.npo
    dis = ag.desk("disability", d[2])
    farm_area = [x for x in d if ag.daily_life_area(x) == ag.development_area][-1]
    east_1 = next(x for x in d if ag.daily_life_area(x) == ag.development_area)
    rows: list[tuple[str, str, str, str, int, list[dict], list[str], list[str], list[str], list[str]]] = [
        # (agency, kind, title, area, capacity, schedule, accommodations, languages, activities, for_ages)
        (emp, "employment_trial", f"{company['company1']}での軽作業体験", d[3], 3, _slots([0, 2, 4], 10, 15),
         ["short_hours", "gradual_start", "supporter_present"], [], ["light_work"], YOUTH_BANDS),
        (emp, "employment_trial", "大学図書館の書架整理体験", d[4], 2, _slots([1, 3], 10, 14),
         ["quiet_space", "short_hours", "gradual_start"], [], ["library"], YOUTH_BANDS),
        (emp, "employment_trial", f"{company['company3']}での事務補助体験", d[1], 2, _slots(WEEKDAYS, 9, 15),
         ["gradual_start"], [], ["office_work"], []),
        (emp, "supported_employment", f"{company['company1']} 支援付き雇用（清掃）", d[3], 2, _slots(WEEKDAYS, 9, 16),
         ["supporter_present", "short_hours"], [], ["cleaning"], []),
        (emp, "employment", "喫茶さくら ホールスタッフ（短時間）", d[0], 1, _slots([1, 2, 3], 11, 15),
         ["short_hours"], [], ["cafe"], []),
        (pov, "employment_trial", f"{company['company2']}での就労体験（食品工場）", d[6], 4, _slots(WEEKDAYS, 8, 17),
         ["gradual_start"], ["pt", "es", "ja"], ["food_factory"], []),
        (pov, "employment_trial", "物流倉庫での仕分け体験", d[5], 3, _slots(WEEKDAYS, 9, 17), [], ["pt", "ja"],
         ["warehouse"], []),
        (pov, "employment_trial", "介護施設の周辺業務体験", d[3], 3, _slots(WEEKDAYS, 9, 15), ["short_hours"],
         ["vi", "ja"], ["care_support"], []),
        (pov, "employment_trial", "中華料理店の厨房補助体験", d[2], 2, _slots([1, 2, 3, 4], 10, 15), [], ["zh", "ja"],
         ["kitchen"], []),
        (pov, "supported_employment", "部品工場 支援付き雇用", d[6], 3, _slots(WEEKDAYS, 8, 17), ["supporter_present"],
         ["pt", "ja"], ["manufacturing"], []),
        (pov, "employment", "スーパーの品出し（パート）", d[3], 2, _slots(WEEKDAYS, 9, 17), [], [], ["retail"], []),
        (pov, "residential_watch", "見守り付きの住まい（居住支援）", d[4], 2, [], ["supporter_present"], [],
         ["housing"], []),
        (shakyo, "volunteering", "配食サービスの盛り付けボランティア", d[0], 4, _slots([1, 3], 10, 13),
         ["short_hours", "quiet_space"], [], ["meal_delivery"], []),
        (shakyo, "volunteering", "公園の花壇づくり", d[4], 6, _slots([2, 5], 9, 12), ["short_hours"], [],
         ["gardening"], []),
        (shakyo, "volunteering", "子ども食堂の調理補助", d[5], 4, _slots([2, 4], 15, 19), [], ["pt", "ja"],
         ["cooking"], []),
        (shakyo, "volunteering", "図書館の本の修理ボランティア", d[2], 3, _slots([0, 2], 13, 16), ["quiet_space"], [],
         ["book_repair"], []),
        (shakyo, "volunteering", "高齢者サロンのお茶出し", east_1, 3, _slots([1, 3], 13, 16), ["short_hours"], [],
         ["salon_help"], []),
        (shakyo, "volunteering", "国際交流ラウンジの案内ボランティア", d[3], 4, _slots([5], 10, 15), [],
         ["pt", "vi", "zh", "en", "ja"], ["interpreting"], []),
        (npo, "learning_support", "中高生の学習支援教室", d[0], 10, _slots([1, 3], 17, 20), ["quiet_space"], [],
         ["study"], ["10-14", "15-19"]),
        (npo, "learning_support", "にほんごと学習の教室", d[6], 10, _slots([2, 5], 10, 12), [], ["pt", "vi", "ja"],
         ["japanese_language", "study"], []),
        (npo, "place_to_be", "ひだまりの居場所（オンライン併用）", d[1], 6, _slots(WEEKDAYS, 13, 17),
         ["quiet_space", "short_hours", "gradual_start"], [], ["ibasho", "online"], []),
        (dis, "supported_employment", "就労継続支援 パン工房", d[2], 3, _slots(WEEKDAYS, 10, 15),
         ["supporter_present", "short_hours", "quiet_space"], [], ["bakery"], []),
        (dis, "supported_employment", "就労継続支援 農作業", d[0], 3, _slots(WEEKDAYS, 9, 14),
         ["supporter_present", "gradual_start"], [], ["farming"], []),
        (pov, "employment_trial", f"{company['farm']}での農作業体験", farm_area, 3, _slots([0, 2, 4], 9, 14),
         ["gradual_start"], [], ["farming"], []),
    ]
    out = []
    for i, (agency, kind, title, area, cap, schedule, acc, langs, acts, ages) in enumerate(rows):
        lat, lon = b.near(area)
        out.append(Opportunity(f"opp{i:02d}", agency, {
            "kind": kind, "title": title, "area_code": area, "lat": lat, "lon": lon, "capacity": cap,
            "schedule": schedule, "accommodations": acc, "languages": langs, "activities": acts,
            "for_ages": ages, "status": "open"}))
    return out


def _development(b: _Builder) -> Development:
    dev = b.ag.development_area
    inside = [x.code for x in b.districts if b.ag.daily_life_area(x.code) == dev]
    points = [b.ag.centroid(c) for c in inside]
    lat = round(sum(p[0] for p in points) / len(points), 5)
    lon = round(sum(p[1] for p in points) / len(points), 5)
    place = {"name": f"ひるまのひだまり {b.short(dev)}", "kind": "ibasho", "area_code": inside[-1], "lat": lat,
             "lon": lon, "address": b.address(), "schedule": _slots(WEEKDAYS, 10, 17),
             "for_ages": ["all"], "for_fields": ["youth", "everyone"],
             "accessibility": ["quiet_space", "no_phone_calls", "short_hours", "gradual_start"],
             "languages": ["ja"], "contact": {"name": "受付（連絡はメールで）", "email": "hidamari@example.jp"},
             "description": "電話をかけなくても、予約なしで来られる昼間の居場所。農園の休憩所を借りて開いています。"}
    return Development(title=f"{b.short(dev)}に電話なしで通える昼の居場所を", area_code=dev,
                       orgs=[f"jichikai-{dev}", "farm", "npo"], coordinator=f"sc2-{dev}", place=place)
