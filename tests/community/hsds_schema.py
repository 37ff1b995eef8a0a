"""Validating documents against the HSDS 3 schemas shipped in ``tests/community/hsds/``.

The schemas refer to each other by relative file name (``"$ref": "phone.json"``); they
are registered under one made-up base URI in a ``referencing`` registry with no
retrieval, so a reference to anything not shipped fails instead of going to the network.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

HSDS_DIR = Path(__file__).parent / "hsds"
BASE = "https://hsds.invalid/schema/"


@cache
def registry() -> Registry:
    resources = [
        (BASE + path.name, Resource.from_contents(json.loads(path.read_text("utf-8")),
                                                  default_specification=DRAFT202012))
        for path in sorted(HSDS_DIR.glob("*.json"))
    ]
    return Registry().with_resources(resources)


def validator(table: str) -> Draft202012Validator:
    """A validator for one HSDS object (``organization``, ``service``, ...)."""
    return Draft202012Validator({"$ref": BASE + f"{table}.json"}, registry=registry(),
                                format_checker=FormatChecker())


def schema(table: str) -> dict[str, Any]:
    return registry().contents(BASE + f"{table}.json")


def unknown_fields(instance: Any, table: str, path: str = "") -> list[str]:
    """Fields HSDS does not define (its schemas allow extra fields, so a typo would pass)."""
    found: list[str] = []
    props = schema(table).get("properties", {})
    for key, value in instance.items():
        here = f"{path}.{key}" if path else key
        if key not in props:
            found.append(here)
            continue
        spec = props[key]
        ref = spec.get("$ref") or (spec.get("items") or {}).get("$ref")
        if ref:
            child = ref.removesuffix(".json")
            items = value if isinstance(value, list) else [value]
            for i, item in enumerate(items):
                found += unknown_fields(item, child, f"{here}[{i}]" if isinstance(value, list) else here)
    return found


TABLES = {"organizations": "organization", "services": "service", "locations": "location", "schedules": "schedule"}


def problems(document: dict[str, Any]) -> list[str]:
    """Every schema violation and undefined field in an export, as readable lines."""
    out: list[str] = []
    for collection, table in TABLES.items():
        assert isinstance(document.get(collection), list), f"{collection} is missing"
        check = validator(table)
        for i, item in enumerate(document[collection]):
            out += [f"{collection}[{i}] {'/'.join(map(str, e.absolute_path))}: {e.message}"
                    for e in check.iter_errors(item)]
            out += [f"{collection}[{i}] {field}: not an HSDS field" for field in unknown_fields(item, table)]
    return out
