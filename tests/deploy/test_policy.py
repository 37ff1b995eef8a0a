"""The policy check (tests/deploy/policy.py) passes every container Kasane deploys and
rejects the breaches it exists for: root, missing limits, missing probes, and the rest."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.deploy.policy import violations
from tests.deploy.support import DEPLOY, OVERLAYS, named, ops_jobs, read_yaml_documents, render

BROKEN = DEPLOY.parent / "tests" / "deploy" / "fixtures" / "broken-deployment.yaml"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlays_pass_the_policy(overlay: str) -> None:
    assert violations(render(overlay)) == []


def test_ops_jobs_pass_the_policy() -> None:
    assert violations(ops_jobs()) == []


def test_a_broken_manifest_is_rejected() -> None:
    """The checked-in broken Deployment runs as root, without limits or probes."""
    found = violations(read_yaml_documents(BROKEN))
    assert "Deployment/broken container app: may run as root (runAsNonRoot must be true, runAsUser not 0)" in found
    assert "Deployment/broken container app: no cpu limit" in found
    assert "Deployment/broken container app: no memory limit" in found
    assert "Deployment/broken container app: no livenessProbe" in found
    assert "Deployment/broken container app: no readinessProbe" in found
    assert len(found) == 5, found


def _api(pod: dict[str, Any]) -> dict[str, Any]:
    return pod["containers"][0]


BREAKS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "root user": (lambda pod: _api(pod)["securityContext"].update(runAsUser=0), "may run as root"),
    "runAsNonRoot off": (lambda pod: (pod["securityContext"].pop("runAsNonRoot"),
                                      _api(pod)["securityContext"].pop("runAsNonRoot")), "may run as root"),
    "no limits": (lambda pod: _api(pod)["resources"].pop("limits"), "no cpu limit"),
    "no memory request": (lambda pod: _api(pod)["resources"]["requests"].pop("memory"), "no memory request"),
    "init container without limits": (lambda pod: pod["initContainers"][0]["resources"].pop("limits"),
                                      "init container migrate: no memory limit"),
    "no liveness probe": (lambda pod: _api(pod).pop("livenessProbe"), "no livenessProbe"),
    "no readiness probe": (lambda pod: _api(pod).pop("readinessProbe"), "no readinessProbe"),
    "privilege escalation": (lambda pod: _api(pod)["securityContext"].update(allowPrivilegeEscalation=True),
                             "allowPrivilegeEscalation"),
    "writable root": (lambda pod: _api(pod)["securityContext"].pop("readOnlyRootFilesystem"),
                      "root filesystem is writable"),
    "capabilities kept": (lambda pod: _api(pod)["securityContext"].pop("capabilities"), "capabilities not dropped"),
    "no seccomp": (lambda pod: (pod["securityContext"].pop("seccompProfile"),
                                _api(pod)["securityContext"].pop("seccompProfile")), "no seccomp profile"),
    "host network": (lambda pod: pod.update(hostNetwork=True), "hostNetwork"),
    "latest image": (lambda pod: _api(pod).update(image="kasane/intake:latest"), "not pinned"),
}


@pytest.mark.parametrize("breach", sorted(BREAKS))
def test_each_breach_is_caught(breach: str) -> None:
    deployment = copy.deepcopy(named(render("prod"), "Deployment", "kasane-intake-api"))
    assert violations([deployment]) == []  # the unbroken one passes
    mutate, expected = BREAKS[breach]
    mutate(deployment["spec"]["template"]["spec"])
    found = violations([deployment])
    assert any(expected in v for v in found), found
