"""Validating objects offline: core kinds with kubernetes-validate's bundled schemas, the
operators' kinds (Strimzi, CloudNativePG) against the openAPIV3Schema of their CRDs."""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema
import kubernetes_validate
import kubernetes_validate.utils
import yaml

from tests.deploy.support import CRDS

# The oldest Kubernetes the manifests are meant for (both operators support it) and the
# newest kubernetes-validate ships schemas for.
KUBERNETES_VERSIONS = ("1.31.0", "1.37.0")

# kubernetes-validate parses its 1.8 MB definitions file again for every object; the file
# never changes, so parse each one once (validation itself is the package's own).
if not hasattr(kubernetes_validate.utils.schema_contents, "cache_info"):
    kubernetes_validate.utils.schema_contents = cache(kubernetes_validate.utils.schema_contents)


def _strict(schema: Any) -> Any:
    """The schema with unknown fields forbidden wherever the CRD lists the fields: the API
    server would silently prune a misspelt field, so the test must refuse it instead."""
    if isinstance(schema, dict):
        out = {k: _strict(v) if k not in ("properties", "patternProperties") else
               {name: _strict(sub) for name, sub in v.items()} for k, v in schema.items()}
        if ("properties" in out and "additionalProperties" not in out
                and not out.get("x-kubernetes-preserve-unknown-fields")):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    return schema


@cache
def crd_validators() -> dict[tuple[str, str], jsonschema.protocols.Validator]:
    """(apiVersion, kind) -> a validator, for every version each CRD in CRDS serves."""
    validators: dict[tuple[str, str], jsonschema.protocols.Validator] = {}
    files = sorted(CRDS.glob("*/*.yaml"))
    if not files:
        raise FileNotFoundError(f"no CRDs under {CRDS} (tests/deploy/crds/, copied from the handbook)")
    for path in files:
        for crd in yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                if not version.get("served"):
                    continue
                schema = _strict(version["schema"]["openAPIV3Schema"])
                validators[(f"{group}/{version['name']}", kind)] = jsonschema.Draft202012Validator(schema)
    return validators


def validate(obj: dict[str, Any]) -> list[str]:
    """Problems with ``obj`` (empty when valid); an unknown kind is a problem too."""
    key = (obj.get("apiVersion", ""), obj.get("kind", ""))
    name = f"{key[1]}/{obj.get('metadata', {}).get('name') or obj.get('metadata', {}).get('generateName')}"
    if key in crd_validators():
        return [f"{name}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
                for e in crd_validators()[key].iter_errors(obj)]
    problems = []
    for version in KUBERNETES_VERSIONS:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            return [f"{name}: no schema for {key[0]} {key[1]} (neither a core kind nor one of the CRDs)"]
        except kubernetes_validate.ValidationError as error:
            problems.append(f"{name} (Kubernetes {version}): {error}")
    return problems
