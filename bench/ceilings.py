"""The ceilings the benchmark compares us with: servers that do nothing but answer.

``http SIZE PORT``: a bare aiohttp + orjson handler returning a JSON body of SIZE bytes.
``whois SIZE PORT``: a bare asyncio Protocol port-43 responder writing SIZE bytes per
query and closing (RFC 3912: one query per connection). Both run on uvloop when it is
installed, as the service does.
"""

from __future__ import annotations

import asyncio
import sys

import orjson
from aiohttp import web

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
    await web.TCPSite(runner, "127.0.0.1", port).start()
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
    server = await loop.create_server(lambda: Responder(reply), "127.0.0.1", port)
    await wait_for_stop_signal()
    server.close()


if __name__ == "__main__":
    kind, size, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    run(serve_http(size, port) if kind == "http" else serve_whois(size, port))
