"""Dates are checked against Japan's calendar day, not the server's (servers run in UTC)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import kasane_intake.calendar as calendar
import pytest
from kasane_intake.calendar import JST, japan_today
from kasane_intake.consents.models import ConsentCreate
from pydantic import ValidationError


class _Clock(datetime):
    """01:00 in Japan on a day the server (in UTC) still calls yesterday."""

    fixed = datetime.now(UTC).astimezone(JST).replace(hour=1, minute=0) + timedelta(days=2)

    @classmethod
    def now(cls, tz=None):
        return cls.fixed.astimezone(tz) if tz else cls.fixed


def test_japan_today_is_japans_date_early_in_the_morning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(calendar, "datetime", _Clock)
    assert _Clock.fixed.astimezone(UTC).date() == _Clock.fixed.date() - timedelta(days=1)
    assert japan_today() == _Clock.fixed.date()


def test_a_consent_granted_today_in_japan_is_not_from_the_future(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(calendar, "datetime", _Clock)
    today_in_japan: date = _Clock.fixed.date()
    body = {"person_id": "7d3c6a8e-0000-4000-8000-000000000001", "scope": "collaboration",
            "method": "written", "granted_on": today_in_japan.isoformat()}
    assert ConsentCreate.model_validate(body).granted_on == today_in_japan
    with pytest.raises(ValidationError, match="future"):
        ConsentCreate.model_validate({**body, "granted_on": (today_in_japan + timedelta(days=1)).isoformat()})
