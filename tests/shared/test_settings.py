"""Per-service settings: prefixed variables win over deployment-wide ones."""

from __future__ import annotations

import pytest
from kasane_intake.settings import IntakeSettings


def test_deployment_wide_values_fill_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://admin:pw@db:5432/postgres")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "k1:9092,k2:9092")
    monkeypatch.setenv("KASANE_PROFILE", "/etc/kasane/profile.yaml")
    monkeypatch.setenv("KASANE_JWT_PUBLIC_KEY_FILES", "/a.pem, /b.pem")
    monkeypatch.delenv("INTAKE_DATABASE_URL", raising=False)
    monkeypatch.delenv("INTAKE_HTTP_PORT", raising=False)  # `kasane-stack env` exports the stack's, maybe moved
    s = IntakeSettings()
    assert s.database_url == "postgresql://admin:pw@db:5432/kasane_intake"
    assert s.kafka_bootstrap_servers == "k1:9092,k2:9092"
    assert [str(p) for p in s.jwt_public_key_files] == ["/a.pem", "/b.pem"]
    assert s.http_port == 8001
    assert s.group_id == "kasane-intake"
    assert s.dead_letter_topic == "kasane-intake.dlt"


def test_the_service_prefix_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://admin:pw@db:5432/postgres")
    monkeypatch.setenv("INTAKE_DATABASE_URL", "postgresql://intake:pw@db:5432/intake")
    monkeypatch.setenv("KASANE_PROFILE", "/etc/kasane/profile.yaml")
    monkeypatch.setenv("INTAKE_TOPIC_PREFIX", "t1.")
    s = IntakeSettings()
    assert s.database_url == "postgresql://intake:pw@db:5432/intake"
    assert s.topic("kasane.intake.v1") == "t1.kasane.intake.v1"
    assert s.dead_letter_topic == "t1.kasane-intake.dlt"
