"""Page through one search to the end and report whether latency stays flat.

Follows ``paging_metadata`` ``next`` links from the first page to the last against a
running service, checks that no name comes back twice, and prints the page count,
the result count and the latency of the first, middle and last tenth of the pages:

    .venv/bin/python bench/search_paging.py 'http://127.0.0.1:8080/domains?name=a*'
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from urllib.parse import urlsplit

import aiohttp


async def page_through(url: str) -> tuple[list[str], list[float]]:
    names: list[str] = []
    timings: list[float] = []
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    async with aiohttp.ClientSession() as session:
        next_url: str | None = url
        while next_url is not None:
            started = time.perf_counter()
            async with session.get(next_url) as response:
                body = await response.json(content_type=None)
            timings.append(time.perf_counter() - started)
            if response.status != 200:
                raise SystemExit(f"status {response.status}: {body}")
            names += [item["ldhName"] for item in body["domainSearchResults"]]
            links = body["paging_metadata"].get("links", [])
            next_url = None
            if links:
                href = urlsplit(links[0]["href"])
                next_url = f"{origin}{href.path}?{href.query}"
    return names, timings


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"median {statistics.median(values) * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    args = parser.parse_args()
    names, timings = asyncio.run(page_through(args.url))
    tenth = max(1, len(timings) // 10)
    middle = len(timings) // 2
    print(f"{len(timings)} pages, {len(names)} results, "
          f"{len(names) - len(set(names))} duplicates, sorted: {names == sorted(names)}")
    print(f"first tenth:  {_ms(timings[:tenth])}")
    print(f"middle tenth: {_ms(timings[middle:middle + tenth])}")
    print(f"last tenth:   {_ms(timings[-tenth:])}")


if __name__ == "__main__":
    main()
