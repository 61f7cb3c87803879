"""Settings: validated once at start, errors name the variable, secrets stay hidden."""

from __future__ import annotations

import ipaddress
import pickle

import pytest

from rdap_coop.core.config import ConfigError, LoggingSettings, Settings

DSN = "postgresql://reader:s3cret-pw@replica:5432/registry"


def test_defaults_are_safe() -> None:
    settings = Settings.from_env({"RDAP_COOP_DATABASE_DSN": DSN})
    assert settings.rdap.base_url.endswith("/")
    assert settings.whois.max_query_bytes == 256
    assert settings.rate_limit.public_burst == 100
    assert settings.rate_limit.public_per_second == 10.0
    assert settings.rate_limit.redis_url is None


def test_repr_hides_the_database_password() -> None:
    settings = Settings.from_env({"RDAP_COOP_DATABASE_DSN": DSN})
    assert "s3cret-pw" not in repr(settings)
    assert "replica" in repr(settings.database)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RDAP_COOP_DATABASE_POOL_MAX_SIZE", "many"),
        ("RDAP_COOP_DATABASE_POOL_MAX_SIZE", "0"),
        ("RDAP_COOP_RDAP_BASE_URL", "https://rdap.nic.coop"),
        ("RDAP_COOP_RDAP_BASE_URL", "ftp://rdap.nic.coop/"),
        ("RDAP_COOP_TRUSTED_PROXIES", "10.0.0.0/8,not-a-network"),
        ("RDAP_COOP_WHOIS_READ_TIMEOUT_SECONDS", "-1"),
        ("RDAP_COOP_RATE_LIMIT_IPV6_PREFIX", "129"),
        ("RDAP_COOP_RATE_LIMIT_PUBLIC_BURST", "0"),
        ("RDAP_COOP_DATABASE_CONNECT_TIMEOUT_SECONDS", "inf"),
        ("RDAP_COOP_DATABASE_CONNECT_TIMEOUT_SECONDS", "nan"),
        ("RDAP_COOP_RATE_LIMIT_IPV6_PREFIX", "31"),
        ("RDAP_COOP_CURSOR_SECRET", "0011"),
        ("RDAP_COOP_LOG_FORMAT", "xml"),
        ("RDAP_COOP_LOG_LEVEL", "LOUD"),
        ("RDAP_COOP_ACCESS_LOG", "maybe"),
        ("RDAP_COOP_RATE_LIMIT_SEARCH_COST", "101"),
    ],
)
def test_bad_values_fail_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({"RDAP_COOP_DATABASE_DSN": DSN, name: value})


def test_missing_dsn_is_named() -> None:
    with pytest.raises(ConfigError, match="RDAP_COOP_DATABASE_DSN"):
        Settings.from_env({})


def test_lists_are_parsed() -> None:
    settings = Settings.from_env(
        {
            "RDAP_COOP_DATABASE_DSN": DSN,
            "RDAP_COOP_TRUSTED_PROXIES": "10.0.0.0/8, ::1",
            "RDAP_COOP_WHOIS_HOSTS": "0.0.0.0,::",
            "RDAP_COOP_RATE_LIMIT_EXEMPT_NETWORKS": "192.0.2.0/24",
        }
    )
    assert settings.rdap.trusted_proxies == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("::1/128"),
    )
    assert settings.whois.hosts == ("0.0.0.0", "::")
    assert settings.rate_limit.exempt_networks == (ipaddress.ip_network("192.0.2.0/24"),)


def test_logging_defaults_to_text_at_info_with_access_lines() -> None:
    settings = Settings.from_env({"RDAP_COOP_DATABASE_DSN": DSN})
    assert settings.logging == LoggingSettings(format="text", level="INFO", access_log=True)


@pytest.mark.parametrize(
    ("word", "expected"),
    [("true", True), ("FALSE", False), ("1", True), ("0", False), ("yes", True), ("No", False)],
)
def test_access_log_takes_the_usual_boolean_words(word: str, expected: bool) -> None:
    settings = Settings.from_env({"RDAP_COOP_DATABASE_DSN": DSN, "RDAP_COOP_ACCESS_LOG": word})
    assert settings.logging.access_log is expected


def test_log_format_and_level_are_case_insensitive() -> None:
    settings = Settings.from_env(
        {"RDAP_COOP_DATABASE_DSN": DSN, "RDAP_COOP_LOG_FORMAT": "JSON",
         "RDAP_COOP_LOG_LEVEL": "debug"}
    )
    assert (settings.logging.format, settings.logging.level) == ("json", "DEBUG")


def test_repr_hides_every_replica_password() -> None:
    settings = Settings.from_env(
        {
            "RDAP_COOP_DATABASE_DSN": DSN,
            "RDAP_COOP_DATABASE_FALLBACK_DSNS": "postgresql://reader:fallback-pw@r2/registry "
            "postgresql://r3/registry?password=query-pw",
        }
    )
    text = repr(settings)
    assert "fallback-pw" not in text and "query-pw" not in text and "s3cret-pw" not in text
    assert "r2" in text and "r3" in text


def test_settings_survive_pickling_for_worker_processes() -> None:
    settings = Settings.from_env(
        {"RDAP_COOP_DATABASE_DSN": DSN, "RDAP_COOP_LOG_FORMAT": "json",
         "RDAP_COOP_ACCESS_LOG": "no"}
    )
    assert pickle.loads(pickle.dumps(settings)) == settings


def test_more_workers_need_redis_and_say_how_to_give_it() -> None:
    with pytest.raises(ConfigError, match="RDAP_COOP_WORKERS=2 needs RDAP_COOP_REDIS_URL"):
        Settings.from_env({"RDAP_COOP_DATABASE_DSN": DSN, "RDAP_COOP_WORKERS": "2"})
    settings = Settings.from_env({"RDAP_COOP_DATABASE_DSN": DSN})
    with pytest.raises(ConfigError, match="--workers=2 needs RDAP_COOP_REDIS_URL"):
        settings.with_workers(2)
