"""What the deployment tests share: the repository's paths, the tools, rendering overlays,
and the facts the manifests must agree with (the topics in the code, who reads what)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
OVERLAYS = ("dev", "prod")
# the operators' CRDs, copied into the repository (tests/deploy/crds/README.md)
CRDS = Path(os.environ.get("KASANE_CRDS_DIR") or ROOT / "tests" / "deploy" / "crds")
HANDBOOK_CRDS = ROOT.parent / "shared" / "crds"
SERVICES = ("intake", "coordination", "participation", "community")
PORTS = {"intake": (8001, 8101, 9001), "coordination": (8002, 8102, 9002),
         "participation": (8003, 8103, 9003), "community": (8004, 8104, 9004)}

# Who reads what (deploy/README.md): each service's consumer group and its topics.
CONSUMES: dict[str, set[str]] = {
    "intake": {"kasane.partner.consultations.v1", "kasane.coordination.v1"},
    "coordination": {"kasane.intake.v1", "kasane.participation.v1"},
    "participation": {"kasane.coordination.v1", "kasane.community.v1"},
    "community": {"kasane.participation.v1", "kasane.intake.v1", "kasane.coordination.v1"},
}
CASE_TOPICS = {f"kasane.{s}.v1" for s in SERVICES}
PARTNER_TOPIC = "kasane.partner.consultations.v1"


@dataclass(frozen=True)
class Tools:
    kustomize: list[str]
    compose: Path

    def compose_cmd(self, *args: str) -> tuple[list[str], dict[str, str]]:
        """`docker compose ...` through the Docker CLI when it is installed (the plugin in
        .local/docker/cli-plugins), else the same binary standalone."""
        env = dict(os.environ)
        docker = shutil.which("docker")
        if docker:
            env["DOCKER_CONFIG"] = str(self.compose.parent.parent)
            return [docker, "compose", *args], env
        return [str(self.compose), *args], env


@cache
def tools() -> Tools:
    """Install (first run) or find kustomize and Docker Compose: scripts/deploy-tools.sh."""
    done = subprocess.run(["bash", str(ROOT / "scripts" / "deploy-tools.sh")], capture_output=True,
                          text=True, timeout=1500, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"scripts/deploy-tools.sh failed:\n{done.stderr[-4000:]}")
    values = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    return Tools(kustomize=shlex.split(values["KUSTOMIZE"]), compose=Path(values["COMPOSE"]))


def kustomize(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*tools().kustomize, "--load-restrictor", "LoadRestrictionsNone", str(directory)],
                          capture_output=True, text=True, timeout=120, check=False)


@cache
def render(overlay: str) -> tuple[dict[str, Any], ...]:
    """The overlay's objects as `kustomize build` prints them."""
    done = kustomize(K8S / "overlays" / overlay)
    if done.returncode != 0:
        raise AssertionError(f"kustomize build of {overlay} failed:\n{done.stderr}")
    return tuple(d for d in yaml.safe_load_all(done.stdout) if d)


def ops_jobs() -> list[dict[str, Any]]:
    return [yaml.safe_load(p.read_text()) for p in sorted((K8S / "ops").glob("*.yaml"))]


def of_kind(objects: tuple[dict[str, Any], ...] | list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def named(objects: tuple[dict[str, Any], ...], kind: str, name: str) -> dict[str, Any]:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def configmap(objects: tuple[dict[str, Any], ...], prefix: str) -> dict[str, Any]:
    """A generated ConfigMap by its name before kustomize's hash suffix."""
    found = [o for o in of_kind(objects, "ConfigMap") if o["metadata"]["name"].rsplit("-", 1)[0] == prefix]
    assert len(found) == 1, f"expected one ConfigMap {prefix}-<hash>, found {len(found)}"
    return found[0]


def pod_specs(obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
    kind = obj["kind"]
    if kind == "Pod":
        yield obj["spec"]
    elif kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        yield obj["spec"]["template"]["spec"]
    elif kind == "CronJob":
        yield obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def labels_match(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Kubernetes label-selector semantics (matchLabels and matchExpressions)."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def env_of(container: dict[str, Any], objects: tuple[dict[str, Any], ...],
           secrets: dict[tuple[str, str], str]) -> dict[str, str]:
    """The environment a container starts with: envFrom ConfigMaps, then env (ConfigMap and
    Secret references resolved; Secret values from ``secrets``, as an operator provides them)."""
    maps = {o["metadata"]["name"]: o.get("data", {}) for o in of_kind(objects, "ConfigMap")}
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(maps[source["configMapRef"]["name"]])
    for var in container.get("env", []):
        if "value" in var:
            env[var["name"]] = var["value"]
        elif "secretKeyRef" in var.get("valueFrom", {}):
            ref = var["valueFrom"]["secretKeyRef"]
            env[var["name"]] = secrets[(ref["name"], ref["key"])]
        elif "configMapKeyRef" in var.get("valueFrom", {}):
            ref = var["valueFrom"]["configMapKeyRef"]
            env[var["name"]] = maps[ref["name"]][ref["key"]]
    return env


def read_yaml_documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]
