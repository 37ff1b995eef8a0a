"""Per-service settings: prefixed variables win over deployment-wide ones."""

from __future__ import annotations

import pytest
from kasane_intake.settings import IntakeSettings
from kasane_shared.auth.tokens import TokenVerifier


def test_deployment_wide_values_fill_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://admin:pw@db:5432/postgres")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "k1:9092,k2:9092")
    monkeypatch.setenv("KASANE_PROFILE", "/etc/kasane/profile.yaml")
    monkeypatch.setenv("KASANE_JWT_ISSUER", "https://id.example.org")
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
    monkeypatch.setenv("KASANE_JWT_ISSUER", "https://id.example.org")
    s = IntakeSettings()
    assert s.database_url == "postgresql://intake:pw@db:5432/intake"
    assert s.topic("kasane.intake.v1") == "t1.kasane.intake.v1"
    assert s.dead_letter_topic == "t1.kasane-intake.dlt"


def test_a_jwt_issuer_is_always_required(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """No "unset means any issuer": a deployment that forgets it does not start."""
    monkeypatch.setenv("DATABASE_URL", "postgresql://admin:pw@db:5432/postgres")
    monkeypatch.setenv("KASANE_PROFILE", "/etc/kasane/profile.yaml")
    monkeypatch.delenv("KASANE_JWT_ISSUER", raising=False)
    monkeypatch.delenv("INTAKE_JWT_ISSUER", raising=False)
    with pytest.raises(ValueError, match="jwt_issuer"):
        IntakeSettings()
    monkeypatch.setenv("KASANE_JWT_ISSUER", "")
    with pytest.raises(ValueError, match="jwt_issuer"):
        IntakeSettings()
    key = tmp_path / "k.pem"
    key.write_bytes(b"unused")
    with pytest.raises(ValueError, match="jwt_issuer"):
        TokenVerifier(public_key_files=[key], issuer="")
