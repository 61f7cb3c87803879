"""A port-43 client for the tests: one query per connection, as RFC 3912 has it."""

from __future__ import annotations

import asyncio
import contextlib


async def ask_whois(
    port: int, data: bytes, *, source: str = "127.0.0.1", timeout_seconds: float = 5.0
) -> bytes:
    """Send ``data`` exactly as given (a query line carries its own CRLF) and read the
    reply until the server closes the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), timeout_seconds)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()
