"""The published event contract, generated from the event models.

    python -m kasane_shared.contracts.asyncapi write     # regenerate docs/events/
    python -m kasane_shared.contracts.asyncapi check     # fail if docs/events/ drifted
    python -m kasane_shared.contracts.asyncapi publish   # freeze new types as published

``docs/events/asyncapi.yaml`` is an AsyncAPI 3.0 document of every topic, event type, key
and header; ``docs/events/schemas/<type>.json`` is one JSON Schema per event type.
``docs/events/published/`` freezes each type's schema as first published: a later change
to a published type must stay backward compatible (:func:`breaking_changes`); a breaking
change is a new version (``.v2``) published beside the old one.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

import kasane_shared.contracts  # noqa: F401  (registers every event type)
from kasane_shared.events.base import EVENT_TYPES, Event, Stream
from kasane_shared.events.streams import DLT_SUFFIX, PARTNER_CONSULTATIONS, SERVICES, STREAMS, group_id

ROOT = Path(__file__).resolve().parents[4]
DOCS = ROOT / "docs" / "events"
CONTRACT_VERSION = "1.0.0"
JSON_SCHEMA = "https://json-schema.org/draft/2020-12/schema"


def _event_types() -> list[type[Event]]:
    return [EVENT_TYPES[t] for t in sorted(EVENT_TYPES) if t.startswith(("kasane.intake.",
            "kasane.coordination.", "kasane.participation.", "kasane.community.", "kasane.partner."))]


def _message_name(cls: type[Event]) -> str:
    return cls.__name__


def _doc(cls: type[Any]) -> str:
    return " ".join((cls.__doc__ or "").split())


def event_schema(cls: type[Event]) -> dict[str, Any]:
    """The standalone JSON Schema of one event type's ``data``."""
    schema = cls.model_json_schema(mode="serialization", ref_template="#/$defs/{model}")
    ordered: dict[str, Any] = {
        "$schema": JSON_SCHEMA,
        "$id": f"https://kasane.example/events/{cls.event_type}.json",
        "title": cls.event_type,
        "description": _doc(cls) or cls.__name__,
        "x-kasane-key": cls.key_field,
        "x-kasane-aggregate": cls.aggregate_type,
        "x-kasane-topic": cls.stream.name,
    }
    schema.pop("title", None)
    schema.pop("description", None)
    ordered.update(schema)
    return ordered


def _headers_schema(cls: type[Event]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["ce_id", "ce_source", "ce_type", "ce_specversion", "ce_time", "content-type"],
        "properties": {
            "ce_id": {"type": "string",
                      "description": "Unique per event; consumers deduplicate on (ce_source, ce_id)."},
            "ce_source": {"type": "string",
                          "description": "The publishing service, e.g. /kasane/intake "
                                         "(a partner's own source on the inbound topic)."},
            "ce_type": {"type": "string", "const": cls.event_type},
            "ce_specversion": {"type": "string", "const": "1.0"},
            "ce_time": {"type": "string", "format": "date-time", "description": "When the fact was recorded."},
            "ce_subject": {"type": "string", "description": f"{cls.aggregate_type}/<{cls.key_field}>"},
            "content-type": {"type": "string", "const": "application/json"},
            "traceparent": {"type": "string", "description": "W3C trace context of the request that caused the event."},
        },
    }


def _stream_key(stream: Stream) -> str:
    return stream.name.removeprefix("kasane.").removesuffix(".v1").replace(".", "_")


def asyncapi_document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document of Kasane's topics and events."""
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    by_stream: dict[str, list[type[Event]]] = {}
    for cls in _event_types():
        by_stream.setdefault(cls.stream.name, []).append(cls)
        schema = cls.model_json_schema(mode="serialization", ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            schemas[name] = definition
        schema["description"] = _doc(cls) or cls.__name__
        schemas[_message_name(cls)] = schema
        messages[_message_name(cls)] = {
            "name": cls.event_type,
            "title": cls.__name__,
            "summary": _doc(cls) or cls.event_type,
            "contentType": "application/json",
            "headers": _headers_schema(cls),
            "payload": {"$ref": f"#/components/schemas/{_message_name(cls)}"},
            "bindings": {"kafka": {
                "key": {"type": "string", "description": f"the {cls.key_field} (aggregate {cls.aggregate_type})"},
                "bindingVersion": "0.5.0",
            }},
        }
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for stream in STREAMS:
        key = _stream_key(stream)
        members = by_stream.get(stream.name, [])
        channels[key] = {
            "address": stream.name,
            "title": stream.name,
            "description": stream.description + " Keyed by aggregate id: one aggregate's events are in order.",
            "messages": {_message_name(c): {"$ref": f"#/components/messages/{_message_name(c)}"} for c in members},
            "bindings": {"kafka": {"topic": stream.name, "partitions": stream.partitions,
                                   "topicConfiguration": {"retention.ms": stream.retention_days * 86_400_000},
                                   "bindingVersion": "0.5.0"}},
        }
        inbound = stream is PARTNER_CONSULTATIONS
        operations[("receive_" if inbound else "send_") + key] = {
            "action": "receive" if inbound else "send",
            "title": ("Partners post consultations" if inbound else f"Kasane publishes {stream.name}"),
            "channel": {"$ref": f"#/channels/{key}"},
            "messages": [{"$ref": f"#/channels/{key}/messages/{_message_name(c)}"} for c in members],
        }
    for service in SERVICES:
        dlt = group_id(service) + DLT_SUFFIX
        key = dlt.replace("-", "_").replace(".", "_")
        channels[key] = {
            "address": dlt,
            "title": dlt,
            "description": (f"Dead letters of the consumer group {group_id(service)}: the original record, "
                            "unchanged, with kasane_dlt_topic, kasane_dlt_partition, kasane_dlt_offset, "
                            "kasane_dlt_group, kasane_dlt_error, kasane_dlt_attempts and kasane_dlt_at headers."),
            "bindings": {"kafka": {"topic": dlt, "partitions": 1, "bindingVersion": "0.5.0"}},
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Kasane events",
            "version": CONTRACT_VERSION,
            "description": (
                "Case events of Kasane, the backend of a municipality's multi-layered support system "
                "(重層的支援体制整備事業). CloudEvents 1.0 in Kafka binary mode: ce_* headers, a JSON value, the "
                "aggregate id as the key. Events carry ids, codes, area codes and age bands, never personal "
                "data. Delivery is at least once: deduplicate on (ce_source, ce_id). Types end in .vN; a "
                "breaking change is published as a new version beside the old one. See docs/integrating.md."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {"host": "127.0.0.1:9092", "protocol": "kafka",
                      "description": "The local stack (`make up`), plaintext on loopback."},
            "production": {"host": "kasane-kafka-bootstrap.kasane.svc:9093", "protocol": "kafka-secure",
                           "description": "Strimzi in Kubernetes: TLS with SCRAM-SHA-512 users (deploy/README.md).",
                           "security": [{"$ref": "#/components/securitySchemes/scram"}]},
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": schemas,
            "securitySchemes": {"scram": {"type": "scramSha512",
                                          "description": "A KafkaUser per integrator, read-only on case topics."}},
        },
    }


def rendered() -> dict[Path, str]:
    """Every generated file and its content."""
    files: dict[Path, str] = {
        DOCS / "asyncapi.yaml": "# Generated by `make contract` from kasane_shared.contracts: do not edit.\n"
        + yaml.safe_dump(asyncapi_document(), sort_keys=False, allow_unicode=True, width=100),
    }
    for cls in _event_types():
        files[DOCS / "schemas" / f"{cls.event_type}.json"] = (
            json.dumps(event_schema(cls), ensure_ascii=False, indent=2) + "\n")
    return files


# --- compatibility --------------------------------------------------------------------------

def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return _resolve(root.get("$defs", {})[ref.removeprefix("#/$defs/")], root)
    return schema


def _shape(schema: dict[str, Any], root: dict[str, Any]) -> Any:
    """A comparable description of a value's type (objects compared field by field)."""
    schema = _resolve(schema, root)
    if "anyOf" in schema:
        return ("anyOf", tuple(sorted(repr(_shape(s, root)) for s in schema["anyOf"])))
    if "enum" in schema:
        return ("enum", schema.get("type"))
    if schema.get("type") == "array":
        return ("array", repr(_shape(schema.get("items", {}), root)))
    if schema.get("type") == "object" and "properties" in schema:
        return ("object",)
    return (schema.get("type"), schema.get("format"), schema.get("const"))


def breaking_changes(old: dict[str, Any], new: dict[str, Any], path: str = "") -> list[str]:
    """Why ``new`` cannot replace ``old`` for existing consumers (empty when compatible).

    Breaking: a field removed, a field's type changed, a new required field, a field that
    became required, or an enum losing a value.
    """
    return _compare(old, new, old, new, path or "data", [])


def _compare(o: dict[str, Any], n: dict[str, Any], old_root: dict[str, Any], new_root: dict[str, Any],
             path: str, problems: list[str]) -> list[str]:
    o, n = _resolve(o, old_root), _resolve(n, new_root)
    if "enum" in o and "enum" in n:
        lost = set(o["enum"]) - set(n["enum"])
        if lost:
            problems.append(f"{path}: enum lost {sorted(lost)}")
        return problems
    if _shape(o, old_root) != _shape(n, new_root):
        problems.append(f"{path}: type changed")
        return problems
    if o.get("type") == "array":
        return _compare(o.get("items", {}), n.get("items", {}), old_root, new_root, f"{path}[]", problems)
    if "anyOf" in o:
        for i, (a, b) in enumerate(zip(o["anyOf"], n["anyOf"], strict=False)):
            _compare(a, b, old_root, new_root, f"{path}|{i}", problems)
        return problems
    old_props, new_props = o.get("properties", {}), n.get("properties", {})
    for name in old_props:
        if name not in new_props:
            problems.append(f"{path}.{name}: removed")
        else:
            _compare(old_props[name], new_props[name], old_root, new_root, f"{path}.{name}", problems)
    old_required, new_required = set(o.get("required", [])), set(n.get("required", []))
    for name in sorted(new_required - old_required):
        problems.append(f"{path}.{name}: " + ("became required" if name in old_props else "new required field"))
    return problems


def published_problems() -> list[str]:
    """Breaking changes of current models against the frozen published schemas."""
    problems = []
    current = {cls.event_type: event_schema(cls) for cls in _event_types()}
    for frozen in sorted((DOCS / "published").glob("*.json")):
        type_ = frozen.stem
        if type_ not in current:
            problems.append(f"{type_}: published, but no model declares it any more")
            continue
        for p in breaking_changes(json.loads(frozen.read_text()), current[type_]):
            problems.append(f"{type_}: {p}")
    return problems


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m kasane_shared.contracts.asyncapi", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["write", "check", "publish"])
    args = parser.parse_args(argv)
    files = rendered()
    if args.command == "write":
        (DOCS / "schemas").mkdir(parents=True, exist_ok=True)
        for stale in (DOCS / "schemas").glob("*.json"):
            if stale not in files:
                stale.unlink()
        for path, content in files.items():
            path.write_text(content, encoding="utf-8")
        print(f"wrote {len(files)} files under {DOCS.relative_to(ROOT)}")
    elif args.command == "check":
        drift = [str(p.relative_to(ROOT)) for p, c in files.items()
                 if not p.exists() or p.read_text(encoding="utf-8") != c]
        extra = [str(p.relative_to(ROOT)) for p in (DOCS / "schemas").glob("*.json") if p not in files]
        problems = published_problems()
        for line in drift + extra:
            print(f"drift: {line}")
        for line in problems:
            print(f"breaking: {line}")
        sys.exit(1 if drift or extra or problems else 0)
    else:
        target = DOCS / "published"
        target.mkdir(parents=True, exist_ok=True)
        added = 0
        for cls in _event_types():
            frozen = target / f"{cls.event_type}.json"
            if not frozen.exists():  # never overwrite: a published schema is a promise
                frozen.write_text(json.dumps(event_schema(cls), ensure_ascii=False, indent=2) + "\n")
                added += 1
        print(f"published {added} new event types")


if __name__ == "__main__":
    main()
