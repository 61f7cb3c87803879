"""The ceilings the benchmark compares us with: servers that do nothing but answer.

``http SIZE PORT``: a bare aiohttp + orjson handler returning a JSON body of SIZE bytes.
``whois SIZE PORT``: a bare asyncio Protocol port-43 responder writing SIZE bytes per
query and closing (RFC 3912: one query per connection). Both run on uvloop when it is
installed, as the service does, and bind with SO_REUSEPORT so that the benchmark can
start as many of each as the service has workers.
``asyncpg DSN NAMES CONCURRENCY SECONDS OUT``: the raw driver fetching the domain
documents for the names in the file NAMES; writes the elapsed seconds and each
fetch's latency (ms) to OUT.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import orjson
from aiohttp import web
from measure import asyncpg_fetches

from rdap_coop.core.lifecycle import run, wait_for_stop_signal


def json_body(size: int) -> bytes:
    padding = max(0, size - len(orjson.dumps({"objectClassName": "domain", "pad": ""})))
    return orjson.dumps({"objectClassName": "domain", "pad": "x" * padding})


async def serve_http(size: int, port: int) -> None:
    document = orjson.loads(json_body(size))

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=orjson.dumps(document), content_type="application/rdap+json")

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    # reuse_port: the benchmark starts as many copies as the service has workers.
    await web.TCPSite(runner, "127.0.0.1", port, reuse_port=True).start()
    await wait_for_stop_signal()
    await runner.cleanup()


class Responder(asyncio.Protocol):
    def __init__(self, reply: bytes) -> None:
        self.reply = reply
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self.transport is not None and b"\n" in data:
            self.transport.write(self.reply)
            self.transport.close()


async def serve_whois(size: int, port: int) -> None:
    reply = (b"x" * (size - 2)) + b"\r\n"
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Responder(reply), "127.0.0.1", port,
                                      reuse_port=True)
    await wait_for_stop_signal()
    server.close()


def fetch_documents(dsn: str, names_file: str, concurrency: int, seconds: float,
                    out: str) -> None:
    names = Path(names_file).read_text().split()
    elapsed, latencies = run(asyncpg_fetches(dsn, names, concurrency, seconds))
    Path(out).write_text(" ".join(f"{value:.4f}" for value in (elapsed, *latencies)))


if __name__ == "__main__":
    kind = sys.argv[1]
    if kind == "asyncpg":
        dsn, names_file, concurrency, seconds, out = sys.argv[2:7]
        fetch_documents(dsn, names_file, int(concurrency), float(seconds), out)
    else:
        size, port = int(sys.argv[2]), int(sys.argv[3])
        run(serve_http(size, port) if kind == "http" else serve_whois(size, port))
