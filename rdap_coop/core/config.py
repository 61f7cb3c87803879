"""The one settings tree, built once at start-up from the environment and a TOML file.

``Settings.from_env`` is the only reader of the environment in the project; every
other module receives the settings it needs as an argument. Every limit is a named
setting with a safe default, and a bad value fails start-up with an error that names
the setting as the operator wrote it. Where values come from and how the file meets the
environment: ``config_file.py``; how each value is checked: ``config_reader.py``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from rdap_coop.core.config_file import gather_sources
from rdap_coop.core.config_reader import (
    PREFIX,
    ConfigError,
    EffectiveSetting,
    IPNetwork,
    RawSetting,
    SettingsReader,
)
from rdap_coop.core.config_sections import (
    DEFAULT_TOS_URL,
    AccessSettings,
    DatabaseSettings,
    LoggingSettings,
    MetricsSettings,
    RateLimitSettings,
    RdapSettings,
    WhoisSettings,
)

__all__ = [
    "MAX_WORKERS",
    "PREFIX",
    "AccessSettings",
    "ConfigError",
    "Configuration",
    "DatabaseSettings",
    "IPNetwork",
    "LoggingSettings",
    "MetricsSettings",
    "RateLimitSettings",
    "RdapSettings",
    "Settings",
    "WhoisSettings",
    "load_configuration",
    "logging_settings",
]

LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MAX_WORKERS = 64


@dataclass(frozen=True, slots=True)
class Settings:
    database: DatabaseSettings
    rdap: RdapSettings = field(default_factory=RdapSettings)
    whois: WhoisSettings = field(default_factory=WhoisSettings)
    rate_limit: RateLimitSettings = field(default_factory=RateLimitSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    access: AccessSettings = field(default_factory=AccessSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    # Processes serving the same ports (SO_REUSEPORT); see rdap_coop.core.workers.
    workers: int = 1

    def with_metrics_port(self, port: int | None) -> Settings:
        """These settings with ``--metrics-port`` applied (None keeps the configured one)."""
        if port is None:
            return self
        if not 0 <= port <= 65535:
            raise ConfigError(f"--metrics-port must be between 0 and 65535, not {port}")
        return replace(self, metrics=replace(self.metrics, port=port))

    def with_workers(self, workers: int | None) -> Settings:
        """These settings with ``--workers`` applied (None keeps the configured count)."""
        if workers is None:
            return self
        redis = f"{PREFIX}REDIS_URL (or redis_url in the configuration file)"
        return _checked_workers(replace(self, workers=workers), "--workers",
                                f"--workers={workers}", redis)

    @classmethod
    def from_env(cls, env: Mapping[str, str], config_file: Path | None = None) -> Settings:
        """Build and validate settings from ``RDAP_COOP_*`` variables over the TOML file
        ``config_file`` names (else ``RDAP_COOP_CONFIG_FILE``; without either, none)."""
        return load_configuration(env, config_file).settings


@dataclass(frozen=True, slots=True)
class Configuration:
    """The settings, with what ``rdap-coop config check`` tells the operator about them."""

    settings: Settings
    # In the order they are read, secrets masked.
    effective: tuple[EffectiveSetting, ...]
    warnings: tuple[str, ...]
    file: Path | None


def load_configuration(env: Mapping[str, str], config_file: Path | None = None) -> Configuration:
    sources = gather_sources(env, config_file, _known_names())
    reader = SettingsReader(sources.raw, None if sources.file is None else str(sources.file))
    settings = _settings(reader)
    return Configuration(settings, tuple(reader.effective.values()), sources.warnings,
                         sources.file)


def logging_settings(env: Mapping[str, str]) -> LoggingSettings:
    """Only the logging settings, for commands that need no database (``demo``)."""
    sources = gather_sources(env, None, _known_names())
    reader = SettingsReader(sources.raw, None if sources.file is None else str(sources.file))
    return _logging_settings(reader)


@functools.cache
def _known_names() -> frozenset[str]:
    """Every setting's name: those the builders ask for. Derived rather than listed, so
    a new setting cannot be missing from the keys the file accepts."""
    reader = SettingsReader({"DATABASE_DSN": RawSetting("postgresql://", "environment", "")})
    _settings(reader)
    return frozenset(reader.effective)


def _settings(reader: SettingsReader) -> Settings:
    settings = Settings(
        database=_database_settings(reader),
        rdap=_rdap_settings(reader),
        whois=_whois_settings(reader),
        rate_limit=_rate_limit_settings(reader),
        metrics=MetricsSettings(
            host=reader.text("METRICS_HOST", "127.0.0.1"),
            port=reader.integer("METRICS_PORT", 0, minimum=0),
            usage_dir=Path(usage) if (usage := reader.optional_text("USAGE_DIR")) else None,
        ),
        access=_access_settings(reader),
        logging=_logging_settings(reader),
    )
    workers = reader.integer("WORKERS", 1, minimum=1)
    return _checked_workers(replace(settings, workers=workers), reader.label("WORKERS"),
                            reader.assignment("WORKERS", workers), reader.label("REDIS_URL"))


def _checked_workers(settings: Settings, source: str, assigned: str, redis: str) -> Settings:
    """Workers share no memory: what must be one across them has to live outside.

    ``source`` names the worker count's setting, ``assigned`` quotes its value as given.
    """
    count = settings.workers
    if not 1 <= count <= MAX_WORKERS:
        raise ConfigError(f"{source} must be between 1 and {MAX_WORKERS}, not {count}")
    if count == 1:
        return settings
    if settings.rate_limit.redis_url is None:
        # Per-process budgets would multiply every client's rate limit and its
        # personal-data quota by the number of workers.
        raise ConfigError(
            f"{assigned} needs {redis}: rate limits and the personal-data "
            "quota must be shared between worker processes"
        )
    if 0 in (settings.rdap.port, settings.whois.port):
        raise ConfigError(f"{assigned} needs fixed ports; port 0 picks one per process")
    return settings


def _database_settings(reader: SettingsReader) -> DatabaseSettings:
    return DatabaseSettings(
        dsn=reader.text("DATABASE_DSN"),
        pool_max_size=reader.integer("DATABASE_POOL_MAX_SIZE", 10, minimum=1),
        connect_timeout_seconds=reader.number("DATABASE_CONNECT_TIMEOUT_SECONDS", 5.0),
        acquire_timeout_seconds=reader.number("DATABASE_ACQUIRE_TIMEOUT_SECONDS", 2.0),
        command_timeout_seconds=reader.number("DATABASE_COMMAND_TIMEOUT_SECONDS", 5.0),
        statement_timeout_ms=reader.integer("DATABASE_STATEMENT_TIMEOUT_MS", 3000, minimum=1),
        cache_ttl_seconds=reader.seconds_or_zero("CACHE_TTL_SECONDS", 30.0),
        cache_max_entries=reader.integer("CACHE_MAX_ENTRIES", 10_000, minimum=1),
        # Space-separated in a variable: a DSN may hold a comma (multi-host URLs).
        fallback_dsns=reader.items("DATABASE_FALLBACK_DSNS", (), separator=None),
        replica_max_lag_seconds=reader.number("REPLICA_MAX_LAG_SECONDS", 300.0),
        ready_max_lag_seconds=reader.number("READY_MAX_LAG_SECONDS", 1800.0),
        replica_check_seconds=reader.number("REPLICA_CHECK_SECONDS", 2.0),
    )


def _rdap_settings(reader: SettingsReader) -> RdapSettings:
    return RdapSettings(
        host=reader.text("RDAP_HOST", "127.0.0.1"),
        port=reader.integer("RDAP_PORT", 8080, minimum=0),
        base_url=reader.base_url("RDAP_BASE_URL", "http://127.0.0.1:8080/"),
        port43=reader.text("RDAP_PORT43", "whois.nic.coop") or None,
        tos_url=reader.text("RDAP_TOS_URL", DEFAULT_TOS_URL),
        trusted_proxies=reader.networks("TRUSTED_PROXIES"),
        max_path_bytes=reader.integer("RDAP_MAX_PATH_BYTES", 2048, minimum=64),
        max_request_line_bytes=reader.integer("RDAP_MAX_REQUEST_LINE_BYTES", 65536, minimum=8190),
        request_timeout_seconds=reader.number("RDAP_REQUEST_TIMEOUT_SECONDS", 10.0),
        max_concurrent_requests=reader.integer("RDAP_MAX_CONCURRENT_REQUESTS", 256, minimum=1),
        search_page_size=reader.integer("RDAP_SEARCH_PAGE_SIZE", 25, minimum=1),
        cursor_secret=reader.secret_hex("CURSOR_SECRET"),
    )


def _logging_settings(reader: SettingsReader) -> LoggingSettings:
    return LoggingSettings(
        format=reader.choice("LOG_FORMAT", "text", LOG_FORMATS),
        level=reader.choice("LOG_LEVEL", "INFO", LOG_LEVELS),
        access_log=reader.boolean("ACCESS_LOG", True),
    )


def _access_settings(reader: SettingsReader) -> AccessSettings:
    clients = reader.optional_text("CLIENTS_FILE")
    audit = reader.optional_text("AUDIT_LOG")
    if clients and not audit:
        # Every non-public answer must be audited, so no clients without a log.
        raise ConfigError(
            f"{reader.label('AUDIT_LOG')} is required when {reader.label('CLIENTS_FILE')} is set"
        )
    return AccessSettings(
        clients_file=Path(clients) if clients else None,
        audit_log=Path(audit) if audit else None,
        reverse_search_max_results=reader.integer("REVERSE_SEARCH_MAX_RESULTS", 50, minimum=1),
    )


def _rate_limit_settings(reader: SettingsReader) -> RateLimitSettings:
    d = RateLimitSettings()
    settings = RateLimitSettings(
        public_burst=reader.integer("RATE_LIMIT_PUBLIC_BURST", d.public_burst, minimum=1),
        public_per_second=reader.number("RATE_LIMIT_PUBLIC_PER_SECOND", d.public_per_second),
        authenticated_burst=reader.integer("RATE_LIMIT_AUTHENTICATED_BURST",
                                           d.authenticated_burst, minimum=1),
        authenticated_per_second=reader.number("RATE_LIMIT_AUTHENTICATED_PER_SECOND",
                                               d.authenticated_per_second),
        lookup_cost=reader.number("RATE_LIMIT_LOOKUP_COST", d.lookup_cost),
        search_cost=reader.number("RATE_LIMIT_SEARCH_COST", d.search_cost),
        ipv6_prefix=reader.integer("RATE_LIMIT_IPV6_PREFIX", d.ipv6_prefix, minimum=32,
                                   maximum=128),
        exempt_networks=reader.networks("RATE_LIMIT_EXEMPT_NETWORKS"),
        redis_url=reader.optional_text("REDIS_URL"),
        max_keys=reader.integer("RATE_LIMIT_MAX_KEYS", d.max_keys, minimum=100),
        personal_data_daily_contacts=reader.integer(
            "PERSONAL_DATA_DAILY_CONTACTS", d.personal_data_daily_contacts, minimum=1
        ),
        personal_data_strikes_for_long_block=reader.integer(
            "PERSONAL_DATA_STRIKES_FOR_LONG_BLOCK", d.personal_data_strikes_for_long_block,
            minimum=1,
        ),
        personal_data_strike_window_days=reader.integer(
            "PERSONAL_DATA_STRIKE_WINDOW_DAYS", d.personal_data_strike_window_days, minimum=1
        ),
        personal_data_long_block_days=reader.integer(
            "PERSONAL_DATA_LONG_BLOCK_DAYS", d.personal_data_long_block_days, minimum=1
        ),
    )
    smallest_burst = min(settings.public_burst, settings.authenticated_burst)
    for name, cost in (("RATE_LIMIT_LOOKUP_COST", settings.lookup_cost),
                       ("RATE_LIMIT_SEARCH_COST", settings.search_cost)):
        if cost > smallest_burst:
            raise ConfigError(f"{reader.label(name)} must not exceed the smallest burst")
    return settings


def _whois_settings(reader: SettingsReader) -> WhoisSettings:
    d = WhoisSettings()
    return WhoisSettings(
        hosts=reader.items("WHOIS_HOSTS", d.hosts, separator=","),
        port=reader.integer("WHOIS_PORT", d.port, minimum=0),
        max_query_bytes=reader.integer("WHOIS_MAX_QUERY_BYTES", d.max_query_bytes, minimum=16),
        read_timeout_seconds=reader.number("WHOIS_READ_TIMEOUT_SECONDS", d.read_timeout_seconds),
        write_timeout_seconds=reader.number("WHOIS_WRITE_TIMEOUT_SECONDS",
                                            d.write_timeout_seconds),
        connection_deadline_seconds=reader.number("WHOIS_CONNECTION_DEADLINE_SECONDS",
                                                  d.connection_deadline_seconds),
        max_connections=reader.integer("WHOIS_MAX_CONNECTIONS", d.max_connections, minimum=1),
        max_connections_per_address=reader.integer(
            "WHOIS_MAX_CONNECTIONS_PER_ADDRESS", d.max_connections_per_address, minimum=1
        ),
        shutdown_grace_seconds=reader.number("WHOIS_SHUTDOWN_GRACE_SECONDS",
                                             d.shutdown_grace_seconds),
        max_hosts_per_reply=reader.integer("WHOIS_MAX_HOSTS_PER_REPLY", d.max_hosts_per_reply,
                                           minimum=1),
    )
