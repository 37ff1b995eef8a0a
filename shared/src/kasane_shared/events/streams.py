"""The topics Kasane writes and reads: one stream per service, one inbound partner topic,
and one dead-letter topic per consumer group (``<group>.dlt``).

Partition counts bound how many worker replicas of a consumer group can share the work
(deploy/README.md); they are created explicitly because the broker never auto-creates.
"""

from __future__ import annotations

from dataclasses import dataclass

from kasane_shared.events.base import Stream

INTAKE = Stream(
    "kasane.intake.v1",
    source="/kasane/intake",
    description="Consultations, screening, referrals, consent and person links (program 1).",
)
COORDINATION = Stream(
    "kasane.coordination.v1",
    source="/kasane/coordination",
    description="Cases, teams, assessments, support plans, meetings and outreach (programs 4-6).",
)
PARTICIPATION = Stream(
    "kasane.participation.v1",
    source="/kasane/participation",
    description="Opportunities, matches, placements and gap needs (program 2).",
)
COMMUNITY = Stream(
    "kasane.community.v1",
    source="/kasane/community",
    description="Places, organisations, coordinators and resource development (program 3).",
)
PARTNER_CONSULTATIONS = Stream(
    "kasane.partner.consultations.v1",
    source="/partners",  # each partner sets its own ce_source, named in the municipality profile
    description="Inbound: consultations posted as events by agencies' partner systems.",
)

STREAMS: tuple[Stream, ...] = (INTAKE, COORDINATION, PARTICIPATION, COMMUNITY, PARTNER_CONSULTATIONS)
SERVICES: tuple[str, ...] = ("intake", "coordination", "participation", "community")
DLT_SUFFIX = ".dlt"


@dataclass(frozen=True)
class TopicSpec:
    """A physical topic to create."""

    name: str
    partitions: int
    retention_days: int


def group_id(service: str) -> str:
    """The consumer group of a service's worker."""
    return f"kasane-{service}"


def dead_letter_topic(group: str) -> str:
    """The dead-letter topic of a consumer group."""
    return f"{group}{DLT_SUFFIX}"


def all_topics(prefix: str = "", groups: tuple[str, ...] | None = None) -> list[TopicSpec]:
    """Every topic a deployment needs, with ``prefix`` prepended to each name."""
    specs = [TopicSpec(prefix + s.name, s.partitions, s.retention_days) for s in STREAMS]
    for group in groups if groups is not None else tuple(group_id(s) for s in SERVICES):
        # dead letters wait for a person to look at them, so keep them longer
        specs.append(TopicSpec(prefix + dead_letter_topic(group), 1, 90))
    return specs
