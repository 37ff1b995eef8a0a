"""Both overlays build with kustomize, and every object they hold (and every ops Job) is
valid: core kinds against Kubernetes' schemas (kubernetes-validate, strict), Strimzi and
CloudNativePG kinds against their CRDs' schemas (unknown fields refused)."""

from __future__ import annotations

import copy

import pytest

from tests.deploy import schemas
from tests.deploy.support import K8S, OVERLAYS, kustomize, named, ops_jobs, render


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_builds(overlay: str) -> None:
    done = kustomize(K8S / "overlays" / overlay)
    assert done.returncode == 0, done.stderr
    assert render(overlay), "the overlay rendered no objects"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_validates(overlay: str) -> None:
    problems = [p for obj in render(overlay) for p in schemas.validate(obj)]
    assert problems == []


def test_ops_jobs_validate() -> None:
    jobs = ops_jobs()
    assert len(jobs) == 4
    assert [p for job in jobs for p in schemas.validate(job)] == []


def test_every_kind_has_a_schema() -> None:
    """Each kind the overlays use is checked by one of the two means: the operators' kinds
    by their CRDs, all others by kubernetes-validate (which refuses kinds it has no schema for)."""
    kinds = {(o["apiVersion"], o["kind"]) for overlay in OVERLAYS for o in render(overlay)}
    operator_kinds = {kind for key, kind in kinds if key and (key, kind) in schemas.crd_validators()}
    core_kinds = {kind for _, kind in kinds} - operator_kinds
    assert operator_kinds == {"Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser",
                              "Cluster", "Database", "ScheduledBackup"}
    assert core_kinds == {"Namespace", "ConfigMap", "ServiceAccount", "Deployment", "Service",
                          "NetworkPolicy", "HorizontalPodAutoscaler", "PodDisruptionBudget"}


def test_validation_catches_mistakes() -> None:
    """The validators can fail: a misspelt field, a wrong type, an unknown kind."""
    prod = render("prod")
    kafka = copy.deepcopy(named(prod, "Kafka", "kasane"))
    kafka["spec"]["kafka"]["listners"] = kafka["spec"]["kafka"].pop("listeners")
    assert any("listners" in p or "listeners" in p for p in schemas.validate(kafka))

    topic = copy.deepcopy(named(prod, "KafkaTopic", "kasane-intake-v1"))
    topic["spec"]["partitions"] = "six"
    assert any("partitions" in p for p in schemas.validate(topic))

    cluster = copy.deepcopy(named(prod, "Cluster", "kasane-pg"))
    cluster["spec"]["backup"]["barmanObjectStore"].pop("destinationPath")
    assert any("destinationPath" in p for p in schemas.validate(cluster))

    deployment = copy.deepcopy(named(prod, "Deployment", "kasane-intake-api"))
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["prot"] = 8001
    assert any("prot" in p for p in schemas.validate(deployment))

    assert schemas.validate({"apiVersion": "example.org/v1", "kind": "Gizmo", "metadata": {"name": "g"}})
