"""Settings: validated once at start, errors name the variable, secrets stay hidden."""

from __future__ import annotations

import ipaddress

import pytest

from rdap_coop.core.config import ConfigError, Settings

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
