"""Which replica a lookup is read from: health, freshness, failover and return.

The registry runs hot standbys of its primary; we keep one small pool per configured
replica and send every lookup to the first one, in the operator's order of preference,
that is up and no further behind the registry than ``replica_max_lag_seconds``; else
to the first one up at all (an answer stamped with its honest, older "last update"
beats none, SPEC REP-02); else the lookup fails at once with ``BackendUnavailable``
(503) rather than queueing behind connect timeouts. Each replica is checked every
``replica_check_seconds``: reachable, and how far its data is behind (now minus the
registry's last change replayed on it, ``registry_freshness()``). A lookup whose
connection fails marks its replica down on the spot and is repeated on the next one --
read-only lookups are safe to repeat -- so a dying standby costs no answer; a down
replica is tried again after one check period, by the checker or by traffic, and
lookups return to the preferred replica as soon as it is healthy.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import asyncpg

from rdap_coop.core.config import DatabaseSettings
from rdap_coop.core.db import Connection, Pool, PooledConnection, close_pool, open_pool
from rdap_coop.core.errors import BackendUnavailable
from rdap_coop.core.metrics import DatabaseMetrics

log = logging.getLogger(__name__)

R = TypeVar("R")

UNAVAILABLE_TEXT = "The registration database is temporarily unavailable; try again shortly."

# Failures of the connection itself: the replica stopped or restarted, or a pooled
# connection went stale. An idle connection that received the server's shutdown
# notice surfaces as an InternalClientError on its next use, so that counts too.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.PostgresConnectionError,
    asyncpg.AdminShutdownError,
    asyncpg.CannotConnectNowError,
    ConnectionError,
    OSError,
)
# Anything else the driver or the clock can throw at a lookup: a 503, never a 500.
BACKEND_ERRORS: tuple[type[BaseException], ...] = (
    *CONNECTION_ERRORS,
    asyncpg.PostgresError,
    TimeoutError,
)



class _PoolBusy(Exception):
    """Every connection of a live replica is in use: overload, not a failure to fail over."""


class _Unreachable(ConnectionError):
    """No connection could be made in time: the replica is as good as down."""


HEALTH_QUERY = """
SELECT pg_is_in_recovery() AS standby,
       registry_freshness() AS freshness,
       extract(epoch FROM now() - registry_freshness())::float8 AS lag_seconds
"""


@dataclass(slots=True)
class Replica:
    """One configured replica and what the last check or lookup learned of it."""

    index: int
    pool: Pool
    is_up: bool = True  # optimistic until a check or a lookup says otherwise
    lag_seconds: float | None = None
    freshness: datetime | None = None
    retry_at: float = 0.0  # monotonic time after which a down replica is tried again
    answered_at: float = float("-inf")  # monotonic time of its last successful lookup or check

    @property
    def label(self) -> str:
        """Its metric label: the position in the configured list, never the DSN."""
        return str(self.index)


@dataclass(frozen=True, slots=True)
class Readiness:
    is_ready: bool
    reason: str
    lag_seconds: float | None


class ReplicaSet:
    """The replicas in the operator's order of preference, and the lookups' way to them."""

    def __init__(
        self,
        pools: Sequence[Pool],
        settings: DatabaseSettings,
        metrics: DatabaseMetrics | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not pools:
            raise ValueError("at least one replica is needed")
        self.replicas = [Replica(index, pool) for index, pool in enumerate(pools)]
        self._settings = settings
        self._metrics = metrics
        self._clock = clock
        self._in_use: Replica | None = None
        if metrics is not None:
            for replica in self.replicas:
                metrics.pool_max_connections.labels(replica.label).set(settings.pool_max_size)

    @classmethod
    async def open(
        cls, settings: DatabaseSettings, metrics: DatabaseMetrics | None = None
    ) -> ReplicaSet:
        """One lazily connecting pool per configured DSN (nothing connects yet)."""
        pools = [await open_pool(settings, dsn) for dsn in settings.dsns]
        return cls(pools, settings, metrics)

    async def close(self) -> None:
        await asyncio.gather(*(close_pool(replica.pool) for replica in self.replicas))

    def candidates(self) -> list[Replica]:
        """The replicas to try, best first: up and fresh, then up but behind, then those
        whose retry time has come. Empty when every replica is known to be down."""
        now = self._clock()
        limit = self._settings.replica_max_lag_seconds
        up = [r for r in self.replicas if r.is_up]
        fresh = [r for r in up if r.lag_seconds is None or r.lag_seconds <= limit]
        behind = [r for r in up if r not in fresh]
        due = [r for r in self.replicas if not r.is_up and r.retry_at <= now]
        return fresh + behind + due

    async def run(self, work: Callable[[Connection], Awaitable[R]]) -> R:
        """``work`` on a connection of the best replica, repeated on the next one when a
        connection fails; BackendUnavailable when none can answer."""
        failure: BaseException | None = None
        for replica in self.candidates():
            try:
                result = await self._attempt(replica, work)
            except _PoolBusy as error:
                raise BackendUnavailable(UNAVAILABLE_TEXT) from error
            except CONNECTION_ERRORS as error:
                await self._mark_down(replica, error)
                failure = error
            except BACKEND_ERRORS as error:
                # Slow or refusing queries: the replica is alive, so no failover.
                raise BackendUnavailable(UNAVAILABLE_TEXT) from error
            else:
                # Counted on success only: lookups still in flight on a replica that
                # has just died must not count as moving back to it.
                self._note_in_use(replica)
                return result
        raise BackendUnavailable(UNAVAILABLE_TEXT) from failure

    async def _attempt(self, replica: Replica, work: Callable[[Connection], Awaitable[R]]) -> R:
        started = time.perf_counter()
        connection = await self._acquire(replica)
        if self._metrics is not None:
            self._metrics.acquire_wait.observe(time.perf_counter() - started)
        try:
            result = await work(connection)
        except CONNECTION_ERRORS:
            connection.terminate()
            raise
        finally:
            await replica.pool.release(connection)
        replica.answered_at = self._clock()
        if not replica.is_up:
            self._mark_up(replica)
        return result

    async def _acquire(self, replica: Replica) -> PooledConnection:
        pool = replica.pool
        try:
            async with asyncio.timeout(self._settings.acquire_timeout_seconds):
                return await pool.acquire()
        except TimeoutError:
            # (TimeoutError is an OSError: tell overload apart from a dead replica here.)
            # A replica with a lookup in progress, or that answered while we waited, is
            # alive: the wait was overload. Free slots at this instant prove nothing: a
            # connection released a moment ago and not yet taken by the next waiter, or
            # one still being made, looks like a slot that could not connect.
            working = pool.get_size() > pool.get_idle_size()
            waited = self._settings.acquire_timeout_seconds
            if working or self._clock() - replica.answered_at <= waited:
                raise _PoolBusy from None
            raise _Unreachable(f"no connection to replica {replica.label} in time") from None

    async def _mark_down(self, replica: Replica, error: BaseException | None) -> None:
        replica.retry_at = self._clock() + self._settings.replica_check_seconds
        if replica.is_up:
            replica.is_up = False
            log.warning("replica %s is down (%s)", replica.label,
                        type(error).__name__ if error is not None else "check failed")
            # Its other pooled connections died with it: reconnect on next use rather
            # than fail once per stale connection when it is back.
            await replica.pool.expire_connections()

    def _mark_up(self, replica: Replica) -> None:
        replica.is_up = True
        log.info("replica %s is up again", replica.label)

    def _note_in_use(self, replica: Replica) -> None:
        previous = self._in_use
        if previous is replica:
            return
        self._in_use = replica
        if previous is not None:
            log.warning("lookups moved from replica %s to replica %s",
                        previous.label, replica.label)
            if self._metrics is not None:
                self._metrics.failovers.inc()

    async def check(self) -> None:
        """Check every replica once, concurrently; then refresh the metrics."""
        await asyncio.gather(*(self._check(replica) for replica in self.replicas))
        best = self.candidates()
        if best:
            self._note_in_use(best[0])
        self._publish()

    async def _check(self, replica: Replica) -> None:
        async def probe(connection: Connection) -> None:
            row = await connection.fetchrow(HEALTH_QUERY)
            assert row is not None
            replica.freshness = row["freshness"]
            replica.lag_seconds = max(0.0, row["lag_seconds"] or 0.0)

        try:
            async with asyncio.timeout(self._settings.replica_check_seconds * 2):
                await self._attempt(replica, probe)
        except _PoolBusy:
            pass  # every connection is answering lookups: alive, its lag as last measured
        except BACKEND_ERRORS as error:
            await self._mark_down(replica, error)

    async def keep_checking(self) -> None:
        """Check forever, every ``replica_check_seconds`` (a task of the runtime)."""
        while True:
            try:
                await self.check()
            except Exception:  # a background loop is an edge: it must outlive any bug
                log.exception("replica check failed")
            await asyncio.sleep(self._settings.replica_check_seconds)

    def readiness(self) -> Readiness:
        """Ready when some replica is up and fresher than ``ready_max_lag_seconds``."""
        up = [r for r in self.replicas if r.is_up and r.lag_seconds is not None]
        if not up:
            return Readiness(False, "no replica reachable", None)
        lag = min(r.lag_seconds for r in up if r.lag_seconds is not None)
        if lag > self._settings.ready_max_lag_seconds:
            return Readiness(False, "every reachable replica is behind", lag)
        return Readiness(True, "ok", lag)

    def _publish(self) -> None:
        metrics = self._metrics
        if metrics is None:
            return
        for replica in self.replicas:
            label = replica.label
            metrics.replica_up.labels(label).set(1.0 if replica.is_up else 0.0)
            metrics.replica_in_use.labels(label).set(1.0 if replica is self._in_use else 0.0)
            if replica.lag_seconds is not None:
                metrics.replica_lag.labels(label).set(replica.lag_seconds)
            size, idle = replica.pool.get_size(), replica.pool.get_idle_size()
            metrics.pool_connections.labels(label, "in_use").set(size - idle)
            metrics.pool_connections.labels(label, "idle").set(idle)
        in_use = self._in_use
        if in_use is not None and in_use.freshness is not None:
            metrics.freshness.set(in_use.freshness.timestamp())
