"""Code lists shared by the services' events and APIs, with Japanese and English labels.

Events carry these codes instead of words. A code a service does not know is kept and
flagged where the issue says so (concerns), never silently dropped.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import StringConstraints

# ids of agencies and areas come from the municipality profile
AgencyId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
AreaCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_]{0,63}$")]
AgeBand = Annotated[str, StringConstraints(pattern=r"^(\d{1,3}-\d{1,3}|100\+)$")]


class Concern(StrEnum):
    """The concern catalogue (相談内容の分類); intake's GET /v1/concerns serves its labels."""

    elderly_care = "elderly_care"
    dementia = "dementia"
    disability = "disability"
    mental_health = "mental_health"
    health = "health"
    child_rearing = "child_rearing"
    school_non_attendance = "school_non_attendance"
    withdrawal = "withdrawal"
    poverty = "poverty"
    debt = "debt"
    employment = "employment"
    housing = "housing"
    abuse_dv = "abuse_dv"
    isolation = "isolation"
    caregiving_burden = "caregiving_burden"
    young_carer = "young_carer"
    foreign_resident = "foreign_resident"
    disaster = "disaster"
    bereavement = "bereavement"
    other = "other"


# code -> (日本語, English, the field it belongs to: elderly, disability, children, poverty, or other)
CONCERN_LABELS: dict[Concern, tuple[str, str, str]] = {
    Concern.elderly_care: ("高齢者の介護", "Elderly care", "elderly"),
    Concern.dementia: ("認知症", "Dementia", "elderly"),
    Concern.disability: ("障害", "Disability", "disability"),
    Concern.mental_health: ("こころの健康", "Mental health", "disability"),
    Concern.health: ("健康・医療", "Health", "other"),
    Concern.child_rearing: ("子育て", "Child-rearing", "children"),
    Concern.school_non_attendance: ("不登校", "School non-attendance", "children"),
    Concern.withdrawal: ("ひきこもり", "Social withdrawal (hikikomori)", "other"),
    Concern.poverty: ("生活困窮", "Poverty and livelihood", "poverty"),
    Concern.debt: ("借金・多重債務", "Debt", "poverty"),
    Concern.employment: ("就労・失業", "Employment", "poverty"),
    Concern.housing: ("住まい", "Housing", "poverty"),
    Concern.abuse_dv: ("虐待・DV", "Abuse and domestic violence", "other"),
    Concern.isolation: ("社会的孤立", "Isolation", "other"),
    Concern.caregiving_burden: ("介護負担", "Caregiving burden", "elderly"),
    Concern.young_carer: ("ヤングケアラー", "Young carer", "children"),
    Concern.foreign_resident: ("外国人住民・言語", "Foreign resident and language", "other"),
    Concern.disaster: ("災害", "Disaster", "other"),
    Concern.bereavement: ("死別", "Bereavement", "other"),
    Concern.other: ("その他", "Other", "other"),
}


class Channel(StrEnum):
    """How the consultation reached the desk (相談経路)."""

    walk_in = "walk_in"  # 来所
    phone = "phone"  # 電話
    home_visit = "home_visit"  # 訪問
    agency_referral = "agency_referral"  # 他機関からのつなぎ
    neighbour = "neighbour"  # 近隣住民
    minsei_iin = "minsei_iin"  # 民生委員・児童委員
    school = "school"  # 学校
    online = "online"  # オンライン・メール
    other = "other"


class ConsultedBy(StrEnum):
    """Who consulted (相談者)."""

    self = "self"  # 本人
    family = "family"  # 家族
    neighbour = "neighbour"  # 近隣住民
    agency = "agency"  # 関係機関
    anonymous = "anonymous"  # 匿名
    other = "other"


class ScreeningPattern(StrEnum):
    """Household patterns the screening names (seed p.9-11, DOMAIN.md's cases)."""

    pattern_8050 = "8050"  # a parent 75+ and a child 40-64 together, the child withdrawn or out of work
    double_care = "double_care"  # caring for children and parents at once
    young_carer = "young_carer"
    long_term_withdrawal = "long_term_withdrawal"  # withdrawn with no outside contact
    suspected_abuse = "suspected_abuse"
    known_to_many_agencies = "known_to_many_agencies"  # three or more agencies involved


class Recommendation(StrEnum):
    """Screening advice to people, never an automatic decision about the person."""

    handle_at_desk = "handle_at_desk"
    refer_to_collaboration = "refer_to_collaboration"  # 多機関協働へ
    request_outreach = "request_outreach"  # アウトリーチ


class ReferralTarget(StrEnum):
    collaboration = "collaboration"  # multi-agency collaboration (多機関協働事業)
    outreach = "outreach"  # outreach / continuous support
    agency = "agency"  # another named agency


class ReferralStatus(StrEnum):
    """Modelled on FHIR Task.status."""

    requested = "requested"
    accepted = "accepted"
    rejected = "rejected"
    cancelled = "cancelled"
    completed = "completed"


class ConsentScope(StrEnum):
    named_agencies = "named_agencies"  # share with the agencies listed
    collaboration = "collaboration"  # share within the whole multi-agency collaboration


class ConsentMethod(StrEnum):
    written = "written"
    oral = "oral"
    proxy = "proxy"  # by a guardian or representative


class CaseStatus(StrEnum):
    referred = "referred"
    assessing = "assessing"
    planning = "planning"
    in_support = "in_support"
    monitoring = "monitoring"
    light_contact = "light_contact"  # 緩やかな見守り: a valid resting state
    ended = "ended"  # 終結


class TeamRole(StrEnum):
    lead = "lead"  # 主担当
    field_supporter = "field_supporter"
    information_only = "information_only"


class MeetingKind(StrEnum):
    jusou_shien_kaigi = "jusou_shien_kaigi"  # 重層的支援会議 (consent-based)
    shien_kaigi = "shien_kaigi"  # 支援会議 (Art. 106-6: confidential, no consent needed)


class MeetingDecision(StrEnum):
    approve_plan = "approve_plan"
    return_plan = "return_plan"
    end_case = "end_case"
    continue_case = "continue_case"
    take_up_case = "take_up_case"  # the meeting opens or takes over a case


class ContactMethod(StrEnum):
    visit = "visit"
    letter = "letter"
    phone = "phone"
    through_neighbour = "through_neighbour"
    through_minsei_iin = "through_minsei_iin"
    other = "other"


class RelationshipStage(StrEnum):
    """Outreach relationship stages; moving slowly, or back, is allowed."""

    not_reached = "not_reached"
    contact_made = "contact_made"
    building_relationship = "building_relationship"
    accepts_support = "accepts_support"


class ParticipationStep(StrEnum):
    """The pace of participation support, from the gentlest step up."""

    place_to_be = "place_to_be"  # 居場所
    volunteering = "volunteering"
    employment_trial = "employment_trial"  # 就労体験
    supported_employment = "supported_employment"
    employment = "employment"


class OpportunityKind(StrEnum):
    place_to_be = "place_to_be"
    volunteering = "volunteering"
    employment_trial = "employment_trial"
    supported_employment = "supported_employment"
    employment = "employment"
    learning_support = "learning_support"
    residential_watch = "residential_watch"  # residential support with watching-over


class Accommodation(StrEnum):
    short_hours = "short_hours"
    gradual_start = "gradual_start"
    no_phone_calls = "no_phone_calls"
    quiet_space = "quiet_space"
    wheelchair_access = "wheelchair_access"
    supporter_present = "supporter_present"


class PlacementOutcome(StrEnum):
    continuing = "continuing"
    moved_to_next_step = "moved_to_next_step"
    ended_by_person = "ended_by_person"
    ended_by_host = "ended_by_host"


class PlaceKind(StrEnum):
    ibasho = "ibasho"  # 居場所
    kayoi_no_ba = "kayoi_no_ba"  # 通いの場
    salon = "salon"  # サロン
    kodomo_shokudo = "kodomo_shokudo"  # 子ども食堂
    kosodate_shien_kyoten = "kosodate_shien_kyoten"  # 地域子育て支援拠点
    chiiki_katsudo_shien_center = "chiiki_katsudo_shien_center"  # 地域活動支援センター
    community_farm = "community_farm"
    kominkan_programme = "kominkan_programme"  # 公民館 programmes


class DevelopmentStatus(StrEnum):
    idea = "idea"
    talks = "talks"
    trial = "trial"
    running = "running"
    dropped = "dropped"


def age_band(birth_date: date, on: date) -> str:
    """The five-year band of a person's age on ``on`` ("80-84", "100+"): what events carry
    instead of a birth date."""
    years = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    years = max(years, 0)
    if years >= 100:
        return "100+"
    low = years - years % 5
    return f"{low}-{low + 4}"
