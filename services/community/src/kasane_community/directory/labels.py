"""Japanese and English labels for the directory's codes, as the HSDS export shows them."""

from __future__ import annotations

from kasane_shared.contracts.codes import Accommodation, PlaceKind

from kasane_community.organisations.models import Offer, OrganisationKind
from kasane_community.shapes import ForField

PLACE_KINDS: dict[str, tuple[str, str]] = {
    PlaceKind.ibasho: ("居場所", "A place to be"),
    PlaceKind.kayoi_no_ba: ("通いの場", "Community gathering place for older people"),
    PlaceKind.salon: ("サロン", "Salon"),
    PlaceKind.kodomo_shokudo: ("子ども食堂", "Children's cafeteria"),
    PlaceKind.kosodate_shien_kyoten: ("地域子育て支援拠点", "Child-rearing support hub"),
    PlaceKind.chiiki_katsudo_shien_center: ("地域活動支援センター", "Community activity support centre"),
    PlaceKind.community_farm: ("コミュニティ農園", "Community farm"),
    PlaceKind.kominkan_programme: ("公民館の講座・活動", "Community hall programme"),
}

ORGANISATION_KINDS: dict[str, tuple[str, str]] = {
    OrganisationKind.company: ("企業", "Company"),
    OrganisationKind.shop: ("商店", "Shop"),
    OrganisationKind.npo: ("NPO法人", "Non-profit organisation"),
    OrganisationKind.residents_association: ("自治会・町内会", "Residents' association"),
    OrganisationKind.shakyo: ("社会福祉協議会", "Social welfare council"),
    OrganisationKind.school: ("学校", "School"),
    OrganisationKind.university: ("大学", "University"),
    OrganisationKind.kominkan: ("公民館", "Community hall"),
    OrganisationKind.social_welfare_corporation: ("社会福祉法人", "Social welfare corporation"),
    OrganisationKind.medical: ("医療機関", "Medical institution"),
    OrganisationKind.religious: ("宗教法人", "Religious organisation"),
    OrganisationKind.volunteer_group: ("ボランティア団体", "Volunteer group"),
    OrganisationKind.municipal: ("市町村", "Municipality"),
    OrganisationKind.other: ("その他", "Other"),
}

OFFERS: dict[str, tuple[str, str]] = {
    Offer.space: ("場所の提供", "Space"),
    Offer.jobs: ("仕事・就労体験", "Jobs and work trials"),
    Offer.volunteers: ("ボランティア", "Volunteers"),
    Offer.food: ("食料", "Food"),
    Offer.transport: ("移動・送迎", "Transport"),
    Offer.expertise: ("専門知識", "Expertise"),
}

FIELDS: dict[str, tuple[str, str]] = {
    ForField.everyone: ("どなたでも", "Everyone"),
    ForField.elderly: ("高齢者", "Older people"),
    ForField.disability: ("障害のある人", "People with disabilities"),
    ForField.children: ("子ども・子育て家庭", "Children and families"),
    ForField.poverty: ("生活に困っている人", "People in financial hardship"),
    ForField.youth: ("若者", "Young people"),
    ForField.foreign_residents: ("外国人住民", "Foreign residents"),
    ForField.carers: ("介護・ケアをしている人", "Carers"),
}

ACCESSIBILITY: dict[str, tuple[str, str]] = {
    Accommodation.short_hours: ("短時間の参加可", "Short visits welcome"),
    Accommodation.gradual_start: ("少しずつの参加可", "Gradual start"),
    Accommodation.no_phone_calls: ("電話なしで連絡可", "No phone calls needed"),
    Accommodation.quiet_space: ("静かな場所あり", "Quiet space"),
    Accommodation.wheelchair_access: ("車いす対応", "Wheelchair access"),
    Accommodation.supporter_present: ("支援者が同席", "A supporter is present"),
}

LANGUAGES: dict[str, str] = {
    "ja": "日本語", "en": "English", "pt": "Português", "zh": "中文", "ko": "한국어", "vi": "Tiếng Việt",
    "tl": "Tagalog", "es": "Español", "ne": "नेपाली", "id": "Bahasa Indonesia",
}

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKDAYS_JA = ("月", "火", "水", "木", "金", "土", "日")
