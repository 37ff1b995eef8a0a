"""RFC 9457 problem details for every error a Kasane API returns.

Validation errors name each field twice: ``field`` (dotted, for people) and ``pointer``
(a JSON Pointer into the request body, as RFC 9457's example does). Inputs are never
echoed back: a rejected value may be personal data.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kasane_shared.logs import describe_error

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://kasane.example/problems/"


class Problem(Exception):
    """An error that becomes a problem+json response."""

    status: int = 400
    title: str = "Bad Request"
    slug: str | None = None

    def __init__(
        self,
        detail: str | None = None,
        *,
        status: int | None = None,
        title: str | None = None,
        slug: str | None = None,
        errors: Sequence[Mapping[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title or self.title)
        self.status = status or self.status
        self.title = title or self.title
        self.slug = slug or self.slug
        self.detail = detail
        self.errors = list(errors) if errors else None
        self.headers = dict(headers) if headers else None
        self.extensions = extensions


class NotFound(Problem):
    status, title, slug = 404, "Not Found", "not-found"


class Forbidden(Problem):
    status, title, slug = 403, "Forbidden", "forbidden"


class Conflict(Problem):
    status, title, slug = 409, "Conflict", "conflict"


class InvalidInput(Problem):
    """422 naming one field; use :func:`field_error` for the entry."""

    status, title, slug = 422, "Unprocessable Content", "validation"

    def __init__(self, field: str, detail: str, **kwargs: Any) -> None:
        super().__init__(
            f"{field}: {detail}", errors=[field_error(field, detail)], **kwargs
        )


def field_error(field: str, detail: str, *, location: str = "body") -> dict[str, str]:
    """One entry of a problem's ``errors`` list."""
    entry = {"field": field, "detail": detail, "in": location}
    if location == "body":
        entry["pointer"] = "#/" + field.replace(".", "/") if field else "#"
    return entry


def problem_response(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    slug: str | None = None,
    instance: str | None = None,
    errors: Sequence[Mapping[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """A problem+json response."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + slug if slug else "about:blank",
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = list(errors)
    if extensions:
        body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


_TITLES = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 409: "Conflict", 413: "Content Too Large",
    415: "Unsupported Media Type", 422: "Unprocessable Content", 429: "Too Many Requests",
}


def _validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    errors = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        location = loc[0] if loc and loc[0] in ("body", "query", "path", "header") else "body"
        path = loc[1:] if loc and loc[0] == location else loc
        # pydantic adds the union member or validator name to the location; keep fields only
        path = [p for p in path if not p.startswith("function-") and "[" not in p]
        message = str(err.get("msg", "invalid"))
        if err.get("type") == "json_invalid":
            message = "the body is not valid JSON"
        errors.append(field_error(".".join(path), message, location=location))
    return errors


RETRY_AFTER_SECONDS = 5
_NETWORK_ERRNOS = {errno.ECONNREFUSED, errno.ECONNRESET, errno.EHOSTUNREACH, errno.ENETUNREACH,
                   errno.ETIMEDOUT, errno.EPIPE}
UNAVAILABLE_KINDS: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError, asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.TooManyConnectionsError, asyncpg.InterfaceError, OSError,
)


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means PostgreSQL is down, restarting or refusing connections (as
    opposed to a bug): lost or refused connections, administrator shutdowns, a full server,
    a pool that could not connect in time."""
    if isinstance(exc, (asyncpg.PostgresConnectionError, asyncpg.exceptions.OperatorInterventionError,
                        asyncpg.exceptions.TooManyConnectionsError, ConnectionError, TimeoutError)):
        return True
    if isinstance(exc, asyncpg.InterfaceError):
        return "connection" in str(exc).lower() and "closed" in str(exc).lower()
    return isinstance(exc, OSError) and exc.errno in _NETWORK_ERRNOS


def install_problem_handlers(app: FastAPI) -> None:
    """Turn every error into problem+json; a 500 says nothing about its cause."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            exc.status, exc.title, exc.detail, slug=exc.slug, instance=request.url.path,
            errors=exc.errors, headers=exc.headers, extensions=exc.extensions,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        fields = ", ".join(e["field"] or "(body)" for e in errors)
        return problem_response(
            422, "Unprocessable Content", f"invalid fields: {fields}", slug="validation",
            instance=request.url.path, errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(
            exc.status_code, _TITLES.get(exc.status_code, "Error"), detail,
            instance=request.url.path, headers=getattr(exc, "headers", None),
        )

    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        if not database_unavailable(exc):
            raise exc  # a bug after all: the 500 below
        # PostgreSQL restarting or unreachable: nothing was written (the transaction did not
        # commit), so the client may retry the same request
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, describe_error(exc))
        return problem_response(503, "Service Unavailable", "the database is not reachable; retry shortly",
                                slug="unavailable", instance=request.url.path,
                                headers={"Retry-After": str(RETRY_AFTER_SECONDS)})

    # handlers for these classes answer without the traceback a crash gets
    for kind in UNAVAILABLE_KINDS:
        app.add_exception_handler(kind, _unavailable)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error on %s %s: %s", request.method, request.url.path,
                  describe_error(exc))
        return problem_response(500, "Internal Server Error", instance=request.url.path)
