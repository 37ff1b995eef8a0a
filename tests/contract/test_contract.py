"""The published event contract: generated from the models, checked in, validated by the
official AsyncAPI parser, and kept backward compatible once published."""

from __future__ import annotations

import json
import os
import subprocess

import jsonschema
import pytest
from kasane_shared.contracts.asyncapi import (
    DOCS,
    ROOT,
    _event_types,
    breaking_changes,
    event_schema,
    published_problems,
    rendered,
)

from tests.support.privacy import FORBIDDEN_KEYS


def test_checked_in_contract_matches_the_code() -> None:
    """Fails when a model changed and `make contract` was not run (or docs were hand-edited)."""
    files = rendered()
    stale = [str(p.relative_to(ROOT)) for p, content in files.items()
             if not p.exists() or p.read_text(encoding="utf-8") != content]
    orphans = [str(p.relative_to(ROOT)) for p in (DOCS / "schemas").glob("*.json") if p not in files]
    assert not stale and not orphans, f"run `make contract`: stale {stale}, orphaned {orphans}"


def test_asyncapi_document_is_valid_for_the_official_parser() -> None:
    modules = subprocess.run([str(ROOT / "scripts" / "contract-tools.sh")], check=True,
                             capture_output=True, text=True).stdout.strip()
    result = subprocess.run(
        ["node", str(ROOT / "tools" / "contracts" / "validate.mjs"), str(DOCS / "asyncapi.yaml")],
        capture_output=True, text=True, env={**os.environ, "ASYNCAPI_NODE_MODULES": modules},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(_event_types())} messages" in result.stdout


@pytest.mark.parametrize("cls", _event_types(), ids=lambda c: c.event_type)
def test_each_event_has_a_valid_schema_without_personal_fields(cls) -> None:
    schema = json.loads((DOCS / "schemas" / f"{cls.event_type}.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["x-kasane-key"] == cls.key_field and cls.key_field in schema["required"]

    def names(node: object) -> set[str]:
        if isinstance(node, dict):
            found = set(node.get("properties", {}))
            for value in node.values():
                found |= names(value)
            return found
        if isinstance(node, list):
            return set().union(*(names(v) for v in node)) if node else set()
        return set()

    assert not FORBIDDEN_KEYS & names(schema), f"{cls.event_type} declares a personal-data field"


BASE = {
    "type": "object",
    "required": ["case_id", "status"],
    "properties": {
        "case_id": {"type": "string", "format": "uuid"},
        "status": {"enum": ["open", "closed"], "type": "string"},
        "area_code": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        "codes": {"type": "array", "items": {"type": "string"}},
    },
}


def _changed(**edits: object) -> dict:
    schema = json.loads(json.dumps(BASE))
    for path, value in edits.items():
        *parents, leaf = path.split("__")
        node = schema
        for p in parents:
            node = node[p]
        if value is None:
            node.pop(leaf)
        else:
            node[leaf] = value
    return schema


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        (_changed(properties__area_code=None), "data.area_code: removed"),
        (_changed(properties__case_id={"type": "integer"}), "data.case_id: type changed"),
        (_changed(properties__codes={"type": "array", "items": {"type": "integer"}}), "data.codes: type changed"),
        (_changed(properties__status={"enum": ["open"], "type": "string"}), "data.status: enum lost ['closed']"),
        (_changed(required=["case_id", "status", "area_code"]), "data.area_code: became required"),
        (_changed(properties__ward={"type": "string"}, required=["case_id", "status", "ward"]),
         "data.ward: new required field"),
    ],
)
def test_breaking_changes_are_caught(new: dict, expected: str) -> None:
    assert expected in breaking_changes(BASE, new)


def test_compatible_changes_pass() -> None:
    grown = _changed(properties__ward={"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
                     properties__status={"enum": ["open", "closed", "paused"], "type": "string"})
    assert breaking_changes(BASE, grown) == []


def test_current_models_keep_every_published_v1_promise() -> None:
    assert (DOCS / "published").is_dir(), "no published snapshot: run `make contract-publish` once"
    published = {p.stem for p in (DOCS / "published").glob("*.json")}
    assert published, "the published snapshot is empty"
    assert published_problems() == []


def test_the_frozen_snapshot_catches_a_breaking_model_change() -> None:
    """The check above can fail: drop a required field from a real published schema."""
    cls = _event_types()[0]
    frozen = json.loads((DOCS / "published" / f"{cls.event_type}.json").read_text())
    broken = event_schema(cls)
    victim = cls.key_field
    broken["properties"].pop(victim)
    broken["required"].remove(victim)
    assert f"data.{victim}: removed" in breaking_changes(frozen, broken)
