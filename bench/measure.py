"""What ``bench/run.py`` measures with: load generators, process usage, the table.

Each function drives or reads one thing; none starts a service (``run.py`` does).
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from rdap_coop.core.queries import FETCH_DOMAIN

BENCH = Path(__file__).resolve().parent
WRK_LINE = re.compile(
    r"WRK_RESULT requests=(\d+) seconds=([\d.]+) errors=(\d+) non2xx=(\d+) p50=([\d.]+)"
    r" p99=([\d.]+)"
    r" p999=([\d.]+)")
WHOIS_LINE = re.compile(
    r"([\d.]+) queries/s, (\d+) errors, p50 ([\d.]+) ms, p99 ([\d.]+) ms, p99.9 ([\d.]+) ms")


@dataclass
class Result:
    scenario: str
    concurrency: int
    rate: float
    p50: float
    p99: float
    p999: float
    errors: int
    cpu_seconds: float = 0.0
    rss_mb: float = 0.0


def process_usage(pid: int) -> tuple[float, float]:
    """CPU seconds used so far and peak RSS (MB) of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    peak = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                if line.startswith("VmHWM"))
    return cpu, int(peak.split()[1]) / 1024


def service_usage(pid: int) -> tuple[float, float]:
    """CPU seconds of a service and its workers together, and the largest peak RSS (MB)
    of any one of them (the per-worker figure the targets speak of)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    pids = [pid, *(int(c) for c in children.read_text().split())] if children.exists() else [pid]
    usages = []
    for each in pids:
        try:
            usages.append(process_usage(each))
        except (OSError, StopIteration):
            continue  # a process that ended between the listing and the read
    return sum(cpu for cpu, _ in usages), max(rss for _, rss in usages)


def wrk(
    url: str, paths: Path, concurrency: int, seconds: float, *, expect_404: bool = False
) -> Result:
    """One wrk run; a non-2xx answer counts as an error unless 404 is what is measured."""
    threads = str(min(2, concurrency))
    out = subprocess.run(
        ["wrk", "-t", threads, "-c", str(concurrency), "-d", f"{max(1, round(seconds))}s",
         "-s", str(BENCH / "wrk_report.lua"), url],
        capture_output=True, text=True, env={**os.environ, "WRK_PATHS": str(paths)},
        check=True,
    ).stdout
    match = WRK_LINE.search(out)
    assert match is not None, out
    requests, elapsed, errors, non2xx, p50, p99, p999 = match.groups()
    failed = int(errors) + (0 if expect_404 else int(non2xx))
    return Result("", concurrency, int(requests) / float(elapsed), float(p50), float(p99),
                  float(p999), failed)


def whois_load(binary: Path, port: int, concurrency: int, seconds: float) -> Result:
    out = subprocess.run([str(binary), "127.0.0.1", str(port), "example.coop",
                          str(concurrency), str(seconds)], capture_output=True, text=True).stdout
    match = WHOIS_LINE.search(out)
    assert match is not None, out
    rate, errors, p50, p99, p999 = match.groups()
    return Result("", concurrency, float(rate), float(p50), float(p99), float(p999), int(errors))


async def asyncpg_fetches(
    dsn: str, names: list[str], concurrency: int, seconds: float, pool_size: int = 16
) -> tuple[float, list[float]]:
    """The raw driver fetching the same documents for the same names, through a pool of
    the size the service uses, with asyncpg's own prepared-statement cache: the elapsed
    seconds and each fetch's latency (ms)."""
    pool = await asyncpg.create_pool(dsn, min_size=min(concurrency, pool_size),
                                     max_size=pool_size)
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker(offset: int) -> None:
        index = offset
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            async with pool.acquire() as connection:
                await connection.fetchrow(FETCH_DOMAIN, names[index % len(names)])
            latencies.append((time.perf_counter() - started) * 1000)
            index += concurrency

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    elapsed = time.perf_counter() - started
    await pool.close()
    return elapsed, latencies


def summarise(rate: float, latencies: list[float]) -> Result:
    ordered = sorted(latencies) or [0.0]

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))]

    return Result("", 0, rate, pct(0.5), pct(0.99), pct(0.999), 0)


def body_size(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as response:
        return len(response.read())


def whois_reply_size(port: int) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(b"example.coop\r\n")
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return len(received)


def start(args: list[str], env: dict[str, str], settle_seconds: float = 2.0
          ) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(args, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    time.sleep(settle_seconds)
    return process


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def write_paths(directory: Path, name: str, paths: list[str]) -> Path:
    target = directory / name
    target.write_text("\n".join(paths) + "\n")
    return target


def print_table(results: list[Result], ceilings: dict[tuple[str, int], Result]) -> None:
    print(f"{'scenario':<22}{'conc':>5}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'p99.9':>9}{'err':>6}{'cpu s':>7}{'rss MB':>8}{'ratio':>8}")
    for r in results:
        ceiling = ceilings.get((_ceiling_of(r.scenario), r.concurrency))
        is_ceiling = r.scenario.startswith("ceiling")
        ratio = f"{r.rate / ceiling.rate:.2f}" if ceiling and not is_ceiling else ""
        print(f"{r.scenario:<22}{r.concurrency:>5}{r.rate:>10.0f}{r.p50:>9.2f}{r.p99:>9.2f}"
              f"{r.p999:>9.2f}{r.errors:>6}{r.cpu_seconds:>7.1f}{r.rss_mb:>8.0f}{ratio:>8}")


def _ceiling_of(scenario: str) -> str:
    if scenario.startswith("whois"):
        return "ceiling-port43"
    if scenario == "rdap-cold":
        return "ceiling-asyncpg"
    return "ceiling-http"


@dataclass
class Scale:
    """The scale cells of one registry size: a lookup spread uniformly over every name."""

    domains: int
    lookup: Result


def print_targets(
    results: list[Result], ceilings: dict[tuple[str, int], Result], scales: list[Scale]
) -> None:
    def ours(scenario: str, conc: int) -> Result | None:
        return next((r for r in results if r.scenario == scenario and r.concurrency == conc),
                    None)

    def ratio(scenario: str, ceiling: str, conc: int, *, p99: bool = False) -> float | None:
        mine, base = ours(scenario, conc), ceilings.get((ceiling, conc))
        if mine is None or base is None:
            return None
        return mine.p99 / base.p99 if p99 else mine.rate / base.rate

    top = max(r.concurrency for r in results)
    checks = [
        ("warm domain/ >= 0.8 x bare aiohttp req/s", ratio("rdap-hot", "ceiling-http", top),
         0.8, True),
        ("warm domain/ p99 <= 2 x bare aiohttp p99",
         ratio("rdap-hot", "ceiling-http", top, p99=True), 2.0, False),
        ("cold domain/ >= 0.6 x raw asyncpg", ratio("rdap-cold", "ceiling-asyncpg", top),
         0.6, True),
        ("WHOIS >= 0.8 x bare port-43", ratio("whois", "ceiling-port43", top), 0.8, True),
    ]
    if len(scales) > 1:
        small, large = scales[0], scales[-1]
        checks.append((f"p50 on {large.domains:,} <= 1.2 x on {small.domains:,}",
                       large.lookup.p50 / small.lookup.p50, 1.2, False))
        checks.append((f"peak RSS per worker on {large.domains:,} <= 150 MB",
                       large.lookup.rss_mb, 150.0, False))
    print(f"\ntargets (throughput and tail at concurrency {top}):")
    for label, value, target, at_least in checks:
        met = value is not None and (value >= target if at_least else value <= target)
        state = "n/a" if value is None else ("MET" if met else "not met")
        shown = "-" if value is None else f"{value:.2f}"
        print(f"  {label:<46} {shown:>7}  {state}")
