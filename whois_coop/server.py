"""The port-43 server: RFC 3912, one query per connection, every limit explicit.

An ``asyncio.Protocol`` rather than streams (measured 1.3-1.9x faster here). Each
connection is bounded four ways: admission (a cap overall and per client address,
refused with one polite line), the read phase (the whole query line within
``read_timeout_seconds`` and ``max_query_bytes``, however a client paces its
bytes), the write phase (a client that does not read is aborted after
``write_timeout_seconds``) and a total deadline. This module and nothing else
turns failures into WHOIS text: ``LookupFailed`` becomes its fixed line, anything
unexpected a generic line with the traceback only in the log.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import cast

from rdap_coop.core.access import AccessControl, Identity
from rdap_coop.core.access_log import log_access
from rdap_coop.core.cache import LookupCache
from rdap_coop.core.clients import IPAddress
from rdap_coop.core.config import WhoisSettings
from rdap_coop.core.errors import BackendUnavailable, InvalidQuery, LookupFailed, RateLimited
from rdap_coop.core.metrics import LimitOutcome, Metrics, Outcome
from rdap_coop.core.queries import Registry
from rdap_coop.core.ratelimit import (
    UNKNOWN_CLIENT_KEY,
    QueryCost,
    address_key,
    client_address,
    refusal,
)
from rdap_coop.core.ratelimit_setup import LimiterHandle
from whois_coop import render
from whois_coop.lookup import Asker, LookupContext, PublicReplies, answer_query
from whois_coop.protocol import parse_whois_query

PUBLIC_REPLY_CACHE_ENTRIES = 2000  # at most 12 MB of two 3-KB replies each

log = logging.getLogger(__name__)


def failure_text(error: LookupFailed) -> str:
    if isinstance(error, InvalidQuery):
        return render.render_failure_line(render.Failure.INVALID_QUERY)
    if isinstance(error, RateLimited):
        return render.render_failure_line(render.Failure.RATE_LIMITED)
    if isinstance(error, BackendUnavailable):
        return render.render_failure_line(render.Failure.UNAVAILABLE)
    return render.render_failure_line(render.Failure.INTERNAL)


OUTCOME_BY_ERROR: dict[type[LookupFailed], Outcome] = {
    InvalidQuery: "invalid",
    RateLimited: "rate_limited",
    BackendUnavailable: "unavailable",
}


def _outcome_of(error: LookupFailed) -> Outcome:
    return next((o for cls, o in OUTCOME_BY_ERROR.items() if isinstance(error, cls)), "error")


async def reply_to(raw: bytes, server: WhoisServer, peer: str) -> bytes:
    """The complete reply to one query line from ``peer``; never raises."""
    started = time.perf_counter()
    request_id = uuid.uuid4().hex
    kind = "unparsed"
    outcome: Outcome = "ok"
    client, tier = UNKNOWN_CLIENT_KEY, "public"
    try:
        address = client_address(peer, None, trusted_proxies=())
        identity = server.access.whois_identity(address)
        tier = identity.viewer.tier.value
        client = address_key(address, ipv6_prefix=server.ipv6_prefix)
        # Charged before parsing: malformed and not-found queries cost as much as any.
        await server.charge(address, identity)
        query = parse_whois_query(raw, max_query_bytes=server.settings.max_query_bytes)
        kind = query.kind.value
        answer = await answer_query(query, server.context, Asker(identity.viewer, client))
        if not identity.is_public:
            await server.access.record(
                identity,
                service="whois",
                request_id=request_id,
                query=raw.decode("utf-8", "replace").strip(),
                answered=answer.answered,
                client_address=peer,
            )
        text = answer.text
    except LookupFailed as error:
        text, outcome = failure_text(error), _outcome_of(error)
    except Exception:
        log.exception("unhandled error answering a WHOIS query %s", request_id)
        text, outcome = render.render_failure_line(render.Failure.INTERNAL), "error"
    if outcome == "ok" and text.startswith("No match for"):
        outcome = "not_found"
    elapsed = time.perf_counter() - started
    server.metrics.count_request("whois", kind, outcome)
    server.metrics.observe_duration("whois", kind, elapsed)
    log_access(service="whois", request_id=request_id, kind=kind, outcome=outcome,
               duration_seconds=elapsed, client=client, tier=tier)
    return text.encode("utf-8")


class WhoisServer:
    """Owns the listeners, the admission counts and the in-flight replies."""

    def __init__(
        self,
        registry: Registry,
        settings: WhoisSettings,
        limits: LimiterHandle,
        *,
        ipv6_prefix: int = 64,
        metrics: Metrics | None = None,
        access: AccessControl | None = None,
    ) -> None:
        self.metrics = metrics if metrics is not None else Metrics()
        self.access = access if access is not None else AccessControl(None, None)
        replies: LookupCache[PublicReplies] = LookupCache(
            ttl_seconds=registry.cache_ttl_seconds, max_entries=PUBLIC_REPLY_CACHE_ENTRIES
        )
        self.context = LookupContext(registry, settings, limits.quota, self.metrics, replies)
        self.registry = registry
        self.settings = settings
        self.limiter = limits.limiter
        self.quota = limits.quota
        self.ipv6_prefix = ipv6_prefix
        self.connections_by_address: Counter[str] = Counter()
        self.connection_count = 0
        self.replies: set[asyncio.Task[None]] = set()
        self.protocols: set[WhoisProtocol] = set()
        self._servers: list[asyncio.Server] = []

    async def charge(self, address: IPAddress | None, identity: Identity) -> str:
        """Charge one query from ``address``; returns the budget key it was charged to."""
        key = address_key(address, ipv6_prefix=self.ipv6_prefix)
        tier = identity.viewer.tier
        decision = await self.limiter.check(
            key, tier=tier, cost=QueryCost.LOOKUP, address=address
        )
        outcome: LimitOutcome = "exempt"
        if decision is not None:
            outcome = "allowed" if decision.allowed else "refused"
        self.metrics.count_limit("whois", tier.value, outcome)
        if decision is not None and not decision.allowed:
            raise refusal(decision)
        return key

    def admits(self, address: str) -> bool:
        return (
            self.connection_count < self.settings.max_connections
            and self.connections_by_address[address] < self.settings.max_connections_per_address
        )

    async def start(
        self, hosts: Sequence[str] | None = None, port: int | None = None, *,
        reuse_port: bool = False,
    ) -> None:
        """Listen; ``reuse_port`` lets several worker processes share the port."""
        loop = asyncio.get_running_loop()
        for host in hosts or self.settings.hosts:
            server = await loop.create_server(
                lambda: WhoisProtocol(self),
                host,
                self.settings.port if port is None else port,
                reuse_address=True,
                reuse_port=reuse_port or None,
            )
            self._servers.append(server)

    @property
    def ports(self) -> list[int]:
        return [sock.getsockname()[1] for server in self._servers for sock in server.sockets]

    async def stop(self) -> None:
        """Stop accepting, let in-flight replies finish within the grace, then cut."""
        for server in self._servers:
            server.close()
        if self.replies:
            await asyncio.wait(set(self.replies), timeout=self.settings.shutdown_grace_seconds)
        for protocol in list(self.protocols):
            protocol.abort()
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()


class WhoisProtocol(asyncio.Protocol):
    """One client connection: read one line, answer it, close."""

    def __init__(self, server: WhoisServer) -> None:
        self._server = server
        self._settings = server.settings
        self._transport: asyncio.Transport | None = None
        self._address = ""
        self._admitted = False
        self._buffer = bytearray()
        self._query_taken = False  # one query per connection (RFC 3912)
        self._replied = False
        self._peer_closed = False
        self._reply: asyncio.Task[None] | None = None
        self._timers: list[asyncio.TimerHandle] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport, but not always an asyncio.Transport subclass: uvloop's
        # UVTransport only implements the interface.
        stream = cast(asyncio.Transport, transport)
        self._transport = stream
        peer = stream.get_extra_info("peername")
        self._address = str(peer[0]) if peer else ""
        self._server.protocols.add(self)
        if not self._server.admits(self._address):
            self._server.metrics.count_shed("whois", "connections")
            stream.write(render.render_failure_line(render.Failure.TOO_MANY).encode())
            stream.close()
            return
        self._admitted = True
        self._server.connection_count += 1
        self._server.connections_by_address[self._address] += 1
        loop = asyncio.get_running_loop()
        self._timers = [
            loop.call_later(self._settings.read_timeout_seconds, self._read_timed_out),
            loop.call_later(self._settings.connection_deadline_seconds, self.abort),
        ]

    def data_received(self, data: bytes) -> None:
        if self._query_taken or self._transport is None:
            return  # later bytes are ignored: one query per connection
        self._buffer += data
        end = self._buffer.find(b"\n")
        if end >= 0:
            self._answer(bytes(self._buffer[: end + 1]))
        elif len(self._buffer) > self._settings.max_query_bytes:
            self._close_with(render.Failure.TOO_LONG)

    def eof_received(self) -> bool:
        self._peer_closed = True
        # A client that half-closes without a line terminator still gets its answer.
        if not self._query_taken and self._buffer:
            self._answer(bytes(self._buffer))
        # Our half stays open only while a reply is still to be written.
        return self._query_taken and not self._replied

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in self._timers:
            timer.cancel()
        self._server.protocols.discard(self)
        if self._admitted:
            self._admitted = False
            self._server.connection_count -= 1
            self._server.connections_by_address[self._address] -= 1
            if self._server.connections_by_address[self._address] <= 0:
                del self._server.connections_by_address[self._address]
        if self._reply is not None and not self._reply.done():
            self._reply.cancel()
        self._transport = None

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def _read_timed_out(self) -> None:
        if not self._query_taken and self._transport is not None:
            self._close_with(render.Failure.TIMEOUT)

    def _close_with(self, failure: render.Failure) -> None:
        self._query_taken = True
        self._send(render.render_failure_line(failure).encode())

    def _answer(self, raw: bytes) -> None:
        self._query_taken = True
        self._reply = asyncio.get_running_loop().create_task(self._reply_and_close(raw))
        self._server.replies.add(self._reply)
        self._reply.add_done_callback(self._server.replies.discard)

    async def _reply_and_close(self, raw: bytes) -> None:
        reply = await reply_to(raw, self._server, self._address)
        if self._transport is not None:
            self._send(reply)

    def _send(self, payload: bytes) -> None:
        if self._transport is None:
            return
        self._replied = True
        self._transport.write(payload)
        if self._peer_closed:
            self._transport.close()  # flushes what is buffered, then closes
        else:
            # A lingering close: end our half and let the client end its own. Closing
            # with bytes of its still unread (more after its line, or a line too long)
            # makes the kernel reset the connection, and a reset can destroy the reply
            # before the client reads it. Its later bytes are ignored, and the timer
            # below still cuts off a client that never reads or never closes.
            self._transport.write_eof()
        self._timers.append(
            asyncio.get_running_loop().call_later(self._settings.write_timeout_seconds, self.abort)
        )
