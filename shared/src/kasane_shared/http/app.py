"""Service defaults every Kasane HTTP app gets in one call (as eShop's ServiceDefaults):
problem+json errors, a request size limit, access logs without query strings, tracing,
``/healthz`` (alive) and ``/readyz`` (dependencies reachable).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kasane_shared.http.nul import RejectNul
from kasane_shared.http.problems import install_problem_handlers, problem_response
from kasane_shared.kafka import connection_options
from kasane_shared.settings import ServiceSettings

log = logging.getLogger("kasane.http")

ReadinessCheck = Callable[[], Awaitable[bool]]


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """413 for a request body over ``max_bytes``, whether or not it declares its length."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(scope, receive, send)
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._reject(scope, receive, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            413, "Content Too Large", f"the body is over {self.max_bytes} bytes",
            slug="too-large", instance=scope.get("path"),
        )
        await response(scope, receive, send)


class AccessLog:
    """One JSON line per request: method, route template, status, duration.

    The route template (``/v1/persons/{person_id}``), never the raw URL: query strings
    and path values can carry personal data.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in ("/healthz", "/readyz"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = scope.get("route")
            log.info(
                "request",
                extra={
                    "method": scope.get("method"),
                    "route": getattr(route, "path", "(unmatched)"),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )


class KafkaProbe:
    """Whether the brokers answer a metadata request; cached for a few seconds."""

    def __init__(self, settings: ServiceSettings, ttl_seconds: float = 5.0) -> None:
        self.settings = settings
        self.ttl = ttl_seconds
        self._checked_at = 0.0
        self._ok = False
        self._lock = asyncio.Lock()

    async def __call__(self) -> bool:
        async with self._lock:
            if time.monotonic() - self._checked_at < self.ttl:
                return self._ok
            admin = AIOKafkaAdminClient(request_timeout_ms=3000, **connection_options(self.settings))
            try:
                await asyncio.wait_for(admin.start(), 4)
                await asyncio.wait_for(admin.list_topics(), 4)
                self._ok = True
            except Exception:
                self._ok = False
            finally:
                with contextlib.suppress(Exception):
                    await admin.close()
            self._checked_at = time.monotonic()
            return self._ok


async def database_ready(pool: asyncpg.Pool) -> bool:
    try:
        async with asyncio.timeout(2):
            async with pool.acquire() as conn:
                return bool(await conn.fetchval("SELECT 1") == 1)
    except Exception:
        return False


def add_probes(
    app: FastAPI,
    required: dict[str, ReadinessCheck],
    informational: dict[str, ReadinessCheck] | None = None,
    failing: Callable[[], list[str]] | None = None,
) -> None:
    """``/healthz`` answers while the process lives (503 naming them while ``failing``
    returns parts that cannot recover: restart the process); ``/readyz`` is 503 unless every
    ``required`` check passes (``informational`` ones are reported, never fail it)."""

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        broken = failing() if failing else []
        if broken:
            return JSONResponse({"status": "failing", "failing": broken}, status_code=503)
        return JSONResponse({"status": "ok"})

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        names = list(required) + list(informational or {})
        checks = [*required.values(), *(informational or {}).values()]
        results = await asyncio.gather(*(check() for check in checks))
        status = dict(zip(names, ("up" if ok else "down" for ok in results), strict=True))
        ready = all(results[: len(required)])
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": status},
            status_code=200 if ready else 503,
        )


def create_app(
    *,
    settings: ServiceSettings,
    title: str,
    description: str,
    version: str,
    lifespan: Callable[[FastAPI], contextlib.AbstractAsyncContextManager[Any]],
    openapi_tags: list[dict[str, str]] | None = None,
) -> FastAPI:
    """A FastAPI app with Kasane's defaults; the caller adds routers and probes."""
    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        openapi_tags=openapi_tags,
        responses={
            401: {"description": "No valid bearer token (problem+json)"},
            403: {"description": "The token lacks a scope, or the agency is unknown (problem+json)"},
            422: {"description": "A field is invalid; `errors` names it (problem+json)"},
        },
    )
    install_problem_handlers(app)
    app.add_middleware(RejectNul)  # inside the size limit: it reads bounded bodies only
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(AccessLog)
    return app

