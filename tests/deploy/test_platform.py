"""Kafka through Strimzi (KRaft node pools, a topic per stream and dead-letter topic as the
code declares them, users whose ACLs follow who reads what), PostgreSQL through
CloudNativePG (a database and role per service, backups), scaling (HPA for the APIs,
workers within the partitions, disruption budgets)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from kasane_shared.events.streams import all_topics

from tests.deploy.support import (
    CASE_TOPICS,
    CONSUMES,
    OVERLAYS,
    PARTNER_TOPIC,
    SERVICES,
    labels_match,
    named,
    of_kind,
    render,
)

DAY_MS = 86_400_000


# --- Kafka -----------------------------------------------------------------------------

@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kafka_runs_in_kraft_mode_on_node_pools(overlay: str) -> None:
    objects = render(overlay)
    kafka = named(objects, "Kafka", "kasane")
    assert "zookeeper" not in kafka["spec"]
    pools = [p for p in of_kind(objects, "KafkaNodePool") if p["metadata"]["labels"]["strimzi.io/cluster"] == "kasane"]
    roles = {role: sum(p["spec"]["replicas"] for p in pools if role in p["spec"]["roles"])
             for role in ("controller", "broker")}
    assert roles == ({"controller": 1, "broker": 1} if overlay == "dev" else {"controller": 3, "broker": 3})
    if overlay == "prod":  # controllers and brokers apart
        assert all(len(p["spec"]["roles"]) == 1 for p in pools)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kafka_is_reached_over_tls_with_scram_users_and_acls(overlay: str) -> None:
    spec = named(render(overlay), "Kafka", "kasane")["spec"]["kafka"]
    assert spec["authorization"]["type"] == "simple"
    assert spec["config"]["auto.create.topics.enable"] is False
    for listener in spec["listeners"]:
        assert listener["tls"] is True
        assert listener["authentication"]["type"] == "scram-sha-512"
    (internal,) = [x for x in spec["listeners"] if x["type"] == "internal"]
    assert internal["port"] == 9093  # KAFKA_BOOTSTRAP_SERVERS in config/kasane.env


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_a_topic_per_stream_and_dead_letter_topic_as_the_code_declares(overlay: str) -> None:
    topics = {t["spec"]["topicName"]: t["spec"] for t in of_kind(render(overlay), "KafkaTopic")}
    expected = {t.name: t for t in all_topics()}
    assert set(topics) == set(expected)
    replicas, min_isr = (1, 1) if overlay == "dev" else (3, 2)
    for name, spec in topics.items():
        assert spec["partitions"] == expected[name].partitions, name
        assert spec["config"]["retention.ms"] == expected[name].retention_days * DAY_MS, name
        assert (spec["replicas"], spec["config"]["min.insync.replicas"]) == (replicas, min_isr), name
    assert {t for t in topics if t.endswith(".dlt")} == {f"kasane-{s}.dlt" for s in SERVICES}


def acls(user: dict[str, Any]) -> set[tuple[str, str, str, str]]:
    """(resource type, name, pattern, operation) the user is allowed."""
    out = set()
    for acl in user["spec"]["authorization"]["acls"]:
        assert acl.get("type", "allow") == "allow"
        r = acl["resource"]
        out |= {(r["type"], r["name"], r.get("patternType", "literal"), op) for op in acl["operations"]}
    return out


def allowed(user: dict[str, Any], rtype: str, operation: str) -> set[str]:
    return {name for t, name, _, op in acls(user) if t == rtype and op == operation}


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_writes_its_own_topics_and_reads_what_it_consumes(service: str) -> None:
    user = named(render("prod"), "KafkaUser", f"kasane-{service}")
    assert user["spec"]["authentication"]["type"] == "scram-sha-512"
    assert allowed(user, "topic", "Write") == {f"kasane.{service}.v1", f"kasane-{service}.dlt"}
    assert allowed(user, "topic", "Read") == CONSUMES[service]
    assert allowed(user, "group", "Read") == {f"kasane-{service}"}
    assert {op for *_, op in acls(user)} <= {"Read", "Write", "Describe"}
    assert all(pattern == "literal" for _, _, pattern, _ in acls(user))
    assert not [a for a in acls(user) if a[0] in ("cluster", "transactionalId")]


@pytest.mark.parametrize("service", SERVICES)
def test_the_acls_cover_what_the_service_code_consumes(service: str) -> None:
    """Once a service declares what it consumes (ServiceSpec.consumes), its user can read it."""
    spec = importlib.import_module(f"kasane_{service}.main").SPEC
    user = named(render("prod"), "KafkaUser", f"kasane-{service}")
    assert {s.name for s in spec.consumes} <= allowed(user, "topic", "Read")
    if spec.stream is not None:
        assert spec.stream.name in allowed(user, "topic", "Write")


def test_integrators_read_the_case_topics_only() -> None:
    user = named(render("prod"), "KafkaUser", "kasane-integrator")
    assert allowed(user, "topic", "Read") == CASE_TOPICS
    assert {op for *_, op in acls(user)} == {"Read", "Describe"}
    assert {(t, name, pattern) for t, name, pattern, _ in acls(user) if t == "group"} == {
        ("group", "kasane-integrator-", "prefix")}


def test_partners_only_write_the_inbound_topic() -> None:
    user = named(render("prod"), "KafkaUser", "kasane-partner")
    assert acls(user) == {("topic", PARTNER_TOPIC, "literal", "Write"),
                          ("topic", PARTNER_TOPIC, "literal", "Describe")}


def test_only_the_ops_user_replays_dead_letters() -> None:
    objects = render("prod")
    ops = named(objects, "KafkaUser", "kasane-ops")
    assert allowed(ops, "topic", "Read") == {f"kasane-{s}.dlt" for s in SERVICES}
    assert allowed(ops, "topic", "Write") == set().union(*CONSUMES.values())
    readers_of_dlt = [u["metadata"]["name"] for u in of_kind(objects, "KafkaUser")
                      if any(name.endswith(".dlt") for name in allowed(u, "topic", "Read"))]
    assert readers_of_dlt == ["kasane-ops"]


# --- PostgreSQL ------------------------------------------------------------------------

@pytest.mark.parametrize("overlay", OVERLAYS)
def test_postgres_cluster_with_a_database_and_role_per_service(overlay: str) -> None:
    objects = render(overlay)
    cluster = named(objects, "Cluster", "kasane-pg")["spec"]
    assert cluster["instances"] == (1 if overlay == "dev" else 3)
    roles = {r["name"]: r for r in cluster["managed"]["roles"]}
    databases = {d["spec"]["name"]: d["spec"] for d in of_kind(objects, "Database")}
    for service in SERVICES:
        name = f"kasane_{service}"
        assert roles[name]["login"] is True and roles[name]["passwordSecret"]["name"] == f"kasane-{service}-db"
        assert databases[name]["owner"] == name and databases[name]["cluster"]["name"] == "kasane-pg"
        assert databases[name]["databaseReclaimPolicy"] == "retain"
    # each role is admitted to its own database only (pg_hba is first-match)
    hba = [line.split() for line in cluster["postgresql"]["pg_hba"]]
    for service in SERVICES:
        role = f"kasane_{service}"
        first = next(rule for rule in hba if rule[2] in ("all", role) or role in rule[2].split(","))
        assert first[:3] == ["hostssl", role, role] and first[-1] == "scram-sha-256"
        other = f"kasane_{next(s for s in SERVICES if s != service)}"
        match = next(r for r in hba if r[1] in ("all", other) and (r[2] == role or role in r[2].split(",")))
        assert match[-1] == "reject"


def test_prod_backs_up_to_object_storage() -> None:
    objects = render("prod")
    backup = named(objects, "Cluster", "kasane-pg")["spec"]["backup"]
    store = backup["barmanObjectStore"]
    assert store["destinationPath"].startswith("s3://")
    assert set(store["s3Credentials"]) == {"accessKeyId", "secretAccessKey"}
    assert backup["retentionPolicy"]
    (scheduled,) = of_kind(objects, "ScheduledBackup")
    assert scheduled["spec"]["cluster"]["name"] == "kasane-pg"
    assert scheduled["spec"]["method"] == "barmanObjectStore"
    assert len(scheduled["spec"]["schedule"].split()) == 6  # CloudNativePG's cron has seconds


# --- scaling ---------------------------------------------------------------------------

def test_prod_autoscales_the_apis_on_cpu_and_nothing_else() -> None:
    objects = render("prod")
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h["spec"] for h in of_kind(objects, "HorizontalPodAutoscaler")}
    assert set(hpas) == {f"kasane-{s}-api" for s in SERVICES}
    for name, spec in hpas.items():
        assert spec["minReplicas"] >= 2
        (metric,) = spec["metrics"]
        assert metric["resource"]["name"] == "cpu"
        assert "replicas" not in named(objects, "Deployment", name)["spec"]  # the HPA owns it
    assert of_kind(render("dev"), "HorizontalPodAutoscaler") == []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_workers_never_outnumber_the_partitions(overlay: str) -> None:
    """More members than partitions would idle in the consumer group (and the relay is one
    leader by advisory lock), so a worker's replicas stay within its topics' partitions."""
    objects = render(overlay)
    partitions = {t["spec"]["topicName"]: t["spec"]["partitions"] for t in of_kind(objects, "KafkaTopic")}
    for service in SERVICES:
        replicas = named(objects, "Deployment", f"kasane-{service}-worker")["spec"]["replicas"]
        assert 1 <= replicas <= min(partitions[t] for t in CONSUMES[service])
        assert replicas == (1 if overlay == "dev" else 2)


def test_prod_disruption_budgets_cover_every_deployment() -> None:
    objects = render("prod")
    budgets = of_kind(objects, "PodDisruptionBudget")
    for deployment in of_kind(objects, "Deployment"):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert len([b for b in budgets if labels_match(b["spec"]["selector"], labels)]) == 1, \
            deployment["metadata"]["name"]
    assert of_kind(render("dev"), "PodDisruptionBudget") == []


def test_dev_runs_one_replica_of_everything_small() -> None:
    objects = render("dev")
    for deployment in of_kind(objects, "Deployment"):
        assert deployment["spec"]["replicas"] == 1
        limits = deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
        assert limits["memory"] == "384Mi"


def test_prod_enforces_the_restricted_pod_security_standard() -> None:
    (namespace,) = of_kind(render("prod"), "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert {o["metadata"].get("namespace") for o in render("prod") if o["kind"] != "Namespace"} == {"kasane"}
