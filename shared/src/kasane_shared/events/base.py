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
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

_TYPE_PATTERN = re.compile(r"^kasane(\.[a-z][a-z0-9_]*)+\.v[1-9][0-9]*$")


@dataclass(frozen=True)
class Stream:
    """A Kafka topic one service writes, keyed by aggregate id."""

    name: str
    source: str
    partitions: int = 6
    retention_days: int = 30
    description: str = ""


class Event(BaseModel):
    """Base of every integration event; subclasses declare ``type``, ``stream`` and ``key``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

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
