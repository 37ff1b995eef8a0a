"""Per-service settings read from the environment (pydantic-settings).

Each service subclasses :class:`ServiceSettings` with its own prefix (``INTAKE_``,
``COORDINATION_``, ...). Values shared by the whole deployment may also come from one
unprefixed name (``KAFKA_BOOTSTRAP_SERVERS``, ``DATABASE_URL``, ``KASANE_PROFILE``, ...)
so one env file serves all four services; the prefixed name always wins.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# field name -> the deployment-wide variable it falls back to
_SHARED_ENV: dict[str, str] = {
    "kafka_bootstrap_servers": "KAFKA_BOOTSTRAP_SERVERS",
    "kafka_security_protocol": "KASANE_KAFKA_SECURITY_PROTOCOL",
    "kafka_sasl_mechanism": "KASANE_KAFKA_SASL_MECHANISM",
    "kafka_ssl_cafile": "KASANE_KAFKA_SSL_CAFILE",
    "topic_prefix": "KASANE_TOPIC_PREFIX",
    "profile_path": "KASANE_PROFILE",
    "jwt_public_key_files": "KASANE_JWT_PUBLIC_KEY_FILES",
    "jwt_jwks_url": "KASANE_JWT_JWKS_URL",
    "jwt_issuer": "KASANE_JWT_ISSUER",
    "jwt_audience": "KASANE_JWT_AUDIENCE",
    "otlp_endpoint": "OTEL_EXPORTER_OTLP_ENDPOINT",
    "trace_file": "KASANE_TRACE_FILE",
    "log_level": "KASANE_LOG_LEVEL",
    "http_host": "KASANE_HTTP_HOST",
}


def service_database_url(admin_url: str, service: str) -> str:
    """The URL of ``kasane_<service>`` on the server that ``admin_url`` points at."""
    parts = urlsplit(admin_url)
    return urlunsplit(parts._replace(path=f"/kasane_{service}"))


class ServiceSettings(BaseSettings):
    """Settings every Kasane service process needs; subclasses set the prefix and ports."""

    model_config = SettingsConfigDict(env_prefix="KASANE_SERVICE_", extra="ignore")

    service: ClassVar[str] = "service"

    database_url: str
    database_pool_min: int = 1
    database_pool_max: int = 10

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: str | None = None
    kafka_ssl_cafile: Path | None = None
    # Prepended to every topic name; tests use it so parallel runs never share a topic.
    topic_prefix: str = ""
    consumer_group: str | None = None

    profile_path: Path

    jwt_public_key_files: Annotated[list[Path], NoDecode] = []
    jwt_jwks_url: str | None = None
    # always required: with no issuer to check, a token from any issuer the keys trust would pass
    jwt_issuer: str = Field(min_length=1)
    jwt_audience: str = "kasane"

    http_host: str = "127.0.0.1"
    http_port: int = 8000
    worker_port: int = 8100
    metrics_port: int | None = None
    max_body_bytes: int = 1_048_576

    otlp_endpoint: str | None = None
    trace_file: Path | None = None
    log_level: str = "INFO"

    break_glass_hours: float = 4.0  # how long an emergency access grant lasts

    relay_batch_size: int = 500
    relay_poll_seconds: float = 1.0
    relay_standby_seconds: float = 2.0
    # refusals of one outbox row by the broker (too large, invalid) before it is parked
    relay_park_after: int = 3
    consumer_max_attempts: int = 5
    consumer_backoff_seconds: float = 0.5
    # /readyz of the worker fails when its consumer has not fetched from Kafka for this long
    consumer_poll_stale_seconds: float = 60.0
    # first wait before a dead worker loop is restarted (doubling to 30 s)
    worker_restart_backoff_seconds: float = 0.5

    @model_validator(mode="before")
    @classmethod
    def _deployment_wide_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        for field, env_name in _SHARED_ENV.items():
            if field not in data and env_name in os.environ:
                data[field] = os.environ[env_name]
        if "database_url" not in data and "DATABASE_URL" in os.environ:
            data["database_url"] = service_database_url(os.environ["DATABASE_URL"], cls.service)
        return data

    @field_validator("jwt_public_key_files", mode="before")
    @classmethod
    def _split_paths(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [Path(p.strip()) for p in value.split(",") if p.strip()]
        return value

    @property
    def group_id(self) -> str:
        """The physical consumer group of the service's worker (prefixed like topics)."""
        return self.topic_prefix + (self.consumer_group or f"kasane-{self.service}")

    @property
    def dead_letter_topic(self) -> str:
        """The group's dead-letter topic, ``<group>.dlt``."""
        return f"{self.group_id}.dlt"

    def topic(self, name: str) -> str:
        """The physical topic name for a logical one."""
        return f"{self.topic_prefix}{name}"
