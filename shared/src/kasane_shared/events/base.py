"""Integration events: small past-tense facts with an explicit, versioned wire type.

Every event type is a pydantic model declared with its wire type, its stream and the
field that holds its aggregate id (read back as ``event_type``, ``stream``, ``key_field``
and ``aggregate_type``)::

    class ConsultationReceived(Event, type="kasane.intake.consultation.received.v1",
                               stream=INTAKE, key="consultation_id"):
        consultation_id: UUID
        ...

Declaring the class registers it, so consumers can turn a Kafka record back into the
model and the contract generator can list every type. Events carry ids, codes, areas and
age bands only; personal data stays in the owning service (DESIGN.md, "Personal data").

Strict writer, tolerant reader. Building an event refuses unknown fields and values, so a
publisher only ever writes what its contract says. Reading one with the validation
context ``{TOLERANT: True}`` (the inbox consumer does, on Kasane's own topics) ignores
fields the model does not declare and keeps an unknown value of an :data:`Open` enum as a
plain string: a newer publisher's optional field or enum value reaches an older consumer
as the v1 event it knows. A handler that must act on such a field sees a ``str`` that is
no member of the enum, and rejects the event if it cannot decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)

_TYPE_PATTERN = re.compile(r"^kasane(\.[a-z][a-z0-9_]*)+\.v[1-9][0-9]*$")
_CODE = re.compile(r"^[a-z0-9][a-z0-9_]{0,63}$")  # what an enum value may look like
SCHEMA_BASE = "https://kasane.example/events/"
TOLERANT = "kasane.tolerant"  # validation context key: read as a tolerant reader


def is_type_name(type_: str) -> bool:
    """Whether ``type_`` looks like a Kasane wire type (kasane.<area>.<fact>.vN)."""
    return bool(_TYPE_PATTERN.match(type_))


def schema_uri(type_: str) -> str:
    """The ``$id`` of an event type's JSON Schema, sent as ``ce_dataschema``."""
    return f"{SCHEMA_BASE}{type_}.json"


def _tolerant(info: ValidationInfo) -> bool:
    context = info.context
    return isinstance(context, dict) and bool(context.get(TOLERANT))


def _open_enum(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
    try:
        return handler(value)
    except ValidationError:
        if _tolerant(info) and isinstance(value, str) and _CODE.match(value):
            return value  # a value a newer publisher added: kept, as a plain string
        raise


E = TypeVar("E", bound=Enum)
# An enum whose values may grow within a version: Open[ReferralStatus].
Open = Annotated[E, WrapValidator(_open_enum)]


class Fact(BaseModel):
    """Base of the models events carry, and of events: strict to build, tolerant to read."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _ignore_unknown_fields(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(data, dict) and _tolerant(info):
            known = set(cls.model_fields) | {f.alias for f in cls.model_fields.values() if f.alias}
            if not known.issuperset(data):
                return {k: v for k, v in data.items() if k in known}
        return data


@dataclass(frozen=True)
class Stream:
    """A Kafka topic one service writes, keyed by aggregate id."""

    name: str
    source: str
    partitions: int = 6
    retention_days: int = 30
    description: str = ""


class Event(Fact):
    """Base of every integration event; subclasses declare ``type``, ``stream`` and ``key``."""

    # Class-level metadata, named so that payload fields may be called type, key, ...
    event_type: ClassVar[str]
    stream: ClassVar[Stream]
    key_field: ClassVar[str]
    aggregate_type: ClassVar[str]

    def __init_subclass__(
        cls,
        *,
        type: str | None = None,
        stream: Stream | None = None,
        key: str | None = None,
        aggregate: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if type is None:
            return  # an abstract intermediate class
        if not _TYPE_PATTERN.match(type):
            raise ValueError(f"event type {type!r} must look like kasane.<area>.<fact>.vN")
        if stream is None or key is None:
            raise ValueError(f"event type {type!r} needs stream= and key=")
        if type in EVENT_TYPES and EVENT_TYPES[type] is not cls:
            raise ValueError(f"event type {type!r} is declared twice")
        cls.event_type = type
        cls.stream = stream
        cls.key_field = key
        # the aggregate the key belongs to: "case_id" -> "case" (ce_subject "case/<id>")
        cls.aggregate_type = aggregate or key.removesuffix("_id")
        EVENT_TYPES[type] = cls

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "event_type" in cls.__dict__ and cls.key_field not in cls.model_fields:
            raise ValueError(f"{cls.__name__}: key field {cls.key_field!r} is not a field")

    @property
    def aggregate_id(self) -> str:
        """The Kafka key: the id of the aggregate this fact is about."""
        return str(getattr(self, self.key_field))

    def payload(self) -> dict[str, Any]:
        """The JSON ``data`` of the CloudEvent."""
        return self.model_dump(mode="json")


EVENT_TYPES: dict[str, type[Event]] = {}


def event_class(type_: str) -> type[Event] | None:
    """The registered model for a wire type, or None when this process does not know it."""
    return EVENT_TYPES.get(type_)
