"""A tiny service built on the common library exactly as the real ones are, so the
platform's guarantees are tested through the same runtime: HTTP writes with an outbox
event, an inbox consumer applying events, audit on reads, idempotent POSTs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, ClassVar

import asyncpg
from fastapi import APIRouter, Depends
from kasane_shared import audit
from kasane_shared.auth.deps import require
from kasane_shared.auth.tokens import Principal
from kasane_shared.db import Conn
from kasane_shared.events import outbox
from kasane_shared.events.base import Event, Stream
from kasane_shared.events.consumer import EventContext, Rejected
from kasane_shared.http.idempotency import Idempotency
from kasane_shared.http.problems import NotFound
from kasane_shared.service import ServiceSpec
from kasane_shared.settings import ServiceSettings
from pydantic import BaseModel, Field
from pydantic_settings import SettingsConfigDict

TEST_STREAM = Stream("kasane.test.v1", source="/kasane/test", partitions=3)


class ThingRecorded(Event, type="kasane.test.thing.recorded.v1", stream=TEST_STREAM, key="thing_id"):
    thing_id: uuid.UUID
    n: int
    poison: bool = False


class ThingsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="THINGS_", extra="ignore")
    service: ClassVar[str] = "things"


class ThingCreate(BaseModel):
    label: str = Field(min_length=1, max_length=40)
    count: int = Field(default=1, ge=1, le=1000)


class ThingRead(BaseModel):
    id: uuid.UUID
    label: str
    version: int


router = APIRouter()
Writer = Annotated[Principal, Depends(require("things:write"))]
Reader = Annotated[Principal, Depends(require("things:read"))]


async def _visible(conn: asyncpg.Connection, thing_id: uuid.UUID) -> asyncpg.Record:
    row = await conn.fetchrow("SELECT id, label, version FROM things WHERE id = $1 AND NOT hidden", thing_id)
    if row is None:
        raise NotFound("no such thing")
    return row


@router.post("/v1/things", status_code=201, response_model=ThingRead)
async def create_thing(body: ThingCreate, conn: Conn, principal: Writer, idem: Idempotency):
    async def recheck(stored: dict) -> None:
        await _visible(conn, uuid.UUID(stored["id"]))
        await audit.record(conn, principal, "read", "thing", stored["id"], purpose="replay")

    if (replay := await idem.replay(conn, body, recheck=recheck)) is not None:
        return replay
    thing_id = uuid.uuid4()
    await conn.execute("INSERT INTO things (id, label) VALUES ($1, $2)", thing_id, body.label)
    for n in range(body.count):
        await outbox.enqueue(conn, ThingRecorded(thing_id=thing_id, n=n))
    await audit.record(conn, principal, "create", "thing", thing_id)
    return await idem.respond(conn, 201, ThingRead(id=thing_id, label=body.label, version=1))


@router.get("/v1/things/{thing_id}", response_model=ThingRead)
async def read_thing(thing_id: uuid.UUID, conn: Conn, principal: Reader) -> ThingRead:
    row = await _visible(conn, thing_id)
    await audit.record(conn, principal, "read", "thing", thing_id, purpose="test")
    return ThingRead(**dict(row))


async def apply_thing(conn: asyncpg.Connection, event: ThingRecorded, ctx: EventContext) -> None:
    if event.poison:
        raise Rejected(f"thing {event.thing_id} is poison")
    await conn.execute(
        "INSERT INTO applied (event_id, thing_id, n) VALUES ($1, $2, $3)", ctx.id, event.thing_id, event.n
    )


def routers() -> Sequence[APIRouter]:
    from kasane_shared.access import break_glass_router

    return [router, break_glass_router({"thing"})]


SPEC = ServiceSpec(
    name="things",
    title="Things (platform test service)",
    description="Drives the common library in tests.",
    version="0",
    settings_class=ThingsSettings,
    routers=routers,
    migrations=Path(__file__).parent / "things_migrations",  # type: ignore[arg-type]
    stream=TEST_STREAM,
    consumes=(TEST_STREAM,),
    handlers=lambda _ctx: {ThingRecorded.event_type: apply_thing},
)
