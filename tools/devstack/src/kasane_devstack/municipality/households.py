"""The kinds of household the demo generates, and the story each one follows.

The first households are a fixed showcase, so even a run of a dozen reaches every stage:
a placement, an outreach engagement that turns into a case, a 支援会議 without consent, a
plan awaiting its meeting, a gap answered by a development project and one left waiting.
The rest are drawn by weight. Pure: no I/O.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from kasane_devstack.municipality.agencies import Agencies
from kasane_devstack.municipality.people import LANGUAGE_JA, Gen, Household, Member, Participation

KINDS = {"8050": 17, "double_care": 9, "young_carer": 6, "withdrawal": 10, "foreign": 10,
         "dementia_alone": 14, "abuse": 4, "poverty": 12, "child_rearing": 10, "disability": 8}
STAGES = {"referred": 8, "assessing": 12, "planning": 10, "supported": 55, "monitoring": 8, "ended": 7}
OUTREACH_STAGES = {"accepts_support": 40, "building_relationship": 25, "contact_made": 20, "not_reached": 15}
OUTCOMES = {"accept": 75, "propose": 15, "look": 10}
LANGUAGES = {"pt": 45, "vi": 20, "tl": 15, "zh": 10, "ne": 10}
FOREIGN_AREAS = ("SK-S-02", "SK-S-01", "SK-C-02")

# index -> (kind, school district, overrides): every stage appears in the first dozen
SHOWCASE: list[tuple[str, str, dict[str, Any]]] = [
    ("8050", "SK-N-01", {"stage": "supported", "withdrawn": True, "outcome": "accept"}),
    ("withdrawal", "SK-E-02", {"outreach_stage": "accepts_support", "stage": "supported"}),
    ("foreign", "SK-S-02", {"stage": "supported", "language": "pt", "outcome": "accept"}),
    ("abuse", "SK-C-02", {}),
    ("withdrawal", "SK-N-02", {"outreach_stage": "building_relationship"}),
    ("double_care", "SK-C-01", {"stage": "planning"}),
    ("dementia_alone", "SK-S-01", {"close": True}),
    ("young_carer", "SK-N-01", {"stage": "monitoring"}),
    ("foreign", "SK-S-02", {"stage": "supported", "language": "tl"}),
    ("8050", "SK-E-01", {"stage": "supported", "withdrawn": True}),
    ("poverty", "SK-C-03", {}),
    ("8050", "SK-S-01", {"stage": "ended"}),
]


def household(seed: int, index: int, today: date, agencies: Agencies, districts: list[str],
              development_area: str) -> Household:
    """Household ``index`` of the seed's municipality."""
    g = Gen(seed, index, today)
    if index < len(SHOWCASE):
        kind, area, o = SHOWCASE[index]
        if area not in districts:
            area = districts[index % len(districts)]
        o = {"consent": True, **o}
    else:
        kind, o = g.pick(KINDS), {}
        pool = [d for d in districts if d in FOREIGN_AREAS] if kind == "foreign" else []
        area = g.rng.choice(pool or districts)
    east = agencies.daily_life_area(area) == development_area  # where the gap the project answers is
    h = BUILDERS[kind](g, agencies, area, o, east)
    h.seed, h.index = seed, index
    if h.referral == "collaboration":
        h.consent = h.kind != "abuse" and o.get("consent", g.chance(0.88))
        h.stage = o.get("stage", g.pick(STAGES)) if h.consent else "shien_kaigi"
    if h.referral == "outreach":
        h.outreach_stage = o.get("outreach_stage", g.pick(OUTREACH_STAGES))
        h.consent = h.outreach_stage == "accepts_support"
        h.stage = o.get("stage", g.pick({k: w for k, w in STAGES.items() if k != "referred"})) \
            if h.consent else "outreach"
    for m in h.members:
        m.consents = h.consent and m.age(today) >= 18
    if h.participation is not None:
        h.participation.outcome = o.get("outcome", g.pick(OUTCOMES))
        if h.stage not in ("supported", "monitoring"):
            h.participation = None
    h.close_at_desk = o.get("close", h.close_at_desk)
    return h


def _base(g: Gen, kind: str, area: str, desk: str, members: list[Member], summary: str,
          concerns: list[str], channel: str, consulted_by: str) -> Household:
    return Household(seed=0, index=0, kind=kind, area_code=area, desk=desk, channel=channel,
                     consulted_by=consulted_by, received_at=g.received_at(), summary=summary,
                     concern_codes=concerns, members=members, street=g.street(), phone=g.fake.phone_number())


def _invites(desk: str, *wanted: tuple[str, str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for agency, role in wanted:
        if agency != desk and agency not in {a for a, _ in out}:
            out.append((agency, role))
    return out


def _place_to_be(g: Gen, member: int, east: bool, max_step: str) -> Participation:
    required = (["quiet_space"] if g.chance(0.5) else []) + (["no_phone_calls"] if east else [])
    return Participation(member=member, needs=["withdrawal", "daytime_place"], preferences=["place_to_be"],
                         required_accommodations=required, languages=[], travel_km=3.0, current_step=None,
                         max_step=max_step, availability=g.availability(13, 17, 3), outcome="look",
                         started_days_ago=g.rng.randint(3, 60), gap="develop" if east else None)


def k8050(g: Gen, ag: Agencies, area: str, o: dict[str, Any], east: bool) -> Household:
    fam = g.family()
    psex, page = g.sex(0.7), g.rng.randint(76, 92)
    parent = g.person(relationship="head", sex=psex, age=page, family=fam, subject=True,
                      concerns=["elderly_care"] + (["dementia"] if g.chance(0.4) else []))
    members = [parent]
    if g.chance(0.25):
        members.append(g.person(relationship="spouse", sex="male" if psex == "female" else "female",
                                age=min(96, page + g.rng.randint(-2, 4)), family=fam))
    csex, cage = g.sex(0.35), g.rng.randint(42, 60)
    withdrawn = o.get("withdrawn", g.chance(0.7))
    years = g.rng.randint(3, 25)
    if withdrawn:
        child = g.person(relationship="child", sex=csex, age=cage, family=fam, concerns=["withdrawal"],
                         withdrawn_years=years, no_outside_contact=g.chance(0.5))
    else:
        child = g.person(relationship="child", sex=csex, age=cage, family=fam, concerns=["employment"])
    members.append(child)
    desk = ag.desk("elderly", area)
    p, c = ("母" if psex == "female" else "父"), ("長男" if csex == "male" else "長女")
    story = f"{years}年ほど外出がなく、仕事もしていない" if withdrawn else "失職してから家にこもりがちで、家計も苦しい"
    h = _base(g, "8050", area, desk, members, f"{p}（{page}）の介護について相談。同居の{c}（{cage}）は{story}。",
              ["elderly_care"], g.pick({"home_visit": 3, "walk_in": 2, "phone": 2}),
              g.pick({"family": 3, "agency": 2, "self": 1}))
    coordinator = ag.coordinators[0]
    h.referral, h.lead = "collaboration", desk
    h.invite = _invites(desk, (ag.desk("poverty", area), "field_supporter"), (ag.shakyo, "field_supporter"))
    h.goals = [f"{p}が住み慣れた家で暮らし続けたい", f"{c}が少しずつ外に出るきっかけを持てる"]
    h.actions = [("介護サービスの調整と見守り", desk, "elderly"),
                 ("家計の見直しと生活費の相談", ag.desk("poverty", area), "poverty"),
                 (f"{c}への訪問と参加先の紹介", coordinator, "participation")]
    ci = len(members) - 1
    if withdrawn:
        h.participation = _place_to_be(g, ci, east, "volunteering")
        h.case_outreach = ci if g.chance(0.3) else None
    else:
        h.participation = Participation(
            member=ci, needs=["employment"], preferences=["employment_trial"],
            required_accommodations=["short_hours"] if g.chance(0.4) else [], languages=[], travel_km=5.0,
            current_step="volunteering", max_step="supported_employment",
            availability=g.availability(9, 15, 5), outcome="look", started_days_ago=g.rng.randint(3, 60))
    return h


def double_care(g: Gen, ag: Agencies, area: str, o: dict[str, Any], east: bool) -> Household:
    fam = g.family()
    single = g.chance(0.3)
    carer_age = g.rng.randint(36, 47)
    members: list[Member] = []
    if not single:
        members.append(g.person(relationship="head", sex="male", age=carer_age + g.rng.randint(0, 4), family=fam))
    carer = g.person(relationship="head" if single else "spouse", sex="female", age=carer_age, family=fam,
                     concerns=["caregiving_burden", "child_rearing"], subject=True)
    eage = g.rng.randint(77, 92)
    elder = g.person(relationship="parent" if single else g.pick({"parent": 1, "parent_in_law": 1}),
                     sex=g.sex(0.6), age=eage, family=fam, concerns=["dementia"])
    kids = [g.person(relationship="child", sex=g.sex(), age=g.rng.randint(0, 12), family=fam)
            for _ in range(g.rng.randint(1, 2))]
    members += [carer, elder, *kids]
    elderly_desk, children_desk = ag.desk("elderly", area), ag.desk("children", area)
    desk = g.pick({children_desk: 1, elderly_desk: 1})
    h = _base(g, "double_care", area, desk, members,
              f"本人（{carer_age}）から。認知症の親（{eage}）の介護と子育てが重なり、疲れ切っている。",
              ["caregiving_burden", "child_rearing"], g.pick({"walk_in": 2, "phone": 2}), "self")
    h.referral, h.lead = "collaboration", desk
    h.invite = _invites(desk, (elderly_desk, "field_supporter"), (children_desk, "field_supporter"))
    h.goals = ["介護と子育てを一人で抱え込まずに続けたい"]
    h.actions = [("通所介護・短期入所の利用調整", elderly_desk, "elderly"),
                 ("一時預かり・ファミリー・サポートの利用調整", children_desk, "children")]
    return h


def young_carer(g: Gen, ag: Agencies, area: str, o: dict[str, Any], east: bool) -> Household:
    fam = g.family()
    page = g.rng.randint(38, 52)
    parent = g.person(relationship="head", sex=g.sex(0.7), age=page, family=fam,
                      concerns=[g.pick({"mental_health": 2, "disability": 1})])
    cage = g.rng.randint(12, 17)
    child = g.person(relationship="child", sex=g.sex(), age=cage, family=fam, subject=True,
                     concerns=["young_carer"] + (["school_non_attendance"] if g.chance(0.5) else []))
    members = [parent, child]
    if g.chance(0.5):
        members.append(g.person(relationship="child", sex=g.sex(), age=g.rng.randint(4, 10), family=fam))
    desk = ag.local_school(area)
    children_desk, disability_desk = ag.desk("children", area), ag.desk("disability", area)
    h = _base(g, "young_carer", area, desk, members,
              f"学校から。生徒（{cage}）が親（{page}）の世話のため欠席がちで、家事の多くを担っている様子。",
              ["young_carer"], "school", "agency")
    h.referral, h.lead = "collaboration", children_desk
    h.invite = _invites(desk, (children_desk, "lead"), (disability_desk, "field_supporter"))
    h.goals = ["学校に安心して通いたい", "体調を整えて、子どもに頼りすぎない暮らしにしたい"]
    h.actions = [("居宅介護（家事援助）の利用調整", disability_desk, "disability"),
                 ("学校・スクールソーシャルワーカーとの連携", children_desk, "children")]
    return h


def withdrawal(g: Gen, ag: Agencies, area: str, o: dict[str, Any], east: bool) -> Household:
    fam = g.family()
    age, years = g.rng.randint(22, 45), g.rng.randint(3, 15)
    alone = g.chance(0.3)
    person = g.person(relationship="head" if alone else "child", sex=g.sex(0.35), age=age, family=fam,
                      concerns=["withdrawal"], withdrawn_years=years, no_outside_contact=True, subject=True)
    members = [person] if alone else [
        g.person(relationship="head", sex=g.sex(), age=min(70, age + g.rng.randint(24, 32)), family=fam), person]
    minsei = ag.local_volunteers(area)
    if minsei and g.chance(0.6):
        desk, channel, by, who = minsei, "minsei_iin", "neighbour", "民生委員"
    elif g.chance(0.5):
        desk, channel, by, who = ag.shakyo, "phone", "family", "家族"
    else:
        desk, channel, by, who = ag.desk("poverty", area), "walk_in", "family", "家族"
    h = _base(g, "withdrawal", area, desk, members,
              f"{who}より。{age}歳の本人が{years}年以上ほとんど外出せず、家族以外との接触がないとのこと。",
              ["withdrawal"], channel, by)
    lead = ag.employment if age < 40 else ag.desk("poverty", area)
    h.referral, h.lead = "outreach", lead
    h.invite = _invites(desk, (lead, "lead"))
    h.goals = ["人と話せる場所に、少しずつ行ってみたい"]
    h.actions = [("定期的な訪問と面談", lead, "other"),
                 ("居場所・参加先の紹介", ag.coordinators[0], "participation")]
    h.participation = _place_to_be(g, members.index(person), east, "employment_trial")
    return h


def foreign(g: Gen, ag: Agencies, area: str, o: dict[str, Any], east: bool) -> Household:
    lang = o.get("language") or g.pick(LANGUAGES)
    fam = g.family(lang)
    hage = g.rng.randint(30, 48)
    hsex = g.sex(0.4)
    head = g.person(relationship="head", sex=hsex, age=hage, family=fam, language=lang, subject=True,
                    concerns=["foreign_resident", "employment", "poverty"])
    rearing = g.chance(0.5)
    spouse = g.person(relationship="spouse", sex="male" if hsex == "female" else "female",
                      age=max(25, hage + g.rng.randint(-4, 3)), family=fam, language=lang,
                      concerns=["child_rearing"] if rearing else [])
    cage = g.rng.randint(6, 14)
    child = g.person(relationship="child", sex=g.sex(), age=cage, family=fam, language=lang,
                     concerns=[] if rearing else ["school_non_attendance"])
    desk, children_desk = ag.desk("poverty", area), ag.desk("children", area)
    h = _base(g, "foreign", area, desk, [head, spouse, child],
              f"{LANGUAGE_JA[lang]}を話す世帯。本人（{hage}）は失業中で家計が苦しい。子ども（{cage}）の学校生活にも不安がある。"
              "通訳を介して相談。", ["foreign_resident", "employment"], "walk_in", "self")
    h.referral, h.lead = "collaboration", desk
    h.invite = _invites(desk, (children_desk, "field_supporter"))
    h.goals = ["日本語を学びながら、安定した仕事に就きたい"]
    h.actions = [("就労体験先の調整", ag.coordinators[0], "participation"),
                 ("子どもの就学・学習の支援", children_desk, "children"),
                 ("家計の見直しと住居確保給付金の申請", desk, "poverty")]
    speaks_ja = lang == "ne" or (lang != "tl" and g.chance(0.35))
    h.participation = Participation(
        member=0, needs=["employment", "japanese_language"], preferences=["employment_trial"],
        required_accommodations=[], languages=[lang] + (["ja"] if speaks_ja else []), travel_km=6.0,
        current_step="volunteering", max_step="employment", availability=g.availability(9, 17, 5),
        outcome="look", started_days_ago=g.rng.randint(3, 60), gap="waiting" if lang == "tl" else None)
    return h


def dementia_alone(g: Gen, ag: Agencies, area: str, o: dict[str, Any], east: bool) -> Household:
    age = g.rng.randint(78, 95)
    person = g.person(relationship="head", sex=g.sex(0.7), age=age, family=g.family(), subject=True,
                      concerns=["dementia", "isolation"] + (["housing"] if g.chance(0.2) else []))
    minsei = ag.local_volunteers(area)
    if minsei and g.chance(0.4):
        desk, channel, by, who = minsei, "minsei_iin", "neighbour", "民生委員"
    else:
        desk, channel, by, who = ag.desk("elderly", area), g.pick({"neighbour": 1, "phone": 1}), "neighbour", "近所の方"
    h = _base(g, "dementia_alone", area, desk, [person],
              f"{who}から。一人暮らしの方（{age}）に物忘れが目立ち、近所付き合いも途絶えている。",
              ["dementia"], channel, by)
    h.close_at_desk = g.chance(0.4)
    return h


def abuse(g: Gen, ag: Agencies, area: str, o: dict[str, Any], east: bool) -> Household:
    fam = g.family()
    mage = g.rng.randint(25, 40)
    cage = g.rng.randint(2, 10)
    members = [g.person(relationship="head", sex="male", age=mage + g.rng.randint(0, 6), family=fam),
               g.person(relationship="spouse", sex="female", age=mage, family=fam),
               g.person(relationship="child", sex=g.sex(), age=cage, family=fam, concerns=["abuse_dv"], subject=True)]
    desk = ag.desk("children", area)
    h = _base(g, "abuse", area, desk, members,
              f"近隣の方から。幼い子ども（{cage}）の泣き声と大人の怒鳴り声が続いているとの連絡。",
              ["abuse_dv", "child_rearing"], g.pick({"neighbour": 2, "school": 1, "agency_referral": 1}),
              g.pick({"neighbour": 2, "agency": 1}))
    h.referral, h.lead = "collaboration", desk
    h.invite = _invites(desk, (ag.health, "field_supporter"))
    return h


def poverty(g: Gen, ag: Agencies, area: str, o: dict[str, Any], east: bool) -> Household:
    fam = g.family()
    age = g.rng.randint(30, 64)
    extra = g.pick({"debt": 2, "employment": 2, "housing": 1})
    members = [g.person(relationship="head", sex=g.sex(0.4), age=age, family=fam, concerns=["poverty", extra],
                        subject=True)]
    if g.chance(0.3):
        members.append(g.person(relationship="spouse", sex=g.sex(), age=age + g.rng.randint(-3, 3), family=fam))
    reason = {"debt": "借入れの返済", "employment": "失職", "housing": "家賃の滞納"}[extra]
    h = _base(g, "poverty", area, ag.desk("poverty", area), members,
              f"本人（{age}）来所。{reason}のため生活費が足りない。", ["poverty", extra], "walk_in", "self")
    h.close_at_desk = g.chance(0.3)
    return h


def child_rearing(g: Gen, ag: Agencies, area: str, o: dict[str, Any], east: bool) -> Household:
    fam = g.family()
    mage = g.rng.randint(22, 38)
    concerns = ["child_rearing"] + (["health"] if g.chance(0.4) else [])
    mother = g.person(relationship="spouse", sex="female", age=mage, family=fam, concerns=concerns, subject=True)
    members = [g.person(relationship="head", sex="male", age=mage + g.rng.randint(0, 5), family=fam), mother,
               g.person(relationship="child", sex=g.sex(), age=g.rng.randint(0, 2), family=fam)]
    desk = g.pick({ag.desk("children", area): 3, ag.local_health(area): 2})
    h = _base(g, "child_rearing", area, desk, members,
              f"母親（{mage}）から。乳幼児の育児に不安があり、身近に相談できる人がいない。", concerns,
              g.pick({"walk_in": 2, "phone": 1, "online": 1}), "self")
    h.close_at_desk = g.chance(0.3)
    return h


def disability(g: Gen, ag: Agencies, area: str, o: dict[str, Any], east: bool) -> Household:
    fam = g.family()
    age = g.rng.randint(20, 55)
    person = g.person(relationship="child", sex=g.sex(), age=age, family=fam, subject=True,
                      concerns=[g.pick({"disability": 1, "mental_health": 1})])
    parent = g.person(relationship="head", sex=g.sex(), age=min(84, age + g.rng.randint(25, 32)), family=fam)
    h = _base(g, "disability", area, ag.desk("disability", area), [parent, person],
              f"本人（{age}）と家族から。障害福祉サービスの利用と日中の過ごし方について相談。",
              person.concern_codes, g.pick({"walk_in": 2, "phone": 1}), g.pick({"self": 1, "family": 1}))
    h.close_at_desk = g.chance(0.2)
    return h


BUILDERS = {"8050": k8050, "double_care": double_care, "young_carer": young_carer, "withdrawal": withdrawal,
            "foreign": foreign, "dementia_alone": dementia_alone, "abuse": abuse, "poverty": poverty,
            "child_rearing": child_rearing, "disability": disability}
