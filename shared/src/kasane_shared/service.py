"""One service = one :class:`ServiceSpec`; this module turns it into processes.

Every service reads the same way: ``<service> api`` serves its HTTP API, ``<service>
worker`` runs its outbox relay, its inbox consumer and its periodic jobs (with probes and
metrics on the worker port), ``<service> migrate`` applies its migrations, and
``<service> dlt list|replay`` handles its dead letters. API and worker come from the same
image; Kubernetes scales them apart.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import logging
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from typing import Any, Protocol, cast

import asyncpg
import uvicorn
from fastapi import APIRouter, FastAPI, Response
from pydantic import BaseModel

from kasane_shared import calendar
from kasane_shared.auth.scopes import Scope
from kasane_shared.auth.tokens import TokenVerifier
from kasane_shared.db.migrate import Migration, load, migrate, shared_migrations
from kasane_shared.db.pool import connect, create_pool
from kasane_shared.events import outbox
from kasane_shared.events.base import Event, Stream
from kasane_shared.events.consumer import EventContext, Handler, InboxConsumer
from kasane_shared.events.deadletters import read_dead_letters, replay
from kasane_shared.events.relay import OutboxRelay
from kasane_shared.http.app import KafkaProbe, add_probes, create_app, database_ready
from kasane_shared.http.me import router as me
from kasane_shared.logs import configure_logging, describe_error
from kasane_shared.policy import PolicyDoc
from kasane_shared.profile import MunicipalityProfile, load_profile
from kasane_shared.settings import ServiceSettings
from kasane_shared.supervision import Supervisor
from kasane_shared.telemetry import instrument_app, setup_telemetry, start_metrics_server

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerContext:
    """What handlers and periodic jobs get besides their connection."""

    settings: ServiceSettings
    profile: MunicipalityProfile
    rules: Any = None  # the service's rules, built once at start (ServiceSpec.build_rules)


class BoundHandler(Protocol):
    """An event handler: a plain async function of the connection, the event, where it came
    from, and the worker's context (profile, rules, settings)."""

    def __call__(self, conn: asyncpg.Connection, event: Any, ctx: EventContext,
                 worker: WorkerContext, /) -> Awaitable[None]: ...


HandlerTable = Mapping[type[Event], BoundHandler]
# the older form, a factory of handlers by wire type; being replaced by HandlerTable
HandlerFactory = Callable[[WorkerContext], Mapping[str, Handler]]


def bind(table: HandlerTable | HandlerFactory, worker: WorkerContext) -> dict[str, Handler]:
    """The consumer's handlers by wire type, each given the worker's context."""
    if callable(table):
        return dict(table(worker))

    def bound(handler: BoundHandler) -> Handler:
        async def handle(conn: asyncpg.Connection, event: Any, ctx: EventContext) -> None:
            await handler(conn, event, ctx, worker)

        return handle

    return {event_type.event_type: bound(handler) for event_type, handler in table.items()}


@dataclass(frozen=True)
class PeriodicJob:
    """Work the worker repeats (e.g. finding overdue reviews); one replica runs each tick."""

    name: str
    every_seconds: float
    run: Callable[[asyncpg.Connection, WorkerContext], Awaitable[None]]


@dataclass(frozen=True)
class ServiceSpec:
    """Everything the runtime needs to know about a service."""

    name: str
    title: str
    description: str
    version: str
    settings_class: type[ServiceSettings]
    routers: Callable[[], Sequence[APIRouter]]
    migrations: Traversable
    stream: Stream | None = None
    consumes: Sequence[Stream] = ()
    # every event the service acts on and its handler, in one table (Cosmic Python's registry)
    handlers: HandlerTable | HandlerFactory = field(default_factory=dict)
    strict_topics: Sequence[Stream] = ()  # inbound topics: unknown types are dead-lettered
    jobs: Sequence[PeriodicJob] = ()
    openapi_tags: list[dict[str, str]] = field(default_factory=list)
    # profile rules sections this service reads, validated when a process starts (a broken
    # threshold stops the start instead of failing the first request that needs it)
    rules: Mapping[str, type[BaseModel]] = field(default_factory=dict)
    # the service's rules object, built once from the profile at start (app.state.rules,
    # WorkerContext.rules; routes take it through kasane_shared.http.deps.current_rules)
    build_rules: Callable[[MunicipalityProfile], Any] | None = None
    scopes: Sequence[Scope] = ()  # the scopes its routes require (declared in its scopes module)
    policy: PolicyDoc | None = None  # its access policy, as docs/access.md shows it

    def all_migrations(self) -> list[Migration]:
        return shared_migrations() + load(f"kasane_{self.name}", self.migrations)

    def load_profile(self, settings: ServiceSettings) -> MunicipalityProfile:
        """The municipality profile, with this service's rules sections validated; the
        process's calendar takes the municipality's zone."""
        profile = load_profile(settings.profile_path)
        for section, model in self.rules.items():
            profile.rules_section(section, model)
        calendar.configure(profile.municipality.zone)
        return profile

    def rules_of(self, profile: MunicipalityProfile) -> Any:
        """The service's rules for ``profile`` (None when it has none)."""
        return self.build_rules(profile) if self.build_rules is not None else None

    def context(self, settings: ServiceSettings, profile: MunicipalityProfile) -> WorkerContext:
        return WorkerContext(settings=settings, profile=profile, rules=self.rules_of(profile))


def build_api(spec: ServiceSpec, settings: ServiceSettings) -> FastAPI:
    """The service's HTTP API app."""
    setup_telemetry(settings, role="api")

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.profile = spec.load_profile(settings)
        app.state.rules = spec.rules_of(app.state.profile)
        app.state.verifier = TokenVerifier(
            public_key_files=settings.jwt_public_key_files,
            jwks_url=settings.jwt_jwks_url,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
        app.state.pool = await create_pool(
            settings.database_url,
            min_size=settings.database_pool_min,
            max_size=settings.database_pool_max,
        )
        start_metrics_server(settings.metrics_port, settings.http_host)
        try:
            yield
        finally:
            await app.state.pool.close()

    app = create_app(
        settings=settings, title=spec.title, description=spec.description,
        version=spec.version, lifespan=lifespan, openapi_tags=spec.openapi_tags or None,
    )
    app.include_router(me)
    for router in spec.routers():
        app.include_router(router)
    # Kafka is reported but does not fail the API's readiness: writes go to the outbox and
    # succeed while the broker is down, so an outage must not take the API out of service.
    add_probes(
        app,
        required={"postgres": lambda: database_ready(app.state.pool)},
        informational={"kafka": KafkaProbe(settings)},
    )
    instrument_app(app)
    return app


@dataclass
class WorkerState:
    relay: OutboxRelay | None
    consumer: InboxConsumer | None
    supervisor: Supervisor

    @property
    def tasks(self) -> list[asyncio.Task[None]]:
        """The current run of each loop (a test may kill one from inside)."""
        return [loop.task for loop in self.supervisor.loops.values() if loop.task is not None]


async def _run_job(job: PeriodicJob, pool: asyncpg.Pool, ctx: WorkerContext, stop: asyncio.Event) -> None:
    lock_key = zlib.crc32(f"kasane.job.{job.name}".encode())
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), job.every_seconds)
        if stop.is_set():
            return
        try:
            async with pool.acquire() as conn, conn.transaction():
                # One replica runs a tick; the others skip it.
                if await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", lock_key):
                    await job.run(cast(asyncpg.Connection, conn), ctx)
        except Exception as exc:
            log.error("job %s failed: %s", job.name, describe_error(exc))


def build_worker(spec: ServiceSpec, settings: ServiceSettings) -> FastAPI:
    """The worker: relay, consumer and jobs, with /healthz, /readyz and /metrics."""
    setup_telemetry(settings, role="worker")

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        profile = spec.load_profile(settings)
        pool = await create_pool(
            settings.database_url, min_size=settings.database_pool_min,
            max_size=settings.database_pool_max,
        )
        app.state.pool = pool
        stop = asyncio.Event()
        ctx = spec.context(settings, profile)
        relay = OutboxRelay(settings, source=spec.stream.source) if spec.stream else None
        consumer = (
            InboxConsumer(
                settings, pool, topics=[s.name for s in spec.consumes],
                handlers=bind(spec.handlers, ctx), strict_topics=[s.name for s in spec.strict_topics],
            )
            if spec.consumes
            else None
        )
        supervisor = Supervisor(settings.service, stop, backoff=settings.worker_restart_backoff_seconds)
        if relay:
            supervisor.start("relay", relay.run)
        if consumer:
            supervisor.start("consumer", consumer.run)
        for job in spec.jobs:
            supervisor.start(job.name, functools.partial(_run_job, job, pool, ctx))
        app.state.worker = WorkerState(relay, consumer, supervisor)
        try:
            yield
        finally:
            # Graceful: the consumer finishes the record in hand, the relay its batch.
            stop.set()
            await asyncio.wait(supervisor.watchers, timeout=30)
            await pool.close()

    async def loops_up() -> bool:
        worker: WorkerState | None = getattr(app.state, "worker", None)
        return worker is not None and not worker.supervisor.down()

    async def consumer_polling() -> bool:
        worker: WorkerState | None = getattr(app.state, "worker", None)
        return worker is not None and (worker.consumer is None or worker.consumer.ready())

    def failing() -> list[str]:
        worker: WorkerState | None = getattr(app.state, "worker", None)
        return worker.supervisor.failed() if worker is not None else []

    app = FastAPI(title=f"{spec.title} worker", lifespan=lifespan, docs_url=None, redoc_url=None)
    add_probes(
        app,
        required={
            "postgres": lambda: database_ready(app.state.pool),
            "kafka": KafkaProbe(settings),
            "loops": loops_up,
            "consumer": consumer_polling,
        },
        failing=failing,
    )

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        # A route, not a mounted app: a mount answers /metrics with a redirect to /metrics/.
        from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return app


async def run_migrations(spec: ServiceSpec, settings: ServiceSettings) -> list[str]:
    conn = await connect(settings.database_url)
    try:
        return await migrate(conn, spec.all_migrations())
    finally:
        await conn.close()


async def outbox_command(settings: ServiceSettings, unpark: list[int] | None) -> dict[str, Any]:
    """``outbox parked`` (``unpark`` None) or ``outbox unpark --seq N...``, on a connection of
    its own; JSON-ready (no payloads)."""
    conn = await connect(settings.database_url)
    try:
        if unpark is None:
            return {"parked": await outbox.parked(conn)}
        done = [seq for seq in unpark if await outbox.unpark(conn, seq)]
        return {"unparked": done, "not_parked": [seq for seq in unpark if seq not in done]}
    finally:
        await conn.close()


def main(spec: ServiceSpec, argv: list[str] | None = None) -> None:
    """The service's command line: api | worker | migrate | dlt list | dlt replay |
    outbox parked | outbox unpark | openapi."""
    parser = argparse.ArgumentParser(prog=f"kasane-{spec.name}", description=spec.title)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("api", help="serve the HTTP API")
    sub.add_parser("worker", help="run the outbox relay, the consumer and periodic jobs")
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("openapi", help="print the OpenAPI document")
    dlt = sub.add_parser("dlt", help="dead letters of the service's consumer group")
    dlt_sub = dlt.add_subparsers(dest="dlt_command", required=True)
    dlt_sub.add_parser("list", help="list dead letters, oldest first")
    rp = dlt_sub.add_parser("replay", help="send dead letters back to their topics")
    rp.add_argument("--offset", type=int, action="append", help="replay this offset (repeatable)")
    rp.add_argument("--all", action="store_true", help="replay every dead letter")
    ob = sub.add_parser("outbox", help="outbox rows the broker refused, parked by the relay")
    ob_sub = ob.add_subparsers(dest="outbox_command", required=True)
    ob_sub.add_parser("parked", help="list parked rows, oldest first, with the rows held behind each")
    up = ob_sub.add_parser("unpark", help="give parked rows back to the relay (fix the cause first)")
    up.add_argument("--seq", type=int, action="append", required=True, help="unpark this row (repeatable)")
    args = parser.parse_args(argv)

    settings = spec.settings_class()  # values come from the environment
    configure_logging(spec.name, settings.log_level)
    if args.command == "api":
        uvicorn.run(build_api(spec, settings), host=settings.http_host, port=settings.http_port,
                    log_config=None, access_log=False, timeout_graceful_shutdown=20)
    elif args.command == "worker":
        uvicorn.run(build_worker(spec, settings), host=settings.http_host,
                    port=settings.worker_port, log_config=None, access_log=False)
    elif args.command == "migrate":
        applied = asyncio.run(run_migrations(spec, settings))
        print(json.dumps({"service": spec.name, "applied": applied}))
    elif args.command == "openapi":
        print(json.dumps(build_api(spec, settings).openapi(), ensure_ascii=False, indent=2))
    elif args.command == "dlt":
        if args.dlt_command == "list":
            for letter in asyncio.run(read_dead_letters(settings)):
                print(json.dumps(letter.summary(), ensure_ascii=False))
        else:
            if not args.all and not args.offset:
                parser.error("dlt replay needs --offset N or --all")
            done = asyncio.run(replay(settings, None if args.all else args.offset))
            print(json.dumps({"replayed_offsets": done}))
    elif args.command == "outbox":
        seqs = args.seq if args.outbox_command == "unpark" else None
        result = asyncio.run(outbox_command(settings, seqs))
        print(json.dumps(result, ensure_ascii=False, default=str))
        if result.get("not_parked"):
            parser.exit(1)  # a seq that was not parked: say so to scripts
