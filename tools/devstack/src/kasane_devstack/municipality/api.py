"""The four public APIs as the demo calls them: a token per agency (minted in-process from
the stack's development key), one HTTP client per service, waiting for what events bring,
and a tally of what was created and what was found already there.

Errors name the method, the route and the problem's title and slug; request bodies are
never printed (they hold generated personal data, and the rule is the rule).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from kasane_shared.auth.cli import PRIVATE, mint

T = TypeVar("T")
Item = TypeVar("Item")

SERVICES = ("intake", "coordination", "participation", "community")

# every scope the services' docs name that the demo uses (docs/<service>.md, "Scopes")
SCOPES = [
    # intake
    "consultations:write", "consultations:read", "persons:read", "persons:write", "consents:write",
    "referrals:write",
    # coordination
    "cases:read", "cases:write", "plans:write", "meetings:read", "meetings:write", "outreach:read",
    "outreach:write",
    # participation
    "opportunities:read", "opportunities:write", "requests:read", "requests:write", "matches:write",
    "placements:read", "placements:write", "gap-needs:read",
    # community
    "directory:read", "places:write", "organisations:write", "coordinators:write", "developments:read",
    "developments:write", "stats:read",
]
READ_SCOPES = [s for s in SCOPES if s.endswith(":read")]


class DemoError(RuntimeError):
    """A call the demo could not make (what it was, never the data it carried)."""


@dataclass
class Tally:
    """What the run created (``new``) and what it found already there (``found``)."""

    new: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)
    facts: Counter[str] = field(default_factory=Counter)  # counts observed (screening advice, stages ...)

    def add(self, what: str, created: bool, n: int = 1) -> None:
        (self.new if created else self.found)[what] += n

    def line(self, *names: str) -> str:
        parts = [f"{self.new[n] + self.found[n]} {n.replace('_', ' ')}" for n in names]
        found = sum(self.found[n] for n in names)
        return ", ".join(parts) + (f" ({found} already there)" if found else "")


class Api:
    """Clients for the four services, with a token per agency of the profile."""

    def __init__(self, urls: dict[str, str], keys_dir: Path, agencies: Iterable[str], *,
                 concurrency: int = 6, wait_seconds: float = 180.0) -> None:
        pem = (keys_dir / PRIVATE).read_bytes()
        self.tokens = {a: mint(pem, agency=a, scopes=SCOPES, subject=f"{a}/demo", ttl_seconds=6 * 3600)
                       for a in agencies}
        self.urls = urls
        self.clients = {s: httpx.AsyncClient(base_url=urls[s], timeout=60.0) for s in SERVICES}
        self.slots = asyncio.Semaphore(concurrency)
        self.concurrency = concurrency
        self.wait_seconds = wait_seconds
        self.tally = Tally()

    async def aclose(self) -> None:
        for client in self.clients.values():
            await client.aclose()

    async def call(self, service: str, method: str, path: str, *, agency: str, json: Any = None,
                   params: dict[str, Any] | None = None, key: str | None = None,
                   ok: Iterable[int] = (200, 201, 204), allow: Iterable[int] = ()) -> httpx.Response:
        """One request as ``agency``; a status outside ``ok`` and ``allow`` raises :class:`DemoError`.
        Only refused connections and 503 are retried: a request that may have been applied is not
        sent twice unless it carries an ``Idempotency-Key``."""
        headers = {"Authorization": f"Bearer {self.tokens[agency]}", "Kasane-Purpose": "demo_load"}
        if key is not None:
            headers["Idempotency-Key"] = key
        retryable = (httpx.ConnectError, httpx.RemoteProtocolError) if key else (httpx.ConnectError,)
        for attempt in range(6):
            try:
                async with self.slots:
                    r = await self.clients[service].request(method, path, json=json, params=params,
                                                            headers=headers)
            except retryable as exc:
                if attempt == 5:
                    raise DemoError(f"{service} {method} {_route(path)}: {type(exc).__name__}") from None
                await asyncio.sleep(0.5 * 2 ** attempt)
                continue
            if r.status_code == 503 and attempt < 5:
                await asyncio.sleep(0.5 * 2 ** attempt)
                continue
            if r.status_code in set(ok) | set(allow):
                return r
            raise DemoError(f"{service} {method} {_route(path)} as {agency}: {r.status_code} {_problem(r)}")
        raise AssertionError("unreachable")

    async def get(self, service: str, path: str, *, agency: str, params: dict[str, Any] | None = None,
                  allow: Iterable[int] = ()) -> Any:
        r = await self.call(service, "GET", path, agency=agency, params=params, allow=allow)
        return r.json() if r.status_code == 200 else None

    async def post(self, service: str, path: str, body: Any = None, *, agency: str, key: str | None = None,
                   allow: Iterable[int] = ()) -> httpx.Response:
        return await self.call(service, "POST", path, agency=agency, json=body if body is not None else {},
                               key=key, allow=allow)

    async def pages(self, service: str, path: str, *, agency: str, params: dict[str, Any] | None = None,
                    limit: int = 200) -> list[dict[str, Any]]:
        """Every item of a cursor-paged list."""
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            query = {**(params or {}), "limit": limit, **({"cursor": cursor} if cursor else {})}
            page = await self.get(service, path, agency=agency, params=query)
            items += page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return items

    async def until(self, probe: Callable[[], Awaitable[T | None]], what: str,
                    timeout: float | None = None) -> T:
        """Poll ``probe`` until it returns something; events take their time to travel."""
        deadline = time.monotonic() + (timeout or self.wait_seconds)
        delay = 0.3
        while True:
            value = await probe()
            if value is not None and value is not False:
                return value
            if time.monotonic() > deadline:
                raise DemoError(f"waited {timeout or self.wait_seconds:.0f} s for {what}; is every worker running?")
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 2.0)

    async def each(self, items: Iterable[Item], work: Callable[[Item], Awaitable[T]]) -> list[T]:
        """``work`` on every item, a few at a time (the semaphore bounds the requests in flight)."""
        tasks = [asyncio.ensure_future(work(item)) for item in items]
        try:
            return list(await asyncio.gather(*tasks))
        except BaseException:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise


def created(r: httpx.Response) -> bool:
    """A 201 that is not a replay of an earlier request."""
    return r.status_code == 201 and r.headers.get("Idempotent-Replayed") != "true"


def slug(r: httpx.Response) -> str | None:
    """The problem's slug (``illegal-transition``, ``already-on-team`` ...), if the answer is a problem."""
    try:
        body = r.json()
    except ValueError:
        return None
    return body.get("type", "").rsplit("/", 1)[-1] if isinstance(body, dict) else None


def _route(path: str) -> str:
    """The path with ids replaced, so messages name the route."""
    parts = []
    for p in path.split("/"):
        parts.append("{id}" if len(p) == 36 and p.count("-") == 4 else p)
    return "/".join(parts)


def _problem(r: httpx.Response) -> str:
    try:
        body = r.json()
    except ValueError:
        return r.text[:200]
    if not isinstance(body, dict):
        return ""
    fields = ", ".join(e.get("field", "") for e in body.get("errors") or [] if isinstance(e, dict))
    slug = body.get("type", "").rsplit("/", 1)[-1]
    return " ".join(x for x in (body.get("title"), slug and f"[{slug}]", body.get("detail"),
                                fields and f"fields: {fields}") if x)
