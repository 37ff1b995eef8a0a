"""Consultations at the desks (intake): screening comes back with each one; the desk refers
as the screening advises, records consent, and closes what it handled itself.

A consultation carries the desk system's ``external_id``: posting it again returns the
first one (``Idempotent-Replayed``), and the steps after it then look before they write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from kasane_shared.profile import MunicipalityProfile

from kasane_devstack.municipality.api import Api
from kasane_devstack.municipality.people import Household

TARGETS = {"refer_to_collaboration": "collaboration", "request_outreach": "outreach"}


@dataclass
class Home:
    """A household and what the loader has learnt of it in the system (ids only)."""

    h: Household
    fresh: bool = True  # its consultation was created by this run
    consultation_id: str | None = None
    household_id: str | None = None
    recommendation: str | None = None
    persons: dict[int, str] = field(default_factory=dict)  # member index -> person id
    referral_id: str | None = None
    referral_target: str | None = None
    case_id: str | None = None
    engagement_id: str | None = None
    plan_id: str | None = None
    plan_status: str | None = None
    proposed_meeting_id: str | None = None
    participation_action_id: str | None = None
    request_id: str | None = None
    request_status: str | None = None  # as participation first showed it to the loader

    @property
    def stage(self) -> str:
        """The case's stage to reach (desk: the desk handles it, nothing more)."""
        return self.h.stage if self.case_id else "desk"


def consultation_body(h: Household, profile: MunicipalityProfile) -> dict[str, Any]:
    members = []
    for m in h.members:
        person: dict[str, Any] = {
            "family_name": m.family_name, "given_name": m.given_name, "family_name_kana": m.family_kana,
            "given_name_kana": m.given_kana, "birth_date": m.birth_date.isoformat(), "sex": m.sex,
            "address": {"prefecture": profile.municipality.prefecture, "municipality": profile.municipality.name,
                        "area_code": h.area_code, "street": h.street},
            "preferred_language": m.language,
        }
        if m.relationship == "head":
            person["phone"] = h.phone
        members.append({"person": person, "relationship": m.relationship, "lives_together": True,
                        "subject": m.subject, "concern_codes": m.concern_codes,
                        "withdrawn_years": m.withdrawn_years, "no_outside_contact": m.no_outside_contact})
    return {"channel": h.channel, "consulted_by": h.consulted_by, "received_at": h.received_at.isoformat(),
            "external_id": h.external_id, "summary": h.summary, "concern_codes": h.concern_codes,
            "area_code": h.area_code, "members": members}


async def load(api: Api, profile: MunicipalityProfile, households: list[Household], today: date) -> list[Home]:
    """Every household's consultation, consents, referral or closing."""
    homes = [Home(h) for h in households]
    await api.each(homes, lambda home: _one(api, profile, home, today))
    return homes


async def _one(api: Api, profile: MunicipalityProfile, home: Home, today: date) -> None:
    h = home.h
    r = await api.post("intake", "/v1/consultations", consultation_body(h, profile), agency=h.desk)
    home.fresh = r.status_code == 201 and r.headers.get("Idempotent-Replayed") != "true"
    api.tally.add("consultations", home.fresh)
    c = r.json()
    home.consultation_id, home.household_id = c["id"], c["household_id"]
    home.recommendation = (c.get("screening") or {}).get("recommendation")
    api.tally.facts[f"screening:{home.recommendation}"] += 1
    target = TARGETS.get(home.recommendation or "")
    if target == "outreach" and h.referral != "outreach":
        target = None  # outreach is asked for people nobody reaches; the others stay with their desk
    if target is None:
        if h.close_at_desk and c["status"] == "open":
            await api.post("intake", f"/v1/consultations/{home.consultation_id}/close", agency=h.desk)
            api.tally.add("closed_at_the_desk", True)
        elif h.close_at_desk:
            api.tally.add("closed_at_the_desk", False)
        return
    await read_persons(api, home)
    if target == "collaboration" and h.consent:
        await record_consents(api, home, today)
    existing = [x for x in c.get("referrals") or [] if x["target"] == target
                and x["status"] not in ("rejected", "cancelled")]
    if existing:
        home.referral_id, home.referral_target = existing[0]["id"], target
        api.tally.add(f"referrals_to_{target}", False)
        return
    reason = "complex_needs" if target == "collaboration" else "needs_outreach"
    r = await api.post("intake", f"/v1/consultations/{home.consultation_id}/referrals",
                       {"target": target, "reason_code": reason}, agency=h.desk,
                       key=f"demo-{h.seed}-referral-{h.index}-{target}")
    home.referral_id, home.referral_target = r.json()["id"], target
    api.tally.add(f"referrals_to_{target}", r.headers.get("Idempotent-Replayed") != "true")


async def read_persons(api: Api, home: Home) -> None:
    """Intake's person ids of the members (the desk reads its own household)."""
    household = await api.get("intake", f"/v1/households/{home.household_id}", agency=home.h.desk)
    ids = {(m["person"]["given_name_kana"], m["person"]["birth_date"]): m["person"]["id"]
           for m in household["members"]}
    for i, m in enumerate(home.h.members):
        if m.key() in ids:
            home.persons[i] = ids[m.key()]


async def record_consents(api: Api, home: Home, today: date) -> None:
    """Each consenting adult's consent to the collaboration (同意), recorded by the desk."""
    h = home.h
    # yesterday at the latest: intake checks "not in the future" against the server's own date
    granted = min(today - timedelta(days=1), h.received_at.date() + timedelta(days=h.index % 4))
    for i, m in enumerate(h.members):
        if not m.consents or i not in home.persons:
            continue
        person_id = home.persons[i]
        if not home.fresh:
            person = await api.get("intake", f"/v1/persons/{person_id}", agency=h.desk)
            if any(x["active"] and x["scope"] == "collaboration" for x in person.get("consents") or []):
                api.tally.add("consents", False)
                continue
        body = {"person_id": person_id, "scope": "collaboration", "method": "written" if i % 2 == 0 else "oral",
                "granted_on": granted.isoformat(), "note": "面談で説明し、同意を得た（デモの生成データ）"}
        await api.post("intake", "/v1/consents", body, agency=h.desk)
        api.tally.add("consents", True)
