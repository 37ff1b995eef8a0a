"""Generated households of the sample municipality (never real people).

Names and kana come from Faker's ``ja_JP`` provider as (kanji, kana) pairs, so a name's
kana is its reading; foreign residents get katakana names from short local lists. Ages and
concerns are shaped like the seed's cases: 8050 households, double care (ダブルケア), young
carers, long-term withdrawal (ひきこもり), foreign residents, elderly people alone with
dementia, suspected abuse, and the everyday consultations a desk handles itself.

Pure: no I/O. Household ``i`` of seed ``s`` is the same whatever the total, so a bigger
run extends a smaller one. :mod:`households` turns a kind into its members and story.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from faker import Faker

JST = timezone(timedelta(hours=9), "JST")

# foreign residents' names, written in katakana as municipal systems record them
FOREIGN_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    # language: (family names, female given names, male given names)
    "pt": (("シルバ", "サントス", "オリベイラ", "ソウザ", "ペレイラ", "コスタ", "ロドリゲス"),
           ("アナ", "ジュリアナ", "フェルナンダ", "カミラ", "マリアナ"),
           ("カルロス", "ルーカス", "マテウス", "ラファエル", "ブルーノ")),
    "vi": (("グエン", "チャン", "レ", "ファム", "ホアン"),
           ("ラン", "ホア", "リン", "トゥイ"), ("ミン", "トゥアン", "ズン", "フン")),
    "tl": (("サントス", "レイエス", "クルス", "ガルシア", "メンドーサ"),
           ("マリア", "アナ", "ロザリー", "ジェニファー"), ("ホセ", "ジョン", "マーク", "ロベルト")),
    "zh": (("ワン", "リー", "チャン", "リュウ", "チェン"),
           ("ファン", "ナー", "ジン", "メイ"), ("ウェイ", "ミン", "ハオ", "ジエ")),
    "ne": (("グルン", "タマン", "ライ", "シュレスタ"),
           ("シタ", "プジャ", "ラクシュミ"), ("ラム", "ビカス", "アニル", "スレシュ")),
}
LANGUAGE_JA = {"pt": "ポルトガル語", "vi": "ベトナム語", "tl": "タガログ語", "zh": "中国語", "ne": "ネパール語"}


@dataclass
class Member:
    relationship: str  # to the head of the household (世帯主との続柄)
    family_name: str
    given_name: str
    family_kana: str
    given_kana: str
    sex: str
    birth_date: date
    concern_codes: list[str] = field(default_factory=list)
    withdrawn_years: int | None = None
    no_outside_contact: bool = False
    subject: bool = False
    language: str = "ja"
    consents: bool = False  # gives consent to the collaboration (adults only)

    def age(self, on: date) -> int:
        b = self.birth_date
        return on.year - b.year - ((on.month, on.day) < (b.month, b.day))

    def key(self) -> tuple[str, str]:
        """How the loader finds this member among the household's persons."""
        return self.given_kana, self.birth_date.isoformat()


@dataclass
class Participation:
    """What participation support is asked for one member (codes only)."""

    member: int
    needs: list[str]
    preferences: list[str]
    required_accommodations: list[str]
    languages: list[str]
    travel_km: float
    current_step: str | None
    max_step: str
    availability: list[dict]
    outcome: str  # accept | propose | look: what the coordinator does with the best match
    started_days_ago: int
    gap: str | None = None  # develop: answered by the development project; waiting: stays a gap


@dataclass
class Household:
    seed: int
    index: int
    kind: str
    area_code: str
    desk: str
    channel: str
    consulted_by: str
    received_at: datetime
    summary: str
    concern_codes: list[str]
    members: list[Member]
    street: str
    phone: str
    referral: str | None = None  # collaboration | outreach: what the desk does when screening advises it
    consent: bool = False
    stage: str = "desk"  # the case's stage to reach: referred assessing planning supported monitoring ended
    invite: list[tuple[str, str]] = field(default_factory=list)  # (agency, role) invited to the case team
    lead: str | None = None
    goals: list[str] = field(default_factory=list)
    actions: list[tuple[str, str, str]] = field(default_factory=list)  # (description, agency, field)
    participation: Participation | None = None
    outreach_stage: str | None = None  # for outreach: the relationship stage reached
    case_outreach: int | None = None  # a member reached out to from the case (8050's child)
    close_at_desk: bool = False

    @property
    def external_id(self) -> str:
        """The desk system's own id: a re-run posts the same consultation again and gets the first."""
        return f"DEMO-{self.seed}-{self.index:04d}"

    @property
    def subject(self) -> Member:
        return next(m for m in self.members if m.subject)


class Gen:
    """The random sources for one household: Faker ``ja_JP`` and a ``random.Random``."""

    def __init__(self, seed: int, index: int, today: date) -> None:
        self.rng = random.Random(f"kasane-demo:{seed}:{index}")
        self.fake = Faker("ja_JP")
        self.fake.seed_instance(self.rng.getrandbits(64))
        self.today = today

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, options: dict[str, float]) -> str:
        return self.rng.choices(list(options), weights=list(options.values()))[0]

    def family(self, language: str = "ja") -> tuple[str, str]:
        if language == "ja":
            kanji, kana, _ = self.fake.last_name_pair()
            return kanji, kana
        name = self.rng.choice(FOREIGN_NAMES[language][0])
        return name, name

    def person(self, *, relationship: str, sex: str, age: int, family: tuple[str, str],
               concerns: list[str] | None = None, language: str = "ja", **extra: object) -> Member:
        if language == "ja":
            pair = self.fake.first_name_female_pair() if sex == "female" else self.fake.first_name_male_pair()
            given, given_kana = pair[0], pair[1]
        else:
            names = FOREIGN_NAMES[language][1 if sex == "female" else 2]
            given = given_kana = self.rng.choice(names)
        days = int((age + self.rng.uniform(0.05, 0.95)) * 365.25)
        return Member(relationship=relationship, family_name=family[0], given_name=given,
                      family_kana=family[1], given_kana=given_kana, sex=sex,
                      birth_date=self.today - timedelta(days=days), concern_codes=list(concerns or []),
                      language=language, **extra)  # type: ignore[arg-type]

    def sex(self, female: float = 0.5) -> str:
        return "female" if self.chance(female) else "male"

    def received_at(self) -> datetime:
        """Some time in the last eleven months, in office hours (Japan time)."""
        day = self.today - timedelta(days=self.rng.randint(2, 330))
        return datetime.combine(day, time(self.rng.randint(9, 16), self.rng.choice((0, 15, 30, 45))), JST)

    def street(self) -> str:
        """A street address in the fictional city: 町名・丁目・番・号 (the town names are Faker's)."""
        return f"{self.fake.town()}{self.rng.randint(1, 5)}丁目{self.rng.randint(1, 30)}番{self.rng.randint(1, 20)}号"

    def availability(self, start: int, end: int, days: int) -> list[dict]:
        weekdays = sorted(self.rng.sample(range(5), days))
        return [{"weekdays": weekdays, "start_hour": start, "end_hour": end}]


def school_districts(profile_areas: list[tuple[str, str]]) -> list[str]:
    """The codes of the school districts (where households live), in profile order."""
    return [code for code, kind in profile_areas if kind == "school_district"]
