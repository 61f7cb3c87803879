"""Median and 99th-percentile latency of one RDAP URL over sequential requests.

A figure for the closing note of a change, not a load test: one client, one
connection kept alive, N requests in a row against a running service, e.g.

    RDAP_COOP_RATE_LIMIT_EXEMPT_NETWORKS=127.0.0.0/8 make demo &   # then
    .venv/bin/python bench/sequential_latency.py http://127.0.0.1:8080/domain/example.coop

(Without the exemption the demo's public rate limit -- 10 lookups a second -- answers
429 after the first burst, as it should.)
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import aiohttp


async def measure(url: str, requests: int, warmup: int) -> list[float]:
    timings: list[float] = []
    async with aiohttp.ClientSession() as session:
        for index in range(warmup + requests):
            started = time.perf_counter()
            async with session.get(url) as response:
                await response.read()
                if response.status != 200:
                    raise SystemExit(f"unexpected status {response.status}")
            if index >= warmup:
                timings.append(time.perf_counter() - started)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=50)
    args = parser.parse_args()
    timings = sorted(asyncio.run(measure(args.url, args.requests, args.warmup)))
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    print(
        f"{len(timings)} sequential GET {args.url}: "
        f"median {statistics.median(timings) * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms, "
        f"max {timings[-1] * 1000:.2f} ms"
    )


if __name__ == "__main__":
    main()
