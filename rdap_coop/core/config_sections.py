"""The sections of the settings tree: each part of the service and the limits it is given.

Frozen and picklable, so a worker process receives exactly the settings its supervisor
validated (core/workers.py). Built only by ``config.py``, which also re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdap_coop.core.config_reader import IPNetwork, mask_url

DEFAULT_TOS_URL = "https://identity.coop/policies/rdds-terms-of-use/"


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
        replicas = [mask_url(dsn) for dsn in self.dsns]
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
    # Set by the worker supervisor (core/workers.py), never by the operator: where
    # prometheus-client's multiprocess files of this run's workers live.
    multiprocess_dir: Path | None = None


@dataclass(frozen=True, slots=True)
class LoggingSettings:
    """How the processes log: human text, or one JSON object a line for a log shipper."""

    format: str = "text"
    level: str = "INFO"
    # False silences the per-query lines of core/access_log.py, keeping everything else.
    access_log: bool = True
