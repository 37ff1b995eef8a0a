"""Every port of the local stack moves by one setting of its own (pure logic, no servers)."""

from __future__ import annotations

import pytest
from kasane_devstack.ports import DEFAULTS, OFFSET_SETTING, PortError, resolve, setting


def test_the_defaults_are_the_documented_ports() -> None:
    p = resolve({})
    assert (p.kafka, p.kafka_controller, p.postgres) == (9092, 9093, 55432)
    assert [(s.name, s.api, s.worker, s.metrics) for s in p.services] == [
        ("intake", 8001, 8101, 9001), ("coordination", 8002, 8102, 9002),
        ("participation", 8003, 8103, 9003), ("community", 8004, 8104, 9004)]
    assert p.moved() == {}


@pytest.mark.parametrize("key", sorted(DEFAULTS))
def test_each_setting_moves_its_own_port_and_no_other(key: str) -> None:
    p = resolve({setting(key): "40000"})
    assert p.by_key[key] == 40000
    assert p.moved() == {key: 40000}


def test_the_settings_are_named_for_their_ports() -> None:
    assert setting("kafka-controller") == "KASANE_STACK_KAFKA_CONTROLLER_PORT"
    assert setting("participation-metrics") == "KASANE_STACK_PARTICIPATION_METRICS_PORT"
    assert len({setting(k) for k in DEFAULTS}) == len(DEFAULTS) == 15


def test_an_offset_moves_every_port_and_an_explicit_setting_wins_over_it() -> None:
    p = resolve({OFFSET_SETTING: "1000", setting("postgres"): "15432"})
    assert p.postgres == 15432
    assert all(p.by_key[k] == DEFAULTS[k] + 1000 for k in DEFAULTS if k != "postgres")


def test_recorded_ports_are_used_unless_a_setting_or_the_offset_says_otherwise() -> None:
    recorded = {k: v + 7 for k, v in DEFAULTS.items()}
    assert resolve({}, recorded).by_key == recorded
    assert resolve({setting("kafka"): "19092"}, recorded).kafka == 19092
    assert resolve({setting("kafka"): "19092"}, recorded).postgres == DEFAULTS["postgres"] + 7
    assert resolve({OFFSET_SETTING: "0"}, recorded).by_key == DEFAULTS


def test_two_ports_on_one_number_are_refused_naming_both_settings() -> None:
    with pytest.raises(PortError) as raised:
        resolve({setting("intake-api"): "8002"})
    assert setting("intake-api") in str(raised.value) and setting("coordination-api") in str(raised.value)


@pytest.mark.parametrize(("env", "named"), [
    ({setting("kafka"): "nine"}, setting("kafka")),
    ({setting("kafka"): "0"}, setting("kafka")),
    ({setting("postgres"): "70000"}, setting("postgres")),
    ({OFFSET_SETTING: "ten"}, OFFSET_SETTING),
    ({OFFSET_SETTING: "20000"}, OFFSET_SETTING),  # 55432 + 20000 is no port
])
def test_a_port_that_cannot_be_is_refused_naming_its_setting(env: dict[str, str], named: str) -> None:
    with pytest.raises(PortError) as raised:
        resolve(env)
    assert named in str(raised.value)
    assert raised.value.fix  # the one-line failure says what to do
