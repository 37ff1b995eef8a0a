"""What the community tests share: request bodies with the personal values they send
(so a test can check none of them left the service), and reading the service's topic."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiokafka import ConsumerRecord
from kasane_community.main import SPEC
from kasane_shared.events.streams import COMMUNITY

from tests.support.kafka import eventually, header
from tests.support.service_env import ServiceEnv, service_env
from tests.support.stack import TestStack

WRITER = "sk-shakyo"  # 社協: runs the CSWs and the volunteer centre
EVERY_SCOPE = ("directory:read", "places:write", "organisations:write", "coordinators:write", "developments:read",
               "developments:write", "stats:read")


def auth(stack: TestStack, agency: str = WRITER, *scopes: str) -> dict[str, str]:
    return stack.auth(agency, *(scopes or EVERY_SCOPE))


def organisation_body(name: str = "NPO法人 ひだまりの会", **over: Any) -> dict[str, Any]:
    return {"name": name, "kind": "npo", "area_code": "SK-N", "offers": ["space", "volunteers"],
            "contact": {"name": "事務局 佐藤", "phone": "0561-22-3344", "email": "hidamari@example.jp"}, **over}


def place_body(name: str = "ひだまりカフェ", **over: Any) -> dict[str, Any]:
    return {
        "name": name, "kind": "ibasho", "description": "ひきこもりがちな若者も立ち寄れる居場所",
        "area_code": "SK-N-01", "lat": 35.048, "lon": 136.892,
        "address": {"postal_code": "999-0012", "city": "桜ヶ丘市", "line1": "北町一丁目2-3",
                    "line2": "ひだまりビル1階"},
        "schedule": [{"weekday": 1, "start_hour": 10, "end_hour": 15}],
        "for_ages": ["15-19", "20-24", "25-29"], "for_fields": ["youth"], "accessibility": ["quiet_space"],
        "languages": ["ja", "pt"], "capacity": 12,
        "contact": {"name": "担当 山田花子", "phone": "0561-11-2222", "email": "yamada@example.jp"}, **over,
    }


def personal_values(*bodies: dict[str, Any]) -> list[str]:
    """Names, addresses, contact points and free texts in request bodies."""
    found: list[str] = []
    for body in bodies:
        for key in ("name", "display_name", "description", "title"):
            if isinstance(body.get(key), str):
                found.append(body[key])
        for nested in ("address", "contact"):
            found += [v for v in (body.get(nested) or {}).values() if isinstance(v, str) and len(v) > 3]
    return found


def decoded(records: list[ConsumerRecord]) -> list[tuple[str, str, dict[str, Any]]]:
    """(ce_type, key, data) of each record."""
    return [(header(r, "ce_type") or "", (r.key or b"").decode(), json.loads(r.value)) for r in records]


@asynccontextmanager
async def community(stack: TestStack, name: str) -> AsyncIterator[ServiceEnv]:
    async with service_env(stack, SPEC, f"community_{name}") as svc:
        yield svc


async def community_events(svc: ServiceEnv, *, at_least: int = 0) -> list[tuple[str, str, dict[str, Any]]]:
    return decoded(await svc.read(COMMUNITY.name, at_least=at_least))


async def events_until(svc: ServiceEnv, done: Callable[[list[tuple[str, str, dict[str, Any]]]], bool],
                       ) -> list[tuple[str, str, dict[str, Any]]]:
    """The service's events once ``done`` holds for them (the relay runs in the background)."""
    return await eventually(lambda: community_events(svc), done, timeout=30, what="community events")
