"""Prometheus metrics with closed label sets, and their internal exposition server.

Labels take only values from the fixed sets below -- service, query kind, outcome,
tier, reason -- never a domain, handle or address, so the series count stays bounded
whatever clients send (and no personal data can reach a dashboard). Each process has
its own registry object, passed explicitly like the settings; it is exposed on an
internal port, apart from the public listeners (core/internal_http.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, Literal, TypeVar, cast

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    multiprocess,
)
from prometheus_client.exposition import generate_latest

Service = Literal["rdap", "whois"]
Outcome = Literal["ok", "not_found", "invalid", "rate_limited", "unavailable", "error"]
LimitOutcome = Literal["allowed", "refused", "exempt"]
QuotaOutcome = Literal["within", "exceeded"]
ShedReason = Literal["concurrency", "connections"]

OUTCOME_BY_STATUS: Final[dict[int, Outcome]] = {
    200: "ok",
    204: "ok",
    400: "invalid",
    401: "invalid",
    403: "invalid",
    404: "not_found",
    405: "invalid",
    422: "invalid",
    429: "rate_limited",
    501: "invalid",
    503: "unavailable",
}


def outcome_of_status(status: int) -> Outcome:
    return OUTCOME_BY_STATUS.get(status, "error")


M = TypeVar("M", Counter, Gauge, Histogram)


class DatabaseMetrics:
    """The replicas as the service sees them (SPEC SLA-02, REP-01); ``replica`` is the
    replica's position in the configured list ("0" is the preferred), never its DSN."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.replica_up = Gauge(
            "rdap_coop_replica_up", "1 while the replica answers its health check.",
            ["replica"], registry=registry, multiprocess_mode="livemax",
        )
        self.replica_lag = Gauge(
            "rdap_coop_replica_lag_seconds",
            "How far the replica's data is behind now: now minus the registry's last "
            "change replayed on it.",
            ["replica"], registry=registry, multiprocess_mode="livemax",
        )
        self.replica_in_use = Gauge(
            "rdap_coop_replica_in_use", "1 for the replica lookups are sent to.",
            ["replica"], registry=registry, multiprocess_mode="livemax",
        )
        self.freshness = Gauge(
            "rdap_coop_database_freshness_timestamp_seconds",
            "Unix time of the registry's last change replayed on the replica in use "
            "(the 'last update of RDAP database' event).",
            registry=registry, multiprocess_mode="livemin",
        )
        self.failovers = Counter(
            "rdap_coop_replica_failovers",
            "Times lookups moved from one replica to another.", registry=registry,
        )
        self.pool_connections = Gauge(
            "rdap_coop_db_pool_connections",
            "Connections of each replica's pool, by state (in_use, idle).",
            ["replica", "state"], registry=registry, multiprocess_mode="livesum",
        )
        self.pool_max_connections = Gauge(
            "rdap_coop_db_pool_max_connections", "The size limit of each replica's pool.",
            ["replica"], registry=registry, multiprocess_mode="livesum",
        )
        self.acquire_wait = Histogram(
            "rdap_coop_db_acquire_wait_seconds",
            "Time a lookup waited for a database connection.",
            buckets=(0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 2.0),
            registry=registry,
        )


class Metrics:
    """Every metric of one process, registered in its own registry."""

    def __init__(self, multiprocess_dir: Path | None = None) -> None:
        self.registry = CollectorRegistry()
        self.multiprocess_dir = multiprocess_dir
        self._children: dict[tuple[object, ...], Any] = {}
        self.requests = Counter(
            "rdap_coop_requests",
            "Queries answered, by service, query kind and outcome.",
            ["service", "kind", "outcome"],
            registry=self.registry,
        )
        self.request_duration = Histogram(
            "rdap_coop_request_duration_seconds",
            "Time from a query's arrival to its answer, by service and query kind.",
            ["service", "kind"],
            # Fine below 100 ms where we live; 4 s is the ICANN round-trip SLA bound.
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0,
                     10.0),
            registry=self.registry,
        )
        self.database = DatabaseMetrics(self.registry)
        self.rate_limit_decisions = Counter(
            "rdap_coop_rate_limit_decisions",
            "Rate-limit decisions, by service, access tier and outcome.",
            ["service", "tier", "outcome"],
            registry=self.registry,
        )
        self.shed = Counter(
            "rdap_coop_shed_requests",
            "Requests or connections refused at once because of overload.",
            ["service", "reason"],
            registry=self.registry,
        )
        self.personal_data_quota = Counter(
            "rdap_coop_personal_data_quota_decisions",
            "Personal-data quota decisions for answers showing personal data.",
            ["service", "outcome"],
            registry=self.registry,
        )
        self.disclosures = Counter(
            "rdap_coop_disclosures",
            "Non-public answers, by service, tier, purpose and outcome (audited, refused).",
            ["service", "tier", "purpose", "outcome"],
            registry=self.registry,
        )
        self.auth_failures = Counter(
            "rdap_coop_authentication_failures",
            "Requests with credentials that were not accepted, by reason.",
            ["service", "reason"],
            registry=self.registry,
        )
        self.rate_limit_store_degraded = Gauge(
            "rdap_coop_rate_limit_store_degraded",
            "1 while the shared (Redis) store is unreachable and limits are per process.",
            registry=self.registry,
            multiprocess_mode="livemax",
        )
        self._samplers: list[Callable[[], None]] = []

    def watch_store(self, is_degraded: Callable[[], bool]) -> None:
        self._samplers.append(
            lambda: self.rate_limit_store_degraded.set(float(is_degraded()))
        )

    def refresh(self) -> None:
        """Sample the gauges that mirror state held elsewhere.

        Set explicitly rather than with ``set_function`` because under several workers
        only written values reach prometheus-client's multiprocess files; the runtime
        calls this every second, and the exposition once more before rendering.
        """
        for sample in self._samplers:
            sample()

    def count_request(self, service: Service, kind: str, outcome: Outcome) -> None:
        self._child(self.requests, service, kind, outcome).inc()

    def observe_duration(self, service: Service, kind: str, seconds: float) -> None:
        self._child(self.request_duration, service, kind).observe(seconds)

    def count_limit(self, service: Service, tier: str, outcome: LimitOutcome) -> None:
        self._child(self.rate_limit_decisions, service, tier, outcome).inc()

    def count_shed(self, service: Service, reason: ShedReason) -> None:
        self._child(self.shed, service, reason).inc()

    def count_quota(self, service: Service, outcome: QuotaOutcome) -> None:
        self._child(self.personal_data_quota, service, outcome).inc()

    def count_disclosure(self, service: Service, tier: str, purpose: str, outcome: str) -> None:
        self._child(self.disclosures, service, tier, purpose, outcome).inc()

    def count_auth_failure(self, service: Service, reason: str) -> None:
        self._child(self.auth_failures, service, reason).inc()

    def _child(self, metric: M, *labels: str) -> M:
        """The labelled child, bound once: ``labels()`` validates and locks on every call,
        which showed up in the serving path's profile. The label sets are closed, so
        this map stays as small as the metrics themselves."""
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return cast(M, child)

    def exposition(self) -> bytes:
        """The Prometheus text: this process's metrics, or under several workers every
        worker's, merged from prometheus-client's multiprocess files."""
        self.refresh()
        if self.multiprocess_dir is None:
            return generate_latest(self.registry)
        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(  # type: ignore[no-untyped-call]
            merged, path=str(self.multiprocess_dir)
        )
        return generate_latest(merged)
