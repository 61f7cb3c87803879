"""The TOML configuration file: same checks as the environment, which overrides it."""

from __future__ import annotations

import ipaddress
import pickle
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rdap_coop.core.config import ConfigError, Settings, load_configuration

DSN = "postgresql://reader:s3cret-pw@replica:5432/registry"
ENV_DSN = {"RDAP_COOP_DATABASE_DSN": DSN}


def write(tmp_path: Path, text: str, name: str = "rdap-coop.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def origins(env: dict[str, str], path: Path | None) -> dict[str, str]:
    configuration = load_configuration(env, path)
    return {setting.key: setting.origin for setting in configuration.effective}


def test_the_environment_overrides_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, f'database_dsn = "{DSN}"\n'
                           "database_pool_max_size = 20\nrdap_port = 8443\n")
    env = {"RDAP_COOP_DATABASE_POOL_MAX_SIZE": "30"}
    settings = Settings.from_env(env, path)
    assert settings.database.pool_max_size == 30
    assert settings.rdap.port == 8443
    assert settings.database.dsn == DSN
    assert settings.whois.port == 43
    seen = origins(env, path)
    assert seen["database_pool_max_size"] == "environment"
    assert seen["rdap_port"] == "file"
    assert seen["whois_port"] == "default"


def test_the_file_can_be_named_by_the_environment(tmp_path: Path) -> None:
    named = write(tmp_path, "rdap_port = 1111\n", "named.toml")
    given_path = write(tmp_path, "rdap_port = 2222\n", "given.toml")
    env = {**ENV_DSN, "RDAP_COOP_CONFIG_FILE": str(named)}
    assert Settings.from_env(env).rdap.port == 1111
    # --config wins over the variable; the variable itself is no unknown setting.
    configuration = load_configuration(env, given_path)
    assert configuration.settings.rdap.port == 2222
    assert configuration.file == given_path
    assert configuration.warnings == ()


def test_an_empty_variable_leaves_the_file_value(tmp_path: Path) -> None:
    path = write(tmp_path, "rdap_port = 8443\n")
    settings = Settings.from_env({**ENV_DSN, "RDAP_COOP_RDAP_PORT": ""}, path)
    assert settings.rdap.port == 8443


def test_an_empty_string_in_the_file_means_the_default(tmp_path: Path) -> None:
    path = write(tmp_path, 'rdap_port = ""\nredis_url = ""\n')
    settings = Settings.from_env(ENV_DSN, path)
    assert (settings.rdap.port, settings.rate_limit.redis_url) == (8080, None)
    assert origins(ENV_DSN, path)["rdap_port"] == "default"


def test_arrays_become_the_lists_the_variables_hold(tmp_path: Path) -> None:
    fallback = ["postgresql://reader:pw@r2/registry", "postgresql://reader:pw@r3/registry"]
    path = write(
        tmp_path,
        f'database_dsn = "{DSN}"\n'
        f'database_fallback_dsns = ["{fallback[0]}", "{fallback[1]}"]\n'
        'trusted_proxies = ["10.0.0.0/8", "192.0.2.1"]\n'
        'rate_limit_exempt_networks = ["198.51.100.0/24"]\n'
        'whois_hosts = ["0.0.0.0", "::"]\n',
    )
    from_file = Settings.from_env({}, path)
    from_env = Settings.from_env({
        **ENV_DSN,
        "RDAP_COOP_DATABASE_FALLBACK_DSNS": " ".join(fallback),
        "RDAP_COOP_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1",
        "RDAP_COOP_RATE_LIMIT_EXEMPT_NETWORKS": "198.51.100.0/24",
        "RDAP_COOP_WHOIS_HOSTS": "0.0.0.0,::",
    })
    assert from_file == from_env
    assert from_file.database.fallback_dsns == tuple(fallback)
    assert from_file.database.dsns == (DSN, *fallback)
    assert from_file.rdap.trusted_proxies == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("192.0.2.1/32"),
    )
    assert from_file.whois.hosts == ("0.0.0.0", "::")


def test_every_toml_scalar_type_is_accepted(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f'database_dsn = "{DSN}"\n'
        "workers = 1\n"
        "cache_ttl_seconds = 2.5\n"
        "database_connect_timeout_seconds = 3\n"
        "access_log = false\n"
        'log_format = "json"\n'
        'log_level = "warning"\n'
        'usage_dir = "/var/lib/rdap-coop/usage"\n',
    )
    settings = Settings.from_env({}, path)
    assert settings.database.cache_ttl_seconds == 2.5
    assert settings.database.connect_timeout_seconds == 3.0
    assert settings.logging.access_log is False
    assert settings.logging.format == "json"
    assert settings.logging.level == "WARNING"
    assert settings.metrics.usage_dir == Path("/var/lib/rdap-coop/usage")
    assert settings.metrics.multiprocess_dir is None
    assert pickle.loads(pickle.dumps(settings)) == settings


def test_errors_name_the_file_key_or_the_variable(tmp_path: Path) -> None:
    path = write(tmp_path, f'database_dsn = "{DSN}"\ndatabase_pool_max_size = 0\n')
    with pytest.raises(ConfigError) as from_file:
        Settings.from_env({}, path)
    assert str(from_file.value) == f"database_pool_max_size in {path} must be at least 1"
    with pytest.raises(ConfigError) as from_env:
        Settings.from_env({**ENV_DSN, "RDAP_COOP_DATABASE_POOL_MAX_SIZE": "0"}, path)
    assert str(from_env.value) == "RDAP_COOP_DATABASE_POOL_MAX_SIZE must be at least 1"


def test_cross_setting_errors_name_settings_as_written(tmp_path: Path) -> None:
    path = write(tmp_path, f'database_dsn = "{DSN}"\nclients_file = "/etc/clients.toml"\n')
    with pytest.raises(ConfigError, match=re.escape(f"clients_file in {path} is set")) as error:
        Settings.from_env({}, path)
    assert "RDAP_COOP_AUDIT_LOG (or audit_log in" in str(error.value)
    workers = write(tmp_path, f'database_dsn = "{DSN}"\nworkers = 2\n', "workers.toml")
    with pytest.raises(ConfigError, match=re.escape(f"workers = 2 in {workers} needs")):
        Settings.from_env({}, workers)


def test_a_missing_dsn_names_both_ways_to_give_it(tmp_path: Path) -> None:
    path = write(tmp_path, "rdap_port = 8443\n")
    with pytest.raises(ConfigError, match=re.escape(f"RDAP_COOP_DATABASE_DSN (or database_dsn in "
                                                    f"{path}) is required")):
        Settings.from_env({}, path)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("workers = true", "workers in {path} must be an integer"),
        ("database_pool_max_size = 1.5", "database_pool_max_size in {path} must be an integer"),
        ('rdap_port = "eighty"', "rdap_port in {path} must be an integer"),
        ("access_log = 2", "access_log in {path} must be true or false"),
        ('log_format = "xml"', "log_format in {path} must be one of text, json"),
        ("cache_ttl_seconds = inf", "cache_ttl_seconds in {path} must be between 0 and 3600"),
        ("database_connect_timeout_seconds = nan",
         "database_connect_timeout_seconds in {path} must be a positive number"),
        ('rdap_port = [8080]', "rdap_port in {path} must be a single value, not an array"),
        ("rdap_port = 1979-05-27", "rdap_port in {path} must be a string, number, boolean"),
        ('trusted_proxies = [["10.0.0.0/8"]]', "trusted_proxies in {path} must be a string"),
        ("trusted_proxies = { a = 1 }", "trusted_proxies in {path} must be a string"),
        ('trusted_proxies = ["10.0.0.0/8", "nowhere"]',
         "trusted_proxies in {path} must be comma-separated networks"),
    ],
)
def test_bad_types_fail_naming_the_key_and_the_file(
    tmp_path: Path, line: str, message: str
) -> None:
    path = write(tmp_path, f'database_dsn = "{DSN}"\n{line}\n')
    with pytest.raises(ConfigError, match=re.escape(message.format(path=path))):
        Settings.from_env({}, path)


@pytest.mark.parametrize(
    ("key", "hint"),
    [
        ("databse_dsn", "(did you mean database_dsn?)"),
        ("DATABASE_POOL_MAX_SIZE", "(did you mean database_pool_max_size?)"),
        ("rdap_coop_workers", "(did you mean workers?)"),
        ("multiprocess_dir", ""),
        ("config_file", ""),
    ],
)
def test_an_unknown_key_is_an_error_naming_it_and_the_file(
    tmp_path: Path, key: str, hint: str
) -> None:
    path = write(tmp_path, f'database_dsn = "{DSN}"\n{key} = "x"\n')
    with pytest.raises(ConfigError, match=re.escape(f"unknown setting {key} in {path}")) as error:
        Settings.from_env({}, path)
    assert str(error.value).endswith(hint)


def test_an_unknown_key_is_reported_before_a_missing_setting(tmp_path: Path) -> None:
    path = write(tmp_path, 'databse_dsn = "postgresql://replica/registry"\n')
    with pytest.raises(ConfigError, match="unknown setting databse_dsn"):
        Settings.from_env({}, path)


def test_a_table_is_refused_with_the_reason(tmp_path: Path) -> None:
    path = write(tmp_path, f'database_dsn = "{DSN}"\n[database]\npool_max_size = 5\n')
    with pytest.raises(ConfigError, match="settings are top-level keys"):
        Settings.from_env({}, path)


def test_unparsable_toml_names_the_file_and_the_position(tmp_path: Path) -> None:
    path = write(tmp_path, f'database_dsn = "{DSN}"\nworkers = = 2\n')
    with pytest.raises(ConfigError, match=re.escape(str(path))) as error:
        Settings.from_env({}, path)
    assert "line 2, column" in str(error.value)
    assert "s3cret-pw" not in str(error.value)


def test_a_missing_or_binary_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "absent.toml"
    with pytest.raises(ConfigError, match=re.escape(f"{missing}: No such file")):
        Settings.from_env(ENV_DSN, missing)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"rdap_host = '\xff'\n")
    with pytest.raises(ConfigError, match=re.escape(f"{binary} is not UTF-8")):
        Settings.from_env(ENV_DSN, binary)


def test_an_unknown_variable_is_only_a_warning() -> None:
    configuration = load_configuration({**ENV_DSN, "RDAP_COOP_WORKRES": "2", "OTHER": "x"})
    assert configuration.settings.workers == 1
    assert configuration.warnings == (
        "RDAP_COOP_WORKRES is not a setting and is ignored (did you mean RDAP_COOP_WORKERS?)",
    )


def test_settings_that_are_not_the_operators_are_not_accepted() -> None:
    names = {setting.key for setting in load_configuration(ENV_DSN).effective}
    assert {"database_fallback_dsns", "usage_dir", "replica_max_lag_seconds",
            "ready_max_lag_seconds", "replica_check_seconds", "log_format", "log_level",
            "access_log", "workers"} <= names
    assert "multiprocess_dir" not in names
    assert "config_file" not in names


def toml_value(value: bool | int | float | str) -> str:
    """``value`` written as TOML (strings as basic strings, control characters escaped)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    escaped = "".join(
        f"\\u{ord(char):04x}" if ord(char) < 0x20 or char in '"\\\x7f' else char
        for char in value
    )
    return f'"{escaped}"'


def variable_value(value: bool | int | float | str) -> str:
    """``value`` as a variable would carry it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


SCALARS = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=40),
    st.sampled_from(["0", "1", "64", "128", "3600.5", "json", " Debug ", "yes", "http://x/"]),
)
KEYS = ["database_pool_max_size", "cache_ttl_seconds", "rate_limit_ipv6_prefix", "access_log",
        "log_level", "log_format", "rdap_host", "rdap_base_url", "cursor_secret", "whois_hosts"]


@given(st.sampled_from(KEYS), SCALARS)
def test_file_and_environment_share_one_validation(
    key: str, value: bool | int | float | str
) -> None:
    """Whatever the value, the file and the variable accept it alike or refuse it with
    the same message but for the setting's name."""
    variable = "RDAP_COOP_" + key.upper()
    from_env = _outcome({**ENV_DSN, variable: variable_value(value)}, None, variable)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "rdap-coop.toml"
        path.write_text(f"{key} = {toml_value(value)}\n", encoding="utf-8")
        from_file = _outcome(ENV_DSN, path, f"{key} in {path}")
    assert from_file == from_env


def _outcome(env: dict[str, str], path: Path | None, label: str) -> object:
    try:
        return Settings.from_env(env, path)
    except ConfigError as error:
        return str(error).replace(label, "<setting>")
