"""Intake's test helpers: one real intake (database, app, topics) per test module."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from kasane_intake.main import SPEC

from tests.support.clock import years_ago
from tests.support.service_env import ServiceEnv, service_env
from tests.support.stack import TestStack

DESK = ("consultations:read", "consultations:write", "persons:read", "persons:write", "consents:write",
        "referrals:write")


@pytest.fixture(scope="module")
async def svc(stack: TestStack, request: pytest.FixtureRequest) -> AsyncIterator[ServiceEnv]:
    """A fresh intake for the module (its own database and topics)."""
    name = "intake_" + request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    async with service_env(stack, SPEC, name) as env:
        yield env


def auth(stack: TestStack, agency: str, *extra: str, subject: str | None = None) -> dict[str, str]:
    """A desk token of ``agency`` with every intake scope a desk has, plus ``extra``."""
    return stack.auth(agency, *DESK, *extra, subject=subject)


def person(family: str, given: str, family_kana: str, given_kana: str, age: int, **extra: Any) -> dict[str, Any]:
    return {"family_name": family, "given_name": given, "family_name_kana": family_kana,
            "given_name_kana": given_kana, "birth_date": years_ago(age), **extra}


ADDRESS = {"prefecture": "みどり県", "municipality": "桜ヶ丘市", "area_code": "SK-N-01", "street": "北町3丁目12番5号"}


def household_8050() -> dict[str, Any]:
    """The elderly-care centre's journey: a mother of 82 needing care and her son of 52
    withdrawn for years, living together."""
    return {
        "channel": "home_visit", "consulted_by": "family",
        "summary": "母（82）の介護について相談。同居の長男（52）は10年以上ひきこもっている。",
        "members": [
            {"person": person("山田", "ハナ", "ヤマダ", "ハナ", 82, sex="female", address=dict(ADDRESS),
                              phone="090-1111-2222"),
             "relationship": "head", "lives_together": True, "subject": True, "concern_codes": ["elderly_care"]},
            {"person": person("山田", "太郎", "ヤマダ", "タロウ", 52, sex="male", address=dict(ADDRESS)),
             "relationship": "child", "lives_together": True, "concern_codes": ["withdrawal"],
             "withdrawn_years": 10},
        ],
    }
