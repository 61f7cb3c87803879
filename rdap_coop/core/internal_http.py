"""The internal listener of each service: ``/metrics``, ``/health`` and ``/ready``.

Kept apart from the public ports (metrics and readiness are for operators, STYLE 10)
and written on the standard library's asyncio, so the WHOIS service -- which has no
HTTP stack -- serves the same three paths as RDAP. One request per connection, a
bounded request head and a read deadline: this port may be reachable by more than
the monitoring system. It runs on the service's own event loop, so readiness reads
the replica state the lookups use, with no locking.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import orjson
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from rdap_coop.core.replicas import Readiness

MAX_HEAD_BYTES = 8192
READ_TIMEOUT_SECONDS = 5.0
JSON = "application/json"


@dataclass(frozen=True, slots=True)
class InternalEndpoints:
    """What the three paths answer from: the exposition text and the replicas' state."""

    exposition: Callable[[], bytes]
    readiness: Callable[[], Readiness]


def health_document() -> dict[str, object]:
    """``/health``: the process is alive and its event loop answers."""
    return {"status": "ok"}


def readiness_document(readiness: Readiness) -> dict[str, object]:
    """``/ready``: whether a replica is reachable and fresh enough (SPEC REP-02)."""
    document: dict[str, object] = {
        "status": "ready" if readiness.is_ready else "not ready",
        "reason": readiness.reason,
    }
    if readiness.lag_seconds is not None:
        document["replicaLagSeconds"] = round(readiness.lag_seconds, 3)
    return document


async def serve_internal(
    endpoints: InternalEndpoints, host: str, port: int, *, reuse_port: bool = False
) -> asyncio.Server:
    """Listen on ``host:port``; ``reuse_port`` lets every worker bind the same port."""

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            writer.write(await _respond(endpoints, reader))
            await writer.drain()
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError,
                asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    return await asyncio.start_server(
        on_connection, host, port, limit=MAX_HEAD_BYTES, reuse_address=True,
        reuse_port=reuse_port or None,
    )


async def _respond(endpoints: InternalEndpoints, reader: asyncio.StreamReader) -> bytes:
    async with asyncio.timeout(READ_TIMEOUT_SECONDS):
        head = await reader.readuntil(b"\r\n\r\n")
    method, _, rest = head.split(b"\r\n", 1)[0].decode("latin-1").partition(" ")
    path = rest.split(" ", 1)[0].split("?", 1)[0]
    if method not in ("GET", "HEAD"):
        return _response(405, JSON, orjson.dumps({"error": "GET or HEAD only"}), method)
    if path == "/metrics":
        return _response(200, CONTENT_TYPE_LATEST, endpoints.exposition(), method)
    if path == "/health":
        return _response(200, JSON, orjson.dumps(health_document()), method)
    if path == "/ready":
        readiness = endpoints.readiness()
        status = 200 if readiness.is_ready else 503
        return _response(status, JSON, orjson.dumps(readiness_document(readiness)), method)
    return _response(404, JSON, orjson.dumps({"error": "not found"}), method)


REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}


def _response(status: int, content_type: str, body: bytes, method: str) -> bytes:
    head = (
        f"HTTP/1.1 {status} {REASONS[status]}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
    )
    return head.encode("ascii") + (b"" if method == "HEAD" else body)
