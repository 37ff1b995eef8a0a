"""Matching people to opportunities (参加支援事業のマッチング): the rules, with no I/O.

Hard constraints decide whether an opportunity may be offered at all; soft preferences
rank what is left. The same rules run in two places: PostgreSQL filters and scores with
indexes (``matching/store.py``, what the API uses) and :func:`rank` here does it over a
list in Python (unit tests, and the benchmark's brute-force baseline). A test checks that
both give the same answer on the same data.

Step-awareness: participation goes at the person's pace, from a place to be (居場所) up to
work. The next step from where the person is scores best, the current step and gentler
ones stay possible (moving back is allowed), steps further up score less the further they
jump, and nothing above the request's ``max_step`` is ever offered.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from kasane_shared.contracts.codes import Accommodation, OpportunityKind, ParticipationStep

from kasane_participation.rules import ParticipationRules, StepScores, Weights

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)
KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180.0
BBOX_MARGIN = 1.01  # widen the prefilter box a little: the exact test is haversine

LADDER: tuple[str, ...] = tuple(s.value for s in ParticipationStep)
OFF_LADDER: tuple[str, ...] = tuple(k.value for k in OpportunityKind if k.value not in LADDER)
KIND_CODES = frozenset(k.value for k in OpportunityKind)
ACCOMMODATION_CODES = frozenset(a.value for a in Accommodation)
PARTS: tuple[str, ...] = ("step", "distance", "preference", "schedule", "comfort", "audience")
HARD_CONSTRAINTS: tuple[str, ...] = (
    "open", "capacity", "step", "schedule", "travel", "accommodations", "language",
)


@dataclass(frozen=True)
class Seeker:
    """What matching knows of a participation request (codes and places, no person data)."""

    lat: float
    lon: float
    travel_km: float
    current_step: str | None = None
    max_step: str | None = None
    required: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()  # empty: no language constraint
    hours: frozenset[int] = frozenset()  # empty: any time
    preferences: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    age_band: str | None = None


@dataclass(frozen=True)
class Candidate:
    """An opportunity as matching sees it."""

    id: UUID
    kind: str
    lat: float
    lon: float
    capacity: int
    seats_taken: int = 0
    status: str = "open"
    accommodations: tuple[str, ...] = ()
    languages: tuple[str, ...] = ("ja",)
    activities: tuple[str, ...] = ()
    for_ages: tuple[str, ...] = ()
    hours: frozenset[int] = frozenset()
    flexible: bool = False
    area_code: str | None = None

    @property
    def free_seats(self) -> int:
        return max(self.capacity - self.seats_taken, 0)


@dataclass(frozen=True)
class Plan:
    """What a request asks of the database: allowed kinds with their step scores, the
    bounding box around the home area, and the accommodations wished for (not required)."""

    kinds: tuple[str, ...]
    step_values: tuple[float, ...]
    bbox: tuple[float, float, float, float]  # lat_min, lat_max, lon_min, lon_max
    wished: tuple[str, ...]

    def step_value(self, kind: str) -> float | None:
        try:
            return self.step_values[self.kinds.index(kind)]
        except ValueError:
            return None


@dataclass(frozen=True)
class Reason:
    code: str
    part: str | None
    text: str
    text_ja: str


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    distance_km: float
    parts: dict[str, float]
    raw: float  # the weighted sum, as computed; ranking sorts on it
    overlap_hours: int
    total_hours: int

    @property
    def score(self) -> float:
        """The score shown: six decimals."""
        return round_score(self.raw)


# --- geography ---------------------------------------------------------------------------

def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance; written exactly as the SQL is, so both give the same number."""
    a = (math.sin(math.radians(lat2 - lat1) / 2) ** 2
         + math.cos(math.radians(lat1)) * math.cos(math.radians(lat2))
         * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


def bounding_box(lat: float, lon: float, km: float) -> tuple[float, float, float, float]:
    """A box that holds every point within ``km`` of (lat, lon): the indexed prefilter."""
    dlat = km / KM_PER_DEGREE * BBOX_MARGIN
    lat_min, lat_max = max(lat - dlat, -90.0), min(lat + dlat, 90.0)
    edge = min(max(abs(lat_min), abs(lat_max)), 89.9)  # the box is widest toward the pole
    dlon = min(km / (KM_PER_DEGREE * math.cos(math.radians(edge))) * BBOX_MARGIN, 180.0)
    return lat_min, lat_max, lon - dlon, lon + dlon


# --- steps -------------------------------------------------------------------------------

def step_index(step: str | None) -> int | None:
    return LADDER.index(step) if step in LADDER else None


def step_scores(current: str | None, max_step: str | None, preferences: Iterable[str],
                scores: StepScores) -> dict[str, float]:
    """The kinds a request may be offered, each with its step score.

    Ladder kinds up to ``max_step``; off-ladder kinds (learning support, residential
    watch) only when the request prefers them, as they are not a step up or down.
    """
    cur = step_index(current)
    nxt = 0 if cur is None else cur + 1
    top = step_index(max_step)
    top = len(LADDER) - 1 if top is None else top
    allowed: dict[str, float] = {}
    for i, kind in enumerate(LADDER):
        if i > top:
            break  # never beyond max_step
        if i == nxt:
            value = scores.next
        elif cur is not None and i == cur:
            value = scores.same
        elif cur is not None and i < cur:
            value = scores.back
        else:
            value = max(scores.floor, scores.next - scores.jump_penalty * (i - nxt))
        allowed[kind] = value
    liked = set(preferences)
    for kind in OFF_LADDER:
        if kind in liked:
            allowed[kind] = scores.off_ladder
    return allowed


def step_relation(kind: str, current: str | None) -> tuple[str, int]:
    """How a kind relates to where the person is: (next|same|back|jump|off_ladder, steps)."""
    i = step_index(kind)
    if i is None:
        return "off_ladder", 0
    cur = step_index(current)
    nxt = 0 if cur is None else cur + 1
    if i == nxt:
        return "next", 1
    if cur is not None and i == cur:
        return "same", 0
    if cur is not None and i < cur:
        return "back", cur - i
    return "jump", i - nxt


# --- planning ----------------------------------------------------------------------------

def wished_accommodations(seeker: Seeker) -> tuple[str, ...]:
    """Accommodations named in needs or preferences but not required: they rank, not filter."""
    named = set(seeker.needs) | set(seeker.preferences)
    return tuple(sorted((named & ACCOMMODATION_CODES) - set(seeker.required)))


def plan(seeker: Seeker, rules: ParticipationRules) -> Plan:
    """What to ask the database for this request."""
    allowed = step_scores(seeker.current_step, seeker.max_step, seeker.preferences, rules.steps)
    return Plan(
        kinds=tuple(allowed), step_values=tuple(allowed.values()),
        bbox=bounding_box(seeker.lat, seeker.lon, seeker.travel_km),
        wished=wished_accommodations(seeker),
    )


# --- hard constraints --------------------------------------------------------------------

def unmet(seeker: Seeker, p: Plan, c: Candidate) -> list[str]:
    """The hard constraints ``c`` fails for ``seeker`` (empty: it may be offered)."""
    failed = []
    if c.status not in ("open", "full"):  # full is open with no place left: the capacity constraint
        failed.append("open")
    if c.seats_taken >= c.capacity:
        failed.append("capacity")
    if c.kind not in p.kinds:
        failed.append("step")
    if seeker.hours and not (c.hours & seeker.hours):
        failed.append("schedule")
    if haversine_km(seeker.lat, seeker.lon, c.lat, c.lon) > seeker.travel_km:
        failed.append("travel")
    if not set(seeker.required) <= set(c.accommodations):
        failed.append("accommodations")
    if seeker.languages and not set(seeker.languages) & set(c.languages):
        failed.append("language")
    return failed


# --- ranking -----------------------------------------------------------------------------

def overlap(seeker: Seeker, c: Candidate) -> int:
    return len(c.hours & seeker.hours) if seeker.hours else len(c.hours)


def score_parts(seeker: Seeker, p: Plan, c: Candidate, distance_km: float) -> dict[str, float]:
    """Each part in [0, 1]; the SQL in ``matching/store.py`` computes the same expressions."""
    liked = set(seeker.preferences)
    if not seeker.hours:
        schedule = 1.0
    elif c.flexible:
        schedule = 0.5
    else:
        schedule = overlap(seeker, c) / len(c.hours)
    if p.wished:
        comfort = sum(1 for w in p.wished if w in c.accommodations) / len(p.wished)
    else:
        comfort = 1.0
    audience = 1.0 if (seeker.age_band is None or not c.for_ages or "all" in c.for_ages
                       or seeker.age_band in c.for_ages) else 0.0
    return {
        "step": p.step_value(c.kind) or 0.0,
        "distance": max(0.0, 1 - distance_km / seeker.travel_km),
        "preference": 1.0 if (c.kind in liked or liked & set(c.activities)) else 0.0,
        "schedule": schedule,
        "comfort": comfort,
        "audience": audience,
    }


def raw_score(parts: dict[str, float], w: Weights) -> float:
    # the same order of additions as the SQL, so both sums are the same float
    return (w.step * parts["step"] + w.distance * parts["distance"] + w.preference * parts["preference"]
            + w.schedule * parts["schedule"] + w.comfort * parts["comfort"] + w.audience * parts["audience"])


def round_score(raw: float) -> float:
    """Six decimals, rounded as PostgreSQL rounds ``float8::numeric`` (15 significant digits, half up)."""
    return float(Decimal(f"{raw:.15g}").quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP))


def order_key(r: Ranked) -> tuple[float, float, str]:
    """Best score first, then nearer, then by id: the same data always gives the same order.
    (PostgreSQL orders uuids as their lower-case text does.)"""
    return (-r.raw, r.distance_km, str(r.candidate.id))


def top(ranked: Iterable[Ranked], limit: int) -> list[Ranked]:
    """The best ``limit``, each opportunity once."""
    seen: dict[UUID, Ranked] = {}
    for r in ranked:
        seen.setdefault(r.candidate.id, r)
    return sorted(seen.values(), key=order_key)[:limit]


def rank(seeker: Seeker, candidates: Iterable[Candidate], rules: ParticipationRules,
         limit: int | None = None) -> list[Ranked]:
    """Filter by the hard constraints and rank: the whole rule set over a list."""
    p = plan(seeker, rules)
    found = []
    for c in candidates:
        if unmet(seeker, p, c):
            continue
        d = haversine_km(seeker.lat, seeker.lon, c.lat, c.lon)
        parts = score_parts(seeker, p, c, d)
        found.append(Ranked(c, d, parts, raw_score(parts, rules.weights), overlap(seeker, c), len(c.hours)))
    found.sort(key=order_key)
    return found[:limit] if limit is not None else found


# --- searching kind by kind ----------------------------------------------------------------
#
# The top N need not score every opportunity in range. An opportunity of kind k at distance
# d scores at most  bound(k) - w_distance * d / travel_km, where bound(k) takes every other
# part at its best. So the search goes kind by kind, highest bound first, each within a
# growing radius, and stops as soon as nothing left unread can beat the N-th best found:
# exactly the same answer as scoring everything, reading far fewer rows.

BOUND_EPSILON = 1e-9  # bounds are compared strictly, with room for float rounding


def kind_bounds(seeker: Seeker, p: Plan, w: Weights) -> list[tuple[str, float]]:
    """Each allowed kind with the best score any of its opportunities could reach, best first."""
    rest = w.distance + w.schedule + w.comfort + w.audience
    # activities are never kind codes, so a preference naming only kinds can only match its own kind
    by_activity = any(code not in KIND_CODES for code in seeker.preferences)
    bounds = [(kind, w.step * value + rest + (w.preference if kind in seeker.preferences or by_activity else 0.0))
              for kind, value in zip(p.kinds, p.step_values, strict=True)]
    return sorted(bounds, key=lambda kb: (-kb[1], p.kinds.index(kb[0])))


def search_radii(travel_km: float, first_km: float = 1.0) -> list[float]:
    """Radii to search in turn: a quarter of the range (at least ``first_km``), doubling up to it."""
    radius = max(first_km, travel_km / 4)
    if radius * 2 > travel_km:
        return [travel_km]  # a short range is read at once
    radii = []
    while radius < travel_km:
        radii.append(radius)
        radius *= 2
    return [*radii, travel_km]


def reach_km(bound: float, kth: float, seeker: Seeker, w: Weights) -> float:
    """How far out an opportunity with kind bound ``bound`` could still score ``kth`` or more:
    beyond it, ``bound - w_distance * d / travel_km`` falls below ``kth``. Capped at the range."""
    if w.distance <= 0:
        return seeker.travel_km if bound > kth - BOUND_EPSILON else 0.0
    return min(seeker.travel_km, seeker.travel_km * (bound - kth + BOUND_EPSILON) / w.distance)


def beyond_bound(bound: float, radius_km: float, seeker: Seeker, w: Weights) -> float:
    """The best score an opportunity with kind bound ``bound`` farther than ``radius_km`` can have."""
    return bound - w.distance * radius_km / seeker.travel_km


def settled(found: Sequence[Ranked], limit: int, best_possible: float) -> bool:
    """True when ``limit`` are found and nothing scoring at most ``best_possible`` can displace them."""
    return len(found) >= limit and best_possible < found[limit - 1].raw - BOUND_EPSILON


def seeker_from(*, lat: float, lon: float, travel_km: float, current_step: str | None, max_step: str | None,
                required: Sequence[str], languages: Sequence[str], hours: Iterable[int],
                preferences: Sequence[str], needs: Sequence[str], age_band: str | None) -> Seeker:
    """A :class:`Seeker` with its lists normalised (sorted, unique) so plans are deterministic."""
    return Seeker(
        lat=lat, lon=lon, travel_km=travel_km, current_step=current_step, max_step=max_step,
        required=tuple(sorted(set(required))), languages=tuple(sorted(set(languages))),
        hours=frozenset(hours), preferences=tuple(sorted(set(preferences))),
        needs=tuple(sorted(set(needs))), age_band=age_band,
    )
