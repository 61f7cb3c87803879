"""``make bench``: the service against its ceilings, side by side, in one run.

Starts an embedded Postgres with a sample registry of ``--domains`` names, the RDAP and
WHOIS services (the benchmark's address exempt from rate limits), and the ceilings of
``bench/ceilings.py``; drives each with load generators that are not the bottleneck
(``wrk`` for HTTP, the C ``whois_load`` for port 43) at each concurrency; and prints
requests/s, p50/p99/p99.9, errors, CPU and peak RSS of the service, the ratios to the
ceilings and whether each target is met. Figures drift on a shared machine: compare
the ratios, taken in the same run. Never run from the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from rdap_coop.core.queries import FETCH_DOMAIN
from rdap_coop.demo import create_database
from rdap_coop.embedded_postgres import embedded_postgres
from rdap_coop.sample import load_sample_registry

BENCH = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
RDAP_PORT, WHOIS_PORT, HTTP_CEILING_PORT, WHOIS_CEILING_PORT = 18080, 14343, 18081, 14344
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


async def asyncpg_ceiling(dsn: str, names: list[str], concurrency: int, seconds: float) -> Result:
    """The raw driver fetching the same documents for the same names, through a pool of
    the size the service uses (16), with asyncpg's own prepared-statement cache."""
    pool = await asyncpg.create_pool(dsn, min_size=min(concurrency, 16), max_size=16)
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
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))]

    return Result("", concurrency, len(ordered) / elapsed, pct(0.5), pct(0.99), pct(0.999), 0)


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


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(args, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    time.sleep(2.0)
    return process


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


def print_targets(results: list[Result], ceilings: dict[tuple[str, int], Result]) -> None:
    def ratio(scenario: str, ceiling: str, conc: int) -> float | None:
        ours = next((r for r in results if r.scenario == scenario and r.concurrency == conc),
                    None)
        base = ceilings.get((ceiling, conc))
        return None if ours is None or base is None else ours.rate / base.rate

    top = max(r.concurrency for r in results)
    checks = [
        ("warm domain/ >= 0.8 x bare aiohttp", ratio("rdap-hot", "ceiling-http", top), 0.8),
        ("cold domain/ >= 0.6 x raw asyncpg", ratio("rdap-cold", "ceiling-asyncpg", top), 0.6),
        ("WHOIS >= 0.8 x bare port-43", ratio("whois", "ceiling-port43", top), 0.8),
    ]
    print(f"\ntargets at concurrency {top}:")
    for label, value, target in checks:
        state = "n/a" if value is None else ("MET" if value >= target else "not met")
        shown = "-" if value is None else f"{value:.2f}"
        print(f"  {label:<40} {shown:>6}  {state}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=10_000)
    parser.add_argument("--concurrency", default="1,10,50,100,200")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--whois-load", type=Path, required=True)
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]
    with embedded_postgres() as pg, tempfile.TemporaryDirectory() as scratch:
        await create_database(pg.dsn(), "coop")
        await load_sample_registry(pg.dsn("coop"), domains=args.domains, seed=1)
        owner = await asyncpg.connect(pg.dsn("coop"))
        names = [r[0] for r in await owner.fetch("SELECT ldh_name FROM domain ORDER BY roid")]
        hosts = [r[0] for r in await owner.fetch("SELECT ldh_name FROM host LIMIT 2000")]
        await owner.close()
        work = Path(scratch)
        path_files = {
            "rdap-hot": write_paths(work, "hot", [f"/domain/{n}" for n in names[:100]]),
            "rdap-uniform": write_paths(work, "uniform", [f"/domain/{n}" for n in names]),
            "rdap-not-found": write_paths(work, "nf", [f"/domain/absent-{i}.coop"
                                                        for i in range(5000)]),
            "rdap-nameserver": write_paths(work, "ns", [f"/nameserver/{h}" for h in hosts]),
            "rdap-registrar": write_paths(work, "reg", ["/entity/1234", "/entity/1456"]),
            "rdap-search": write_paths(work, "search", [f"/domains?name={n[:3]}*"
                                                         for n in names[:200]]),
        }
        env = {
            "RDAP_COOP_DATABASE_DSN": pg.dsn("coop", user="rdap_coop_reader"),
            "RDAP_COOP_RDAP_PORT": str(RDAP_PORT),
            "RDAP_COOP_WHOIS_PORT": str(WHOIS_PORT),
            "RDAP_COOP_RATE_LIMIT_EXEMPT_NETWORKS": "127.0.0.0/8",
            "RDAP_COOP_DATABASE_POOL_MAX_SIZE": "16",
        }
        results, ceilings = [], {}
        service = start([str(VENV_BIN / "rdap-coop"), "serve"], env)
        whois = start([str(VENV_BIN / "whois-coop"), "serve"], env)
        size = body_size(f"http://127.0.0.1:{RDAP_PORT}/domain/example.coop")
        whois_size = whois_reply_size(WHOIS_PORT)
        try:
            for scenario, paths in path_files.items():
                for conc in levels:
                    before = process_usage(service.pid)[0]
                    result = wrk(f"http://127.0.0.1:{RDAP_PORT}", paths, conc, args.seconds,
                                 expect_404=scenario == "rdap-not-found")
                    cpu, rss = process_usage(service.pid)
                    result.scenario, result.cpu_seconds, result.rss_mb = scenario, cpu - before, rss
                    results.append(result)
            for conc in levels:
                before = process_usage(whois.pid)[0]
                result = whois_load(args.whois_load, WHOIS_PORT, conc, args.seconds)
                cpu, rss = process_usage(whois.pid)
                result.scenario, result.cpu_seconds, result.rss_mb = "whois", cpu - before, rss
                results.append(result)
        finally:
            service.terminate()
            whois.terminate()
        cold = start([str(VENV_BIN / "rdap-coop"), "serve"],
                     {**env, "RDAP_COOP_CACHE_TTL_SECONDS": "0"})
        try:
            for conc in levels:
                before = process_usage(cold.pid)[0]
                result = wrk(f"http://127.0.0.1:{RDAP_PORT}", path_files["rdap-uniform"], conc,
                             args.seconds)
                cpu, rss = process_usage(cold.pid)
                result.scenario, result.cpu_seconds, result.rss_mb = "rdap-cold", cpu - before, rss
                results.append(result)
        finally:
            cold.terminate()
        python = str(VENV_BIN / "python")
        http = start([python, str(BENCH / "ceilings.py"), "http", str(size),
                      str(HTTP_CEILING_PORT)], {})
        port43 = start([python, str(BENCH / "ceilings.py"), "whois", str(whois_size),
                        str(WHOIS_CEILING_PORT)], {})
        try:
            for conc in levels:
                ceilings[("ceiling-http", conc)] = wrk(
                    f"http://127.0.0.1:{HTTP_CEILING_PORT}", path_files["rdap-hot"], conc,
                    args.seconds)
                ceilings[("ceiling-port43", conc)] = whois_load(
                    args.whois_load, WHOIS_CEILING_PORT, conc, args.seconds)
                ceilings[("ceiling-asyncpg", conc)] = await asyncpg_ceiling(
                    env["RDAP_COOP_DATABASE_DSN"], names, conc, args.seconds)
        finally:
            http.terminate()
            port43.terminate()
        for (name, conc), result in ceilings.items():
            result.scenario, result.concurrency = name, conc
        print(f"\n{args.domains:,} domains; body {size} B; {args.seconds:g} s per cell\n")
        print_table(results + list(ceilings.values()), ceilings)
        print_targets(results, ceilings)


if __name__ == "__main__":
    asyncio.run(main())
