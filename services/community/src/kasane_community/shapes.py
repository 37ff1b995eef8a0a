"""API shapes shared by the directory's records: addresses, contact points, weekly slots,
and checks against the municipality profile (areas)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from kasane_shared.contracts.participation import Slot
from kasane_shared.http.pagination import cursor_time, decode_cursor, encode_cursor, invalid_cursor
from kasane_shared.http.problems import InvalidInput, Problem, field_error
from kasane_shared.profile import MunicipalityProfile
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

AreaCodeIn = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]  # ISO 639-1/2: ja, pt, vi, tl
AgeFor = Annotated[str, StringConstraints(pattern=r"^(all|\d{1,3}-\d{1,3}|100\+)$")]  # an age band or "all"
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
LongText = Annotated[str, StringConstraints(max_length=4000)]


class ForField(StrEnum):
    """Who a place is for, by field (the four systems and the groups 地域づくり names)."""

    everyone = "everyone"
    elderly = "elderly"
    disability = "disability"
    children = "children"  # 子ども・子育て
    poverty = "poverty"
    youth = "youth"  # 若者 (ひきこもり, school leavers)
    foreign_residents = "foreign_residents"
    carers = "carers"


class OpenStatus(StrEnum):
    """A place's or activity's status while it lives; closing is its own request."""

    open = "open"
    paused = "paused"


class Address(BaseModel):
    """Where a place is (所在地): kept in community and the HSDS export, never in events."""

    model_config = ConfigDict(extra="forbid")
    postal_code: str = Field(pattern=r"^\d{3}-?\d{4}$", examples=["999-0012"])
    prefecture: str | None = Field(default=None, max_length=20, description="defaults to the profile's")
    city: str = Field(min_length=1, max_length=60)
    line1: str = Field(min_length=1, max_length=200, description="町名・番地")
    line2: str | None = Field(default=None, max_length=200, description="建物名・部屋")


class ContactPoint(BaseModel):
    """How the public reaches a place or organisation (連絡先)."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=100, description="a desk or a person")
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9][0-9\- ]{5,20}$")
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=200)
    url: str | None = Field(default=None, pattern=r"^https?://\S+$", max_length=500)


class WeeklySlot(BaseModel):
    """Open on a weekday (0=Mon..6=Sun) from ``start_hour`` to ``end_hour`` (local time)."""

    model_config = ConfigDict(extra="forbid")
    weekday: int = Field(ge=0, le=6)
    start_hour: int = Field(ge=0, le=23)
    end_hour: int = Field(ge=1, le=24)

    @model_validator(mode="after")
    def _ordered(self) -> WeeklySlot:
        if self.end_hour <= self.start_hour:
            raise ValueError("end_hour must be after start_hour")
        return self

    def slot(self) -> Slot:
        return Slot(weekday=self.weekday, start_hour=self.start_hour, end_hour=self.end_hour)


def check_area(profile: MunicipalityProfile, code: str | None, field: str, *, location: str = "body") -> None:
    """422 naming ``field`` when ``code`` is not an area of the profile."""
    if code is not None and profile.area(code) is None:
        detail = f"{code} is not an area of the municipality profile"
        if location == "body":
            raise InvalidInput(field, detail)
        raise Problem(f"{field}: {detail}", status=422, title="Unprocessable Content", slug="validation",
                      errors=[field_error(field, detail, location=location)])


def area_scope(profile: MunicipalityProfile, code: str | None, field: str = "area_code") -> list[str] | None:
    """The area and every area below it, for filters that include sub-areas."""
    if code is None:
        return None
    check_area(profile, code, field, location="query")
    return sorted(profile.descendants(code))



def cursor_after(cursor: str | None) -> tuple[datetime, UUID] | None:
    """The (time, id) sort key inside a cursor this API returned; 400 for anything else."""
    if cursor is None:
        return None
    at, ident = decode_cursor(cursor, 2)
    try:
        return cursor_time(at), UUID(ident)
    except (ValueError, OverflowError):  # OverflowError: a time outside the calendar in UTC
        raise invalid_cursor() from None


def next_cursor(items: list[Any], limit: int, *, at: str) -> str | None:
    """A cursor after the last item when the page is full."""
    if len(items) < limit:
        return None
    last = items[-1]
    return encode_cursor(getattr(last, at).isoformat(), last.id)
