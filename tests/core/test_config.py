from __future__ import annotations

import ipaddress

import pytest

from tgserve._config import Config, ConfigError


def test_defaults() -> None:
    config = Config.load({}, {})
    assert config.path == "/webhook"
    assert config.ack == "background"
    assert config.store == "memory://"
    assert config.max_concurrency == 64
    assert config.max_in_flight == 8
    assert config.max_body_bytes == 1 << 20
    assert config.gc_freeze is True


def test_environment_then_arguments_win() -> None:
    env = {"TGSERVE_PATH": "/tg", "TGSERVE_ACK": "inline", "TGSERVE_MAX_CONCURRENCY": "8"}
    config = Config.load({"ack": "background"}, env)
    assert (config.path, config.ack, config.max_concurrency) == ("/tg", "background", 8)
    more = Config.load({}, {"TGSERVE_MAX_IN_FLIGHT": "32", "TGSERVE_GC_FREEZE": "off"})
    assert (more.max_in_flight, more.gc_freeze) == (32, False)


def test_host_defaults_lose_to_environment() -> None:
    config = Config.load({}, {"TGSERVE_ACK": "background"}, host_defaults={"ack": "inline"})
    assert config.ack == "background"
    assert Config.load({}, {}, host_defaults={"ack": "inline"}).ack == "inline"


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"secret_token": ""}, "1-256 characters"),
        ({"secret_token": "has space"}, "1-256 characters"),
        ({"secret_token": "x" * 257}, "1-256 characters"),
        ({"ack": "later"}, "ack must be one of"),
        ({"path": "webhook"}, "path must start"),
        ({"path": "/healthz"}, "path must start"),
        ({"store": "redis"}, "store must be a URL"),
        ({"max_concurrency": 0}, "at least 1"),
        ({"max_in_flight": 0}, "at least 1"),
        ({"max_concurrency": "many"}, "must be a number"),
        ({"allowed_ips": "10.0.0.300"}, "not an IP address"),
        ({"api_url": "ftp://x"}, "api_url"),
        ({"colour": "blue"}, "unknown option"),
        ({"on_error": "panic"}, "on_error"),
        ({"lease": 0}, "lease must be more than 0"),
        ({"inline_timeout": 0}, "inline_timeout must be more than 0"),
        ({"dedup_ttl": 0}, "dedup_ttl must be more than 0"),
        ({"startup_timeout": 0}, "startup_timeout must be more than 0"),
        ({"inline_timeout": "nan"}, "inline_timeout must be a finite number"),
        ({"grace_period": "inf"}, "grace_period must be a finite number"),
        ({"max_concurrency": "1e400"}, "max_concurrency must be a number"),
        ({"store": "redis://:pw@127.0.0.1:notaport/0"}, "port of the redis:// URL is not a port"),
    ],
)
def test_refused_with_a_message_naming_the_rule(options: dict[str, object], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        Config.load(options, {})


def test_zero_is_kept_where_it_means_at_once() -> None:
    config = Config.load({"grace_period": 0, "backlog_wait": 0}, {})
    assert (config.grace_period, config.backlog_wait) == (0.0, 0.0)


def test_a_refused_store_url_never_shows_its_password() -> None:
    with pytest.raises(ConfigError) as refused:
        Config.load({"store": "redis://:hunter2@127.0.0.1:notaport/0"}, {})
    assert "hunter2" not in str(refused.value)


def test_secret_rule_allows_the_full_alphabet() -> None:
    secret = "Az09_-" * 42 + "abcd"
    assert len(secret) == 256
    assert Config.load({"secret_token": secret}, {}).secret_token == secret


def test_telegram_preset_and_lists() -> None:
    config = Config.load({"allowed_ips": "telegram, 10.1.2.3"}, {})
    assert ipaddress.ip_network("149.154.160.0/20") in config.allowed_ips
    assert ipaddress.ip_network("91.108.4.0/22") in config.allowed_ips
    assert ipaddress.ip_network("10.1.2.3/32") in config.allowed_ips


def test_public_view_hides_secrets() -> None:
    config = Config.load(
        {"secret_token": "abcdefgh", "token": "1:x", "store": "redis://u:pw@h"}, {}
    )
    shown = str(config.public())
    assert "abcdefgh" not in shown and "pw" not in shown and "1:x" not in shown
    assert config.public()["store"] == "redis://"


@pytest.mark.parametrize(
    ("value", "expected"), [("1", True), ("On", True), ("yes", True), ("0", False), ("OFF", False)]
)
def test_boolean_environment_values(value: str, expected: bool) -> None:
    config = Config.load(env={"TGSERVE_METRICS": value, "TGSERVE_GC_FREEZE": value})
    assert config.metrics is expected and config.gc_freeze is expected


@pytest.mark.parametrize("value", ["maybe", "2", "enabled"])
def test_other_boolean_values_are_refused(value: str) -> None:
    with pytest.raises(ConfigError, match=f"metrics must be one of 1, true, .*got '{value}'"):
        Config.load(env={"TGSERVE_METRICS": value})
    with pytest.raises(ConfigError, match="consume must be one of"):
        Config.load({"consume": 3})
