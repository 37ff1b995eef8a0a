"""Kasane's policy for every container it deploys, checked on the rendered manifests.

A workload fails when any container (init containers included) can run as root, lacks CPU
or memory requests and limits, may escalate privileges or keep capabilities, writes its
root filesystem, runs without a seccomp profile, or shares the node's namespaces; a
long-running one (Deployment, StatefulSet, DaemonSet) also fails without liveness and
readiness probes. Images must be pinned (a tag other than `latest`, or a digest).
"""

from __future__ import annotations

from typing import Any

from tests.deploy.support import pod_specs

LONG_RUNNING = {"Deployment", "StatefulSet", "DaemonSet"}
WORKLOADS = LONG_RUNNING | {"Job", "CronJob", "Pod", "ReplicaSet"}


def _effective(container_sc: dict[str, Any], pod_sc: dict[str, Any], key: str) -> Any:
    """A container's setting wins over the pod's (Kubernetes' own precedence)."""
    return container_sc[key] if key in container_sc else pod_sc.get(key)


def _container_violations(where: str, container: dict[str, Any], pod_sc: dict[str, Any],
                          long_running: bool, check_image: bool) -> list[str]:
    found: list[str] = []
    sc = container.get("securityContext") or {}

    run_as_user = _effective(sc, pod_sc, "runAsUser")
    if _effective(sc, pod_sc, "runAsNonRoot") is not True or run_as_user == 0:
        found.append(f"{where}: may run as root (runAsNonRoot must be true, runAsUser not 0)")
    if sc.get("privileged"):
        found.append(f"{where}: privileged")
    if sc.get("allowPrivilegeEscalation") is not False:
        found.append(f"{where}: allowPrivilegeEscalation is not false")
    if sc.get("readOnlyRootFilesystem") is not True:
        found.append(f"{where}: root filesystem is writable")
    caps = sc.get("capabilities") or {}
    if "ALL" not in (caps.get("drop") or []):
        found.append(f"{where}: capabilities not dropped (drop: [ALL])")
    if caps.get("add"):
        found.append(f"{where}: adds capabilities {caps['add']}")
    seccomp = _effective(sc, pod_sc, "seccompProfile") or {}
    if seccomp.get("type") not in ("RuntimeDefault", "Localhost"):
        found.append(f"{where}: no seccomp profile (RuntimeDefault)")

    resources = container.get("resources") or {}
    for bound in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            if resource not in (resources.get(bound) or {}):
                found.append(f"{where}: no {resource} {bound[:-1]}")

    if long_running:
        for probe in ("livenessProbe", "readinessProbe"):
            if probe not in container:
                found.append(f"{where}: no {probe}")

    if check_image:
        image = container.get("image", "")
        pinned = "@sha256:" in image or (":" in image.rsplit("/", 1)[-1]
                                          and not image.endswith(":latest"))
        if not pinned:
            found.append(f"{where}: image {image!r} is not pinned to a tag or digest")
    return found


def violations(objects: list[dict[str, Any]] | tuple[dict[str, Any], ...], *,
               check_images: bool = True) -> list[str]:
    """Every breach of the policy in ``objects`` (non-workload objects are ignored)."""
    found: list[str] = []
    for obj in objects:
        if obj.get("kind") not in WORKLOADS:
            continue
        name = obj["metadata"].get("name") or obj["metadata"].get("generateName", "?")
        for spec in pod_specs(obj):
            pod_sc = spec.get("securityContext") or {}
            where = f"{obj['kind']}/{name}"
            for flag in ("hostNetwork", "hostPID", "hostIPC"):
                if spec.get(flag):
                    found.append(f"{where}: {flag}")
            for volume in spec.get("volumes") or []:
                if "hostPath" in volume:
                    found.append(f"{where}: hostPath volume {volume['name']}")
            for container in spec.get("initContainers") or []:
                found += _container_violations(f"{where} init container {container['name']}", container,
                                               pod_sc, long_running=False, check_image=check_images)
            for container in spec.get("containers") or []:
                found += _container_violations(f"{where} container {container['name']}", container, pod_sc,
                                               long_running=obj["kind"] in LONG_RUNNING,
                                               check_image=check_images)
    return found
