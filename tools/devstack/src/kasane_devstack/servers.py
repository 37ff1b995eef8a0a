"""Which Kafka and PostgreSQL the tests use, chosen by one setting, ``KASANE_TEST_SERVERS``:

- ``auto`` (the default): the servers in ``KAFKA_BOOTSTRAP_SERVERS`` and ``DATABASE_URL``
  when you set both; otherwise this checkout's local stack (started when it is down).
  Values left in the shell by ``eval "$(kasane-stack env)"`` are the local stack's own
  and count as unset (``kasane-stack env`` marks them in ``KASANE_STACK_ENV``).
- ``local``: this checkout's local stack, whatever else is set.
- ``env``: the two variables; both must be set.
- ``containers``: Kafka and PostgreSQL started by testcontainers (pinned images, see
  ``tests/support/containers.py``); needs a Docker engine that answers. ``auto`` never
  picks it: that path has not run on the project's machines (they have no engine).

``python -m kasane_devstack.servers`` prints the choice, for ``make test``; a setting that
cannot work ends it with one line and exit status 2.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable, Mapping

from kasane_devstack.report import Failure, print_failure

SETTING = "KASANE_TEST_SERVERS"
CHOICES = ("auto", "local", "env", "containers")
ENV_MARK = "KASANE_STACK_ENV"  # set by `kasane-stack env` beside the values it exported
SERVER_VARS = ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL")


def servers_mark(bootstrap: str, database_url: str) -> str:
    """What ``kasane-stack env`` exports as :data:`ENV_MARK` beside these two values."""
    return hashlib.sha256(f"{bootstrap}\n{database_url}".encode()).hexdigest()[:16]


def own_servers(environ: Mapping[str, str]) -> bool:
    """Whether KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL are both set, and not by an earlier
    ``eval "$(kasane-stack env)"``."""
    bootstrap, db = (environ.get(k, "") for k in SERVER_VARS)
    return bool(bootstrap and db) and environ.get(ENV_MARK) != servers_mark(bootstrap, db)


def docker_answers() -> bool:
    """Whether a Docker engine answers (DOCKER_HOST, else the default socket)."""
    try:
        import docker  # testcontainers' own client; imported only when asked
    except ImportError:
        return False
    try:
        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def choose(environ: Mapping[str, str], engine: Callable[[], bool] = docker_answers) -> str:
    """``local``, ``env`` or ``containers``, from the setting and the environment."""
    value = environ.get(SETTING, "").strip().lower() or "auto"
    if value not in CHOICES:
        raise Failure(f"{SETTING}={value!r} is not one of {', '.join(CHOICES)}",
                      fix=f"unset {SETTING} (auto), or set it to one of those")
    missing = [k for k in SERVER_VARS if not environ.get(k)]
    if value == "env":
        if missing:
            raise Failure(f"{SETTING}=env but {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set",
                          fix="set both KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL (a role that may create databases)")
        return "env"
    if value == "containers":
        if not engine():
            raise Failure(f"{SETTING}=containers but no Docker engine answers (DOCKER_HOST or /var/run/docker.sock)",
                          fix=f"start Docker, or unset {SETTING} to use the local stack")
        return "containers"
    if value == "local":
        return "local"
    if own_servers(environ):
        return "env"
    if len(missing) == 1 and ENV_MARK not in environ:
        raise Failure(f"only {SERVER_VARS[1 - SERVER_VARS.index(missing[0])]} is set, not {missing[0]}",
                      fix="set both to use your own servers, or neither to use the local stack")
    return "local"


def main() -> None:
    try:
        print(choose(os.environ))
    except Failure as exc:
        print_failure(exc)
        sys.exit(2)


if __name__ == "__main__":
    main()
