"""Reasons in words (日本語 and English) for a ranked match: each part of the score, then
the hard constraints it meets, so a coordinator can tell the person why it was offered."""

from __future__ import annotations

from kasane_participation import labels
from kasane_participation.matching.matching import Plan, Ranked, Reason, Seeker, step_relation


def _acc(codes: list[str] | tuple[str, ...], *, ja: bool = False) -> str:
    return labels.join([labels.accommodation(c, ja=ja) for c in codes], ja=ja)


def _k(code: str) -> tuple[str, str]:
    return labels.kind(code), labels.kind(code, ja=True)


def explain(seeker: Seeker, p: Plan, r: Ranked) -> list[Reason]:
    """Why this opportunity is offered, part by part, then the hard constraints it meets."""
    c = r.candidate
    reasons: list[Reason] = []
    en, ja = _k(c.kind)
    relation, steps = step_relation(c.kind, seeker.current_step)
    if relation == "next" and seeker.current_step is None:
        reasons.append(Reason("step.first", "step", f"A first step: {en}", f"最初の一歩：{ja}"))
    elif relation == "next":
        reasons.append(Reason("step.next", "step", f"The next step from where the person is: {en}",
                              f"今の段階から次の一歩：{ja}"))
    elif relation == "same":
        reasons.append(Reason("step.same", "step", f"The same step as now ({en}), at a steady pace",
                              f"今と同じ段階（{ja}）"))
    elif relation == "back":
        reasons.append(Reason("step.back", "step", f"A gentler step than now ({en})",
                              f"今より緩やかな段階（{ja}）"))
    elif relation == "jump":
        reasons.append(Reason("step.jump", "step",
                              f"{steps} step(s) beyond the next one ({en}), within the request's limit",
                              f"次の一歩より{steps}段階先（{ja}）、上限の範囲内"))
    else:
        reasons.append(Reason("step.off_ladder", "step", f"{en[0].upper() + en[1:]}, which the request asks for",
                              f"希望のあった{ja}"))

    reasons.append(Reason(
        "distance", "distance",
        f"{r.distance_km:.1f} km from the centre of the home area, within the {seeker.travel_km:g} km "
        "the person can travel",
        f"自宅のある地区の中心から{r.distance_km:.1f}km（移動できる範囲{seeker.travel_km:g}km以内）",
    ))

    liked = set(seeker.preferences)
    if r.parts["preference"]:
        matched = sorted(({c.kind} | set(c.activities)) & liked)
        reasons.append(Reason("preference.match", "preference",
                              f"Matches what the person likes: {labels.join([labels.kind(m) for m in matched])}",
                              f"本人の希望に合う：{labels.join([labels.kind(m, ja=True) for m in matched], ja=True)}"))
    elif liked:
        reasons.append(Reason("preference.none", "preference", "Not among the person's stated preferences",
                              "本人の希望には挙がっていない"))

    if not seeker.hours:
        reasons.append(Reason("schedule.any", "schedule", "No availability given, so any time suits",
                              "都合の良い時間の指定なし"))
    elif c.flexible:
        reasons.append(Reason("schedule.flexible", "schedule", "Times are arranged with the host",
                              "時間は受け入れ先と相談（応相談）"))
    else:
        reasons.append(Reason("schedule.overlap", "schedule",
                              f"{r.overlap_hours} of its {r.total_hours} weekly hours fall when the person "
                              "is available",
                              f"週{r.total_hours}時間のうち{r.overlap_hours}時間が本人の都合の良い時間"))

    if p.wished:
        offered = [w for w in p.wished if w in c.accommodations]
        missing = [w for w in p.wished if w not in c.accommodations]
        if offered:
            reasons.append(Reason(
                "comfort.offered", "comfort",
                f"Also offers {_acc(offered)}, as the person wishes",
                f"希望の配慮もある：{_acc(offered, ja=True)}"))
        if missing:
            reasons.append(Reason(
                "comfort.missing", "comfort",
                f"Does not offer {_acc(missing)} (wished, not required)",
                f"希望の配慮のうち無いもの：{_acc(missing, ja=True)}"))

    if seeker.age_band is not None:
        if r.parts["audience"]:
            reasons.append(Reason("audience.fits", "audience", "Open to the person's age band",
                                  "本人の年代も対象"))
        else:
            reasons.append(Reason("audience.other", "audience",
                                  f"Meant mainly for other age bands ({', '.join(c.for_ages)})",
                                  f"主な対象は別の年代（{'、'.join(c.for_ages)}）"))

    # the hard constraints it meets, so a coordinator sees them said plainly
    if seeker.required:
        reasons.append(Reason(
            "required.met", None,
            f"Offers every accommodation required: {_acc(seeker.required)}",
            f"必要な配慮をすべて提供：{_acc(seeker.required, ja=True)}"))
    if seeker.languages:
        spoken = [lang for lang in seeker.languages if lang in c.languages]
        reasons.append(Reason("language.met", None,
                              f"Can be taken part in in {labels.join([labels.language(x) for x in spoken])}",
                              f"{labels.join([labels.language(x, ja=True) for x in spoken], ja=True)}で参加できる"))
    reasons.append(Reason("seats.free", None, f"{c.free_seats} of {c.capacity} places free",
                          f"定員{c.capacity}人のうち空き{c.free_seats}人"))
    return reasons
