"""The one settings tree, built once at start-up from environment variables.

``Settings.from_env`` is the only reader of the environment in the project; every
other module receives the settings it needs as an argument. Every limit is a named
setting with a safe default, and a bad value fails start-up with an error that names
the variable.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PREFIX = "RDAP_COOP_"
DEFAULT_TOS_URL = "https://identity.coop/policies/rdds-terms-of-use/"

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def _mask_dsn(dsn: str) -> str:
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    dsn: str = field(repr=False)
    pool_max_size: int = 10
    connect_timeout_seconds: float = 5.0
    acquire_timeout_seconds: float = 2.0
    command_timeout_seconds: float = 5.0
    statement_timeout_ms: int = 3000
    application_name: str = "rdap-coop"
    # The in-process cache of fetched objects (core/cache.py); 0 disables it.
    cache_ttl_seconds: float = 30.0
    cache_max_entries: int = 10_000
    # Further replicas, in order of preference after ``dsn`` (core/replicas.py).
    fallback_dsns: tuple[str, ...] = field(default=(), repr=False)
    # A replica further behind the registry than this is avoided while a fresher one is up.
    replica_max_lag_seconds: float = 300.0
    # Readiness fails when no reachable replica is fresher than this (SLA: 60 minutes).
    ready_max_lag_seconds: float = 1800.0
    replica_check_seconds: float = 2.0

    @property
    def dsns(self) -> tuple[str, ...]:
        """Every replica, the preferred first."""
        return (self.dsn, *self.fallback_dsns)

    def __repr__(self) -> str:
        replicas = [_mask_dsn(dsn) for dsn in self.dsns]
        return (
            f"DatabaseSettings(dsns={replicas!r}, pool_max_size={self.pool_max_size},"
            f" statement_timeout_ms={self.statement_timeout_ms})"
        )


@dataclass(frozen=True, slots=True)
class RdapSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    # The base URL published in the IANA bootstrap file (RFC 9224); every generated
    # link is built from it. Must end with '/' (SPEC EXT-50).
    base_url: str = "http://127.0.0.1:8080/"
    port43: str | None = "whois.nic.coop"
    tos_url: str = DEFAULT_TOS_URL
    # Forwarded headers are believed only from these peers (SPEC §14 point 4).
    trusted_proxies: tuple[IPNetwork, ...] = ()
    max_path_bytes: int = 2048
    # Results per search page (RFC 8977 paging carries the rest).
    search_page_size: int = 25
    # Key of the paging cursors' HMAC; None: a random key per process (cursors then
    # work only against the instance that issued them -- set it when load-balancing).
    cursor_secret: bytes | None = field(default=None, repr=False)
    # Requests served at once per process; beyond it, 503 at once instead of a queue.
    max_concurrent_requests: int = 256
    # What the HTTP parser itself accepts before answering a bare, non-RDAP 400;
    # anything between max_path_bytes and this gets a proper RDAP error body.
    max_request_line_bytes: int = 65536
    request_timeout_seconds: float = 10.0


@dataclass(frozen=True, slots=True)
class WhoisSettings:
    """Port-43 limits: every way a client can hold a connection is bounded."""

    hosts: tuple[str, ...] = ("127.0.0.1",)
    port: int = 43
    max_query_bytes: int = 256
    # The whole query line must arrive within this: silent and trickling clients
    # are cut off, however they pace their bytes.
    read_timeout_seconds: float = 10.0
    write_timeout_seconds: float = 10.0
    connection_deadline_seconds: float = 30.0
    max_connections: int = 1000
    max_connections_per_address: int = 20
    shutdown_grace_seconds: float = 5.0
    max_hosts_per_reply: int = 50


@dataclass(frozen=True, slots=True)
class RateLimitSettings:
    """One budget per client key, shared by RDAP and WHOIS (and by instances via Redis)."""

    public_burst: int = 100
    public_per_second: float = 10.0
    authenticated_burst: int = 1000
    authenticated_per_second: float = 100.0
    lookup_cost: float = 1.0
    search_cost: float = 5.0
    ipv6_prefix: int = 64
    # Monitoring probes (ICANN SLA monitoring, our dashboards) are never throttled.
    exempt_networks: tuple[IPNetwork, ...] = ()
    redis_url: str | None = field(default=None, repr=False)
    max_keys: int = 100_000
    # Contacts with personal data one client may see per UTC day (see core/quota.py).
    personal_data_daily_contacts: int = 500
    personal_data_strikes_for_long_block: int = 3
    personal_data_strike_window_days: int = 30
    personal_data_long_block_days: int = 30


@dataclass(frozen=True, slots=True)
class AccessSettings:
    """Accredited clients and the audit log of their disclosures (both paths)."""

    clients_file: Path | None = None
    audit_log: Path | None = None
    reverse_search_max_results: int = 50


@dataclass(frozen=True, slots=True)
class MetricsSettings:
    """The internal listener (metrics, health, readiness); port 0 switches it off."""

    host: str = "127.0.0.1"
    port: int = 0
    # Where each process keeps its monthly query counts for ``rdap-coop report
    # monthly`` (core/usage.py); None keeps none.
    usage_dir: Path | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    database: DatabaseSettings
    rdap: RdapSettings = RdapSettings()
    whois: WhoisSettings = WhoisSettings()
    rate_limit: RateLimitSettings = RateLimitSettings()
    metrics: MetricsSettings = MetricsSettings()
    access: AccessSettings = AccessSettings()
    # Processes serving the same ports (SO_REUSEPORT); see rdap_coop.core.workers.
    workers: int = 1

    def with_workers(self, workers: int | None) -> Settings:
        """These settings with ``--workers`` applied (None keeps the configured count)."""
        if workers is None:
            return self
        return _checked_workers(replace(self, workers=workers), "--workers")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Build and validate settings from ``RDAP_COOP_*`` variables."""
        reader = _EnvReader(env)
        database = DatabaseSettings(
            dsn=reader.text("DATABASE_DSN"),
            pool_max_size=reader.integer("DATABASE_POOL_MAX_SIZE", 10, minimum=1),
            connect_timeout_seconds=reader.number("DATABASE_CONNECT_TIMEOUT_SECONDS", 5.0),
            acquire_timeout_seconds=reader.number("DATABASE_ACQUIRE_TIMEOUT_SECONDS", 2.0),
            command_timeout_seconds=reader.number("DATABASE_COMMAND_TIMEOUT_SECONDS", 5.0),
            statement_timeout_ms=reader.integer("DATABASE_STATEMENT_TIMEOUT_MS", 3000, minimum=1),
            cache_ttl_seconds=reader.seconds_or_zero("CACHE_TTL_SECONDS", 30.0),
            cache_max_entries=reader.integer("CACHE_MAX_ENTRIES", 10_000, minimum=1),
            fallback_dsns=tuple(reader.text("DATABASE_FALLBACK_DSNS", " ").split()),
            replica_max_lag_seconds=reader.number("REPLICA_MAX_LAG_SECONDS", 300.0),
            ready_max_lag_seconds=reader.number("READY_MAX_LAG_SECONDS", 1800.0),
            replica_check_seconds=reader.number("REPLICA_CHECK_SECONDS", 2.0),
        )
        rdap = RdapSettings(
            host=reader.text("RDAP_HOST", "127.0.0.1"),
            port=reader.integer("RDAP_PORT", 8080, minimum=0),
            base_url=reader.base_url("RDAP_BASE_URL", "http://127.0.0.1:8080/"),
            port43=reader.text("RDAP_PORT43", "whois.nic.coop") or None,
            tos_url=reader.text("RDAP_TOS_URL", DEFAULT_TOS_URL),
            trusted_proxies=reader.networks("TRUSTED_PROXIES"),
            max_path_bytes=reader.integer("RDAP_MAX_PATH_BYTES", 2048, minimum=64),
            max_request_line_bytes=reader.integer(
                "RDAP_MAX_REQUEST_LINE_BYTES", 65536, minimum=8190
            ),
            request_timeout_seconds=reader.number("RDAP_REQUEST_TIMEOUT_SECONDS", 10.0),
            max_concurrent_requests=reader.integer(
                "RDAP_MAX_CONCURRENT_REQUESTS", 256, minimum=1
            ),
            search_page_size=reader.integer("RDAP_SEARCH_PAGE_SIZE", 25, minimum=1),
            cursor_secret=reader.secret_hex("CURSOR_SECRET"),
        )
        settings = cls(
            database=database,
            rdap=rdap,
            whois=_whois_settings(reader),
            rate_limit=_rate_limit_settings(reader),
            metrics=MetricsSettings(
                host=reader.text("METRICS_HOST", "127.0.0.1"),
                port=reader.integer("METRICS_PORT", 0, minimum=0),
                usage_dir=Path(usage) if (usage := reader.text("USAGE_DIR", " ").strip())
                else None,
            ),
            access=_access_settings(reader),
        )
        workers = reader.integer("WORKERS", 1, minimum=1)
        return _checked_workers(replace(settings, workers=workers), f"{PREFIX}WORKERS")


MAX_WORKERS = 64


def _checked_workers(settings: Settings, source: str) -> Settings:
    """Workers share no memory: what must be one across them has to live outside."""
    count = settings.workers
    if not 1 <= count <= MAX_WORKERS:
        raise ConfigError(f"{source} must be between 1 and {MAX_WORKERS}, not {count}")
    if count == 1:
        return settings
    if settings.rate_limit.redis_url is None:
        # Per-process budgets would multiply every client's rate limit and its
        # personal-data quota by the number of workers.
        raise ConfigError(
            f"{source}={count} needs {PREFIX}REDIS_URL: rate limits and the personal-data "
            "quota must be shared between worker processes"
        )
    if 0 in (settings.rdap.port, settings.whois.port):
        raise ConfigError(f"{source}={count} needs fixed ports; port 0 picks one per process")
    return settings


def _access_settings(reader: _EnvReader) -> AccessSettings:
    clients = reader.text("CLIENTS_FILE", "")
    audit = reader.text("AUDIT_LOG", "")
    if clients and not audit:
        # Every non-public answer must be audited, so no clients without a log.
        raise ConfigError(f"{PREFIX}AUDIT_LOG is required when {PREFIX}CLIENTS_FILE is set")
    return AccessSettings(
        clients_file=Path(clients) if clients else None,
        audit_log=Path(audit) if audit else None,
        reverse_search_max_results=reader.integer("REVERSE_SEARCH_MAX_RESULTS", 50, minimum=1),
    )


def _rate_limit_settings(reader: _EnvReader) -> RateLimitSettings:
    defaults = RateLimitSettings()
    prefix = reader.integer("RATE_LIMIT_IPV6_PREFIX", defaults.ipv6_prefix, minimum=32)
    if prefix > 128:
        raise ConfigError(f"{PREFIX}RATE_LIMIT_IPV6_PREFIX must be at most 128")
    settings = RateLimitSettings(
        public_burst=reader.integer("RATE_LIMIT_PUBLIC_BURST", defaults.public_burst, minimum=1),
        public_per_second=reader.number("RATE_LIMIT_PUBLIC_PER_SECOND",
                                        defaults.public_per_second),
        authenticated_burst=reader.integer("RATE_LIMIT_AUTHENTICATED_BURST",
                                           defaults.authenticated_burst, minimum=1),
        authenticated_per_second=reader.number("RATE_LIMIT_AUTHENTICATED_PER_SECOND",
                                               defaults.authenticated_per_second),
        lookup_cost=reader.number("RATE_LIMIT_LOOKUP_COST", defaults.lookup_cost),
        search_cost=reader.number("RATE_LIMIT_SEARCH_COST", defaults.search_cost),
        ipv6_prefix=prefix,
        exempt_networks=reader.networks("RATE_LIMIT_EXEMPT_NETWORKS"),
        redis_url=reader.text("REDIS_URL", "") or None,
        max_keys=reader.integer("RATE_LIMIT_MAX_KEYS", defaults.max_keys, minimum=100),
        personal_data_daily_contacts=reader.integer(
            "PERSONAL_DATA_DAILY_CONTACTS", defaults.personal_data_daily_contacts, minimum=1
        ),
        personal_data_strikes_for_long_block=reader.integer(
            "PERSONAL_DATA_STRIKES_FOR_LONG_BLOCK",
            defaults.personal_data_strikes_for_long_block,
            minimum=1,
        ),
        personal_data_strike_window_days=reader.integer(
            "PERSONAL_DATA_STRIKE_WINDOW_DAYS", defaults.personal_data_strike_window_days,
            minimum=1,
        ),
        personal_data_long_block_days=reader.integer(
            "PERSONAL_DATA_LONG_BLOCK_DAYS", defaults.personal_data_long_block_days, minimum=1
        ),
    )
    smallest_burst = min(settings.public_burst, settings.authenticated_burst)
    costs = (("LOOKUP_COST", settings.lookup_cost), ("SEARCH_COST", settings.search_cost))
    for name, cost in costs:
        if cost > smallest_burst:
            raise ConfigError(f"{PREFIX}RATE_LIMIT_{name} must not exceed the smallest burst")
    return settings


def _whois_settings(reader: _EnvReader) -> WhoisSettings:
    defaults = WhoisSettings()
    raw_hosts = reader.text("WHOIS_HOSTS", "127.0.0.1").split(",")
    hosts = tuple(host.strip() for host in raw_hosts if host.strip())
    return WhoisSettings(
        hosts=hosts,
        port=reader.integer("WHOIS_PORT", defaults.port, minimum=0),
        max_query_bytes=reader.integer("WHOIS_MAX_QUERY_BYTES", defaults.max_query_bytes,
                                       minimum=16),
        read_timeout_seconds=reader.number("WHOIS_READ_TIMEOUT_SECONDS",
                                           defaults.read_timeout_seconds),
        write_timeout_seconds=reader.number("WHOIS_WRITE_TIMEOUT_SECONDS",
                                            defaults.write_timeout_seconds),
        connection_deadline_seconds=reader.number("WHOIS_CONNECTION_DEADLINE_SECONDS",
                                                  defaults.connection_deadline_seconds),
        max_connections=reader.integer("WHOIS_MAX_CONNECTIONS", defaults.max_connections,
                                       minimum=1),
        max_connections_per_address=reader.integer(
            "WHOIS_MAX_CONNECTIONS_PER_ADDRESS", defaults.max_connections_per_address, minimum=1
        ),
        shutdown_grace_seconds=reader.number("WHOIS_SHUTDOWN_GRACE_SECONDS",
                                             defaults.shutdown_grace_seconds),
        max_hosts_per_reply=reader.integer("WHOIS_MAX_HOSTS_PER_REPLY",
                                           defaults.max_hosts_per_reply, minimum=1),
    )


@dataclass(frozen=True, slots=True)
class _EnvReader:
    env: Mapping[str, str]

    def text(self, name: str, default: str | None = None) -> str:
        value = self.env.get(PREFIX + name)
        if value is None or value == "":
            if default is None:
                raise ConfigError(f"{PREFIX}{name} is required")
            return default
        return value

    def integer(self, name: str, default: int, *, minimum: int) -> int:
        raw = self.env.get(PREFIX + name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{PREFIX}{name} must be an integer") from None
        if value < minimum:
            raise ConfigError(f"{PREFIX}{name} must be at least {minimum}")
        return value

    def _float(self, name: str) -> float | None:
        raw = self.env.get(PREFIX + name)
        if raw is None or raw == "":
            return None
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"{PREFIX}{name} must be a number") from None

    def number(self, name: str, default: float) -> float:
        value = self._float(name)
        if value is None:
            return default
        if not value > 0:
            raise ConfigError(f"{PREFIX}{name} must be positive")
        return value

    def seconds_or_zero(self, name: str, default: float) -> float:
        value = self._float(name)
        if value is None:
            return default
        if not 0 <= value <= 3600:
            raise ConfigError(f"{PREFIX}{name} must be between 0 and 3600")
        return value

    def base_url(self, name: str, default: str) -> str:
        value = self.text(name, default)
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or not value.endswith("/"):
            raise ConfigError(f"{PREFIX}{name} must be an http(s) URL ending with '/'")
        return value

    def secret_hex(self, name: str) -> bytes | None:
        raw = self.env.get(PREFIX + name, "")
        if not raw:
            return None
        try:
            secret = bytes.fromhex(raw)
        except ValueError:
            raise ConfigError(f"{PREFIX}{name} must be hexadecimal") from None
        if len(secret) < 16:
            raise ConfigError(f"{PREFIX}{name} must be at least 16 bytes (32 hex digits)")
        return secret

    def networks(self, name: str) -> tuple[IPNetwork, ...]:
        raw = self.env.get(PREFIX + name, "")
        try:
            return tuple(
                ipaddress.ip_network(item.strip(), strict=False)
                for item in raw.split(",")
                if item.strip()
            )
        except ValueError:
            raise ConfigError(f"{PREFIX}{name} must be comma-separated networks") from None
