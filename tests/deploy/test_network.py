"""NetworkPolicies, evaluated with Kubernetes' semantics over the rendered overlays:
everything is denied unless allowed; only the APIs take traffic; each service reaches its
database, the Kafka brokers' TLS listener and DNS, and nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.deploy.support import OVERLAYS, PORTS, SERVICES, labels_match, named, of_kind, render


@dataclass(frozen=True)
class Pod:
    labels: dict[str, str]
    namespace: str  # "app" stands for the overlay's namespace
    ports: dict[str, int] = field(default_factory=dict)
    external: bool = False  # an address outside the cluster


def ns_labels(pod: Pod, app_namespace: str) -> dict[str, str]:
    return {"kubernetes.io/metadata.name": app_namespace if pod.namespace == "app" else pod.namespace}


def _peer_matches(peer: dict[str, Any], other: Pod, app_namespace: str) -> bool:
    if "ipBlock" in peer:
        return other.external
    if other.external:
        return False
    if "namespaceSelector" in peer and not labels_match(peer["namespaceSelector"], ns_labels(other, app_namespace)):
        return False
    if "namespaceSelector" not in peer and other.namespace != "app":
        return False
    return labels_match(peer.get("podSelector") or {}, other.labels)


def _port_matches(rule: dict[str, Any], port: int, protocol: str, target: Pod) -> bool:
    if not rule.get("ports"):
        return True
    for p in rule["ports"]:
        number = target.ports.get(p["port"]) if isinstance(p["port"], str) else p["port"]
        if number == port and p.get("protocol", "TCP") == protocol:
            return True
    return False


class Policies:
    def __init__(self, objects: tuple[dict[str, Any], ...]) -> None:
        self.policies = of_kind(objects, "NetworkPolicy") + strimzi_generated(objects)
        (namespace,) = of_kind(objects, "Namespace")
        self.namespace = namespace["metadata"]["name"]

    def _selecting(self, pod: Pod, kind: str) -> list[dict[str, Any]]:
        if pod.namespace != "app":
            return []
        return [p for p in self.policies if kind in p["spec"]["policyTypes"]
                and labels_match(p["spec"]["podSelector"], pod.labels)]

    def egress(self, source: Pod, dest: Pod, port: int, protocol: str = "TCP") -> bool:
        selecting = self._selecting(source, "Egress")
        if source.namespace == "app" and not selecting:
            return True
        return any(_port_matches(rule, port, protocol, dest)
                   and (not rule.get("to") or any(_peer_matches(p, dest, self.namespace) for p in rule["to"]))
                   for policy in selecting for rule in policy["spec"].get("egress") or [])

    def ingress(self, source: Pod, dest: Pod, port: int, protocol: str = "TCP") -> bool:
        selecting = self._selecting(dest, "Ingress")
        if dest.namespace == "app" and not selecting:
            return True
        return any(_port_matches(rule, port, protocol, dest)
                   and (not rule.get("from") or any(_peer_matches(p, source, self.namespace) for p in rule["from"]))
                   for policy in selecting for rule in policy["spec"].get("ingress") or [])

    def connects(self, source: Pod, dest: Pod, port: int, protocol: str = "TCP") -> bool:
        """Both ends must allow it (outside the namespace, nothing of ours applies)."""
        return self.egress(source, dest, port, protocol) and self.ingress(source, dest, port, protocol)


def strimzi_generated(objects: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
    """The ingress policy Strimzi's Cluster Operator creates for the Kafka pods (it is not in
    the manifests): each listener's port from its networkPolicyPeers (everyone without
    them); the control-plane and replication ports from the cluster's own pods."""
    ingress = [{"from": [{"podSelector": {"matchLabels": {"strimzi.io/cluster": "kasane"}}}],
                "ports": [{"port": 9090, "protocol": "TCP"}, {"port": 9091, "protocol": "TCP"}]}]
    for listener in named(objects, "Kafka", "kasane")["spec"]["kafka"]["listeners"]:
        rule: dict[str, Any] = {"ports": [{"port": listener["port"], "protocol": "TCP"}]}
        if listener.get("networkPolicyPeers"):
            rule["from"] = listener["networkPolicyPeers"]
        ingress.append(rule)
    return [{"kind": "NetworkPolicy", "metadata": {"name": "kasane-network-policy-kafka"},
             "spec": {"podSelector": {"matchLabels": {"strimzi.io/cluster": "kasane", "strimzi.io/kind": "Kafka"}},
                      "policyTypes": ["Ingress"], "ingress": ingress}}]


POSTGRES = Pod({"cnpg.io/cluster": "kasane-pg", "cnpg.io/instanceRole": "primary"}, "app")
BROKER = Pod({"strimzi.io/cluster": "kasane", "strimzi.io/kind": "Kafka", "strimzi.io/name": "kasane-kafka",
              "strimzi.io/broker-role": "true"}, "app")
CONTROLLER = Pod({"strimzi.io/cluster": "kasane", "strimzi.io/kind": "Kafka", "strimzi.io/name": "kasane-kafka",
                  "strimzi.io/controller-role": "true"}, "app")
DNS = Pod({"k8s-app": "kube-dns"}, "kube-system")
INGRESS_CONTROLLER = Pod({"app.kubernetes.io/name": "ingress-nginx"}, "ingress-nginx")
PROMETHEUS = Pod({"app.kubernetes.io/name": "prometheus"}, "monitoring")
ELSEWHERE = Pod({"app": "anything"}, "some-other-team")
INTERNET = Pod({}, "", external=True)


def service_pod(objects: tuple[dict[str, Any], ...], service: str, role: str) -> Pod:
    template = named(objects, "Deployment", f"kasane-{service}-{role}")["spec"]["template"]
    ports = {p["name"]: p["containerPort"] for c in template["spec"]["containers"] for p in c["ports"]}
    return Pod(template["metadata"]["labels"], "app", ports)


CASES = [(overlay, service) for overlay in OVERLAYS for service in SERVICES]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_default_deny(overlay: str) -> None:
    spec = named(render(overlay), "NetworkPolicy", "default-deny")["spec"]
    assert spec == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


@pytest.mark.parametrize(("overlay", "service"), CASES)
def test_each_service_reaches_its_database_kafka_and_dns_only(overlay: str, service: str) -> None:
    objects = render(overlay)
    net = Policies(objects)
    others = [s for s in SERVICES if s != service]
    for role in ("api", "worker"):
        pod = service_pod(objects, service, role)
        assert net.connects(pod, POSTGRES, 5432)
        assert net.connects(pod, BROKER, 9093)
        assert net.egress(pod, DNS, 53, "UDP") and net.egress(pod, DNS, 53, "TCP")
        # and nothing else: not the database's status port, not Kafka's internal ports,
        # not another service, not the internet
        assert not net.egress(pod, POSTGRES, 8000)
        assert not net.egress(pod, BROKER, 9091)
        assert not net.egress(pod, CONTROLLER, 9090)
        assert not net.egress(pod, CONTROLLER, 9093)
        assert not net.egress(pod, INTERNET, 443)
        assert not net.egress(pod, ELSEWHERE, 8080)
        for other in others:
            other_api = service_pod(objects, other, "api")
            assert not net.egress(pod, other_api, other_api.ports["http"])
        assert net.egress(pod, Pod({}, "observability"), 4318) == (overlay == "prod")


@pytest.mark.parametrize(("overlay", "service"), CASES)
def test_only_the_api_port_takes_traffic(overlay: str, service: str) -> None:
    objects = render(overlay)
    net = Policies(objects)
    api, worker = service_pod(objects, service, "api"), service_pod(objects, service, "worker")
    api_port, worker_port, metrics_port = PORTS[service]
    assert net.ingress(INGRESS_CONTROLLER, api, api_port)
    # dev admits any client to the API port; prod only the ingress controller
    assert net.ingress(ELSEWHERE, api, api_port) == (overlay == "dev")
    assert net.ingress(INTERNET, api, api_port) == (overlay == "dev")
    assert not net.ingress(INGRESS_CONTROLLER, api, metrics_port)
    for source in (INGRESS_CONTROLLER, ELSEWHERE, service_pod(objects, SERVICES[0], "api")):
        assert not net.ingress(source, worker, worker_port)
    # Prometheus scrapes the metrics ports only
    assert net.ingress(PROMETHEUS, api, metrics_port)
    assert net.ingress(PROMETHEUS, worker, worker_port)
    assert net.ingress(PROMETHEUS, api, api_port) == (overlay == "dev")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_database_takes_the_services_and_its_operator_only(overlay: str) -> None:
    objects = render(overlay)
    net = Policies(objects)
    for service in SERVICES:
        assert net.ingress(service_pod(objects, service, "api"), POSTGRES, 5432)
    assert net.ingress(Pod({"app.kubernetes.io/name": "cloudnative-pg"}, "cnpg-system"), POSTGRES, 8000)
    assert net.connects(POSTGRES, Pod({"cnpg.io/cluster": "kasane-pg"}, "app"), 5432)  # replication
    assert not net.ingress(ELSEWHERE, POSTGRES, 5432)
    assert not net.ingress(BROKER, POSTGRES, 5432)
    assert net.egress(POSTGRES, INTERNET, 443)  # the object store


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kafka_pods_talk_among_themselves(overlay: str) -> None:
    net = Policies(render(overlay))
    assert net.egress(BROKER, CONTROLLER, 9090) and net.egress(CONTROLLER, BROKER, 9091)
    assert not net.egress(BROKER, POSTGRES, 5432)
    assert not net.egress(BROKER, INTERNET, 443)
    kafka = named(render(overlay), "Kafka", "kasane")["spec"]["kafka"]
    (internal,) = [x for x in kafka["listeners"] if x["type"] == "internal"]
    # Strimzi's generated ingress policy admits only Kasane's pods to the listener
    assert internal["networkPolicyPeers"] == [{"podSelector": {"matchLabels": {"app.kubernetes.io/part-of": "kasane"}}}]


def test_the_evaluator_sees_an_overbroad_policy() -> None:
    """One policy that allows all egress opens the internet to every pod: the tests above
    would fail on such a manifest."""
    allow_all = {"kind": "NetworkPolicy", "metadata": {"name": "allow-all-egress"},
                 "spec": {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{}]}}
    objects = (*render("prod"), allow_all)
    pod = service_pod(objects, "intake", "api")
    assert not Policies(render("prod")).egress(pod, INTERNET, 443)
    assert Policies(objects).egress(pod, INTERNET, 443)
    assert Policies(objects).egress(pod, service_pod(objects, "community", "api"), 8004)
