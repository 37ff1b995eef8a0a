"""Which servers the tests use: one setting, KASANE_TEST_SERVERS (pure logic, no servers)."""

from __future__ import annotations

import pytest
from kasane_devstack.report import Failure
from kasane_devstack.servers import ENV_MARK, SETTING, choose, own_servers, servers_mark

KAFKA, DB = "10.0.0.5:9092", "postgresql://admin:pw@10.0.0.6:5432/postgres"
BOTH = {"KAFKA_BOOTSTRAP_SERVERS": KAFKA, "DATABASE_URL": DB}


def _no_engine() -> bool:
    return False


def _engine() -> bool:
    return True


def test_with_nothing_set_the_tests_use_the_local_stack() -> None:
    assert choose({}, _no_engine) == "local"
    assert choose({SETTING: "auto"}, _engine) == "local"  # an engine alone never switches to containers


def test_both_variables_set_by_a_person_are_the_servers_used() -> None:
    assert choose(BOTH, _no_engine) == "env"
    assert own_servers(BOTH)


def test_values_left_by_kasane_stack_env_are_the_local_stacks_own() -> None:
    marked = {**BOTH, ENV_MARK: servers_mark(KAFKA, DB)}
    assert not own_servers(marked)
    assert choose(marked, _no_engine) == "local"
    # changed by hand after the eval: now they are the person's
    changed = {**marked, "DATABASE_URL": "postgresql://admin:pw@elsewhere:5432/postgres"}
    assert own_servers(changed) and choose(changed, _no_engine) == "env"


@pytest.mark.parametrize("only", ["KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL"])
def test_one_variable_alone_is_a_mistake_said_plainly(only: str) -> None:
    with pytest.raises(Failure) as raised:
        choose({only: BOTH[only]}, _no_engine)
    assert only in raised.value.what and raised.value.fix


def test_local_is_local_whatever_else_is_set() -> None:
    assert choose({**BOTH, SETTING: "local"}, _engine) == "local"


def test_env_needs_both_variables() -> None:
    assert choose({**BOTH, SETTING: "env"}, _no_engine) == "env"
    with pytest.raises(Failure) as raised:
        choose({SETTING: "env", "DATABASE_URL": DB}, _no_engine)
    assert "KAFKA_BOOTSTRAP_SERVERS" in raised.value.what and "DATABASE_URL" not in raised.value.what


def test_containers_need_an_engine_that_answers() -> None:
    assert choose({SETTING: "containers"}, _engine) == "containers"
    assert choose({**BOTH, SETTING: "Containers"}, _engine) == "containers"
    with pytest.raises(Failure) as raised:
        choose({SETTING: "containers"}, _no_engine)
    assert "no Docker engine answers" in raised.value.what


def test_an_unknown_choice_is_refused() -> None:
    with pytest.raises(Failure) as raised:
        choose({SETTING: "docker"}, _engine)
    assert "'docker'" in raised.value.what and "containers" in raised.value.what
