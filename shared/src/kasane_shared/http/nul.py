"""422 for a NUL character anywhere in a request: PostgreSQL stores no ``\\u0000`` in text
or jsonb, so it would otherwise fail deep in a write (a 500, after a half-done request).

One check for every route, before any handler runs: the JSON body's strings and keys and
the query's values. The problem names the field (dotted, with a JSON Pointer) and never
echoes the value.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kasane_shared.http.problems import field_error, problem_response

NUL = "\x00"
DETAIL = "must not contain the NUL character (U+0000)"


def nul_paths(document: Any) -> Iterator[tuple[str, ...]]:
    """Where in a parsed JSON document a string (or a key) holds a NUL character, in
    document order. Iterative: a deeply nested body must not exhaust the stack here."""
    stack: list[tuple[tuple[str, ...], Any]] = [((), document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if NUL in value:
                yield path
        elif isinstance(value, dict):
            items = []
            for key, item in value.items():
                name = key.replace(NUL, "?")
                if NUL in key:
                    yield (*path, name)
                items.append(((*path, name), item))
            stack.extend(reversed(items))
        elif isinstance(value, list):
            stack.extend(reversed([((*path, str(i)), item) for i, item in enumerate(value)]))


def query_nul_fields(query_string: bytes) -> list[str]:
    """The query parameters whose name or value holds a NUL character."""
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return sorted({name.replace(NUL, "?") for name, value in pairs if NUL in name or NUL in value})


class RejectNul:
    """ASGI middleware: the check above, the body read once (BodyLimit bounds it) and
    handed on unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        errors = [field_error(f, DETAIL, location="query") for f in query_nul_fields(scope.get("query_string", b""))]
        headers = dict(scope.get("headers") or [])
        body_messages: list[Message] = []
        if b"json" in headers.get(b"content-type", b"") and scope.get("method") in ("POST", "PUT", "PATCH"):
            chunks = []
            while True:
                message = await receive()
                body_messages.append(message)
                if message["type"] != "http.request":
                    break
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            try:
                document = json.loads(b"".join(chunks))
            except (ValueError, RecursionError):
                document = None  # not JSON: the route's own validation says so
            errors += [field_error(".".join(p), DETAIL) for p in dict.fromkeys(nul_paths(document))]
        if errors:
            fields = ", ".join(e["field"] or "(body)" for e in errors)
            response = problem_response(422, "Unprocessable Content", f"invalid fields: {fields}",
                                        slug="validation", instance=scope.get("path"), errors=errors)
            await response(scope, receive, send)
            return

        async def replay() -> Message:
            if body_messages:
                return body_messages.pop(0)
            return await receive()

        await self.app(scope, replay if body_messages else receive, send)
