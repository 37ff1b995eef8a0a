"""The CRDs copied into the repository are the handbook's, unchanged: pinned by digest
(checked everywhere), and compared with the handbook itself wherever it sits beside the
repository (as on CI)."""

from __future__ import annotations

import hashlib

from tests.deploy.support import CRDS, HANDBOOK_CRDS

# sha256 of each file as copied from the handbook's crds/
PINNED = {
    "cloudnative-pg/LICENSE": "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30",
    "cloudnative-pg/postgresql.cnpg.io_clusters.yaml": "6c9d24b55dcaee1e525e507c35fbc07ae1d2e31f8fbbb85dc015d1f98a537059",  # noqa: E501
    "cloudnative-pg/postgresql.cnpg.io_databases.yaml": "53f7dfca6d23eb70246f41f1e7db596f8782341cd4fffb6ad990107cc8a588e7",  # noqa: E501
    "cloudnative-pg/postgresql.cnpg.io_scheduledbackups.yaml": "1dffb969a92ed6b09abe59d9c848ff97c6646c7824e75f8e0b8379df8473a145",  # noqa: E501
    "strimzi/040-Crd-kafka.yaml": "f62c9edd575d6ed9bb7a7141ef1073eda7a2d5e204c0499a3299d04f2e89e40c",
    "strimzi/043-Crd-kafkatopic.yaml": "36390f0731c699448076d4ee739e8b7f331d083e91a7fb71500aaa830ab1127e",
    "strimzi/044-Crd-kafkauser.yaml": "c7e91b9b027a516b43dc7d369e781ee23a6ea177ae15fe0c33af6f722e26e05f",
    "strimzi/045-Crd-kafkanodepool.yaml": "411c1b32ef8c1a6408ac9d4fe791115a6ce2b41107204588f976a3ed19be2430",
    "strimzi/LICENSE": "b40930bbcf80744c86c46a12bc9da056641d722716c378f5659b9e555ef833e1",
}

# copied from upstream, not in the handbook: the Prometheus Operator's PrometheusRule
# (prometheus-operator/prometheus-operator example/prometheus-operator-crd, commit 01fad0d64b,
# operator 0.82.2), for deploy/k8s/monitoring
UPSTREAM = {
    "prometheus-operator/LICENSE": "b40930bbcf80744c86c46a12bc9da056641d722716c378f5659b9e555ef833e1",
    "prometheus-operator/monitoring.coreos.com_prometheusrules.yaml":
        "4f6c6a26db5ac249a195d155ba159c05683b7d29f9623207f6ee4bbec5b83d3e",
}


def test_the_copied_crds_are_the_pinned_ones() -> None:
    copied = {str(p.relative_to(CRDS)): hashlib.sha256(p.read_bytes()).hexdigest()
              for p in CRDS.glob("*/*") if p.is_file()}
    assert copied == PINNED | UPSTREAM


def test_the_pins_match_the_handbook_where_it_is_present() -> None:
    present = [name for name in PINNED if (HANDBOOK_CRDS / name).is_file()]
    for name in present:
        assert hashlib.sha256((HANDBOOK_CRDS / name).read_bytes()).hexdigest() == PINNED[name], name
    # without the handbook beside the clone there is nothing to compare; with it, all of it
    assert not HANDBOOK_CRDS.is_dir() or len(present) == len(PINNED)
