"""``make bench``: the service against its ceilings, side by side, in one run.

Starts an embedded Postgres with a sample registry of the first ``--domains`` size, the
RDAP and WHOIS services (``--workers`` processes each; the benchmark's address exempt
from rate limits), and the ceilings of ``bench/ceilings.py`` (as many processes);
drives each with load generators that are not the bottleneck (``wrk`` for HTTP, the C
``whois_load`` for port 43) at each concurrency; and prints requests/s, p50/p99/p99.9,
errors, CPU and peak RSS per worker, the ratios to the ceilings and whether each target
is met. Each further ``--domains`` size (e.g. ``10000,1000000``) gets its own registry
and the scale cells: a lookup spread over all its names. Figures drift on a shared
machine: compare the ratios, taken in the same run. Never run from the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
from measure import (
    BENCH,
    Result,
    Scale,
    body_size,
    free_port,
    print_table,
    print_targets,
    service_usage,
    start,
    summarise,
    whois_load,
    whois_reply_size,
    write_paths,
    wrk,
)

from rdap_coop.demo import create_database
from rdap_coop.embedded_postgres import EmbeddedPostgres, embedded_postgres
from rdap_coop.sample import load_sample_registry

VENV_BIN = Path(sys.executable).parent
RDAP_PORT, WHOIS_PORT, HTTP_CEILING_PORT, WHOIS_CEILING_PORT = 18080, 14343, 18081, 14344
SCALE_CONCURRENCY = 10


class Bench:
    def __init__(self, args: argparse.Namespace, work: Path, redis_url: str | None) -> None:
        self.args = args
        self.work = work
        self.levels = [int(c) for c in args.concurrency.split(",")]
        self.redis_url = redis_url

    def service_env(self, dsn: str, **extra: str) -> dict[str, str]:
        env = {
            "RDAP_COOP_DATABASE_DSN": dsn,
            "RDAP_COOP_RDAP_PORT": str(RDAP_PORT),
            "RDAP_COOP_WHOIS_PORT": str(WHOIS_PORT),
            "RDAP_COOP_RATE_LIMIT_EXEMPT_NETWORKS": "127.0.0.0/8",
            "RDAP_COOP_DATABASE_POOL_MAX_SIZE": "16",
            "RDAP_COOP_WORKERS": str(self.args.workers),
            **extra,
        }
        if self.redis_url is not None:
            env["RDAP_COOP_REDIS_URL"] = self.redis_url
        return env

    def http_cells(self, paths: Path, conc: int, *, expect_404: bool = False) -> Result:
        return wrk(f"http://127.0.0.1:{RDAP_PORT}", paths, conc, self.args.seconds,
                   expect_404=expect_404)

    def cell(self, pid: int, scenario: str, run: Callable[..., Result], *args: object,
             **kwargs: object) -> Result:
        """One cell: ``run(*args, **kwargs)``, with the service's CPU and peak RSS."""
        before = service_usage(pid)[0]
        result = run(*args, **kwargs)
        cpu, rss = service_usage(pid)
        result.scenario, result.cpu_seconds, result.rss_mb = scenario, cpu - before, rss
        return result

    def service_table(self, dsn: str, paths: dict[str, Path]) -> list[Result]:
        env = self.service_env(dsn)
        results = []
        with serving(["rdap-coop", "serve"], env) as rdap, \
                serving(["whois-coop", "serve"], env) as whois:
            for scenario, path in paths.items():
                for conc in self.levels:
                    results.append(self.cell(rdap.pid, scenario, self.http_cells, path, conc,
                                             expect_404=scenario == "rdap-not-found"))
            for conc in self.levels:
                results.append(self.cell(whois.pid, "whois", whois_load, self.args.whois_load,
                                         WHOIS_PORT, conc, self.args.seconds))
        cold = self.service_env(dsn, RDAP_COOP_CACHE_TTL_SECONDS="0")
        with serving(["rdap-coop", "serve"], cold) as rdap:
            for conc in self.levels:
                results.append(self.cell(rdap.pid, "rdap-cold", self.http_cells,
                                         paths["rdap-uniform"], conc))
        return results

    def scale_cell(self, dsn: str, names: list[str]) -> Result:
        uniform = write_paths(self.work, f"uniform-{len(names)}",
                              [f"/domain/{n}" for n in names])
        with serving(["rdap-coop", "serve"], self.service_env(dsn)) as rdap:
            return self.cell(rdap.pid, f"scale-{len(names)}", self.http_cells, uniform,
                             SCALE_CONCURRENCY)

    def ceilings(self, dsn: str, names: list[str], sizes: tuple[int, int],
                 hot: Path) -> dict[tuple[str, int], Result]:
        python = str(VENV_BIN / "python")
        names_file = write_paths(self.work, "names", names)
        workers = range(self.args.workers)
        http = [start([python, str(BENCH / "ceilings.py"), "http", str(sizes[0]),
                       str(HTTP_CEILING_PORT)], {}, 0) for _ in workers]
        port43 = [start([python, str(BENCH / "ceilings.py"), "whois", str(sizes[1]),
                         str(WHOIS_CEILING_PORT)], {}, 0) for _ in workers]
        time.sleep(2.0)  # let every copy bind before the first cell
        found: dict[tuple[str, int], Result] = {}
        try:
            for conc in self.levels:
                found[("ceiling-http", conc)] = wrk(
                    f"http://127.0.0.1:{HTTP_CEILING_PORT}", hot, conc, self.args.seconds)
                found[("ceiling-port43", conc)] = whois_load(
                    self.args.whois_load, WHOIS_CEILING_PORT, conc, self.args.seconds)
                found[("ceiling-asyncpg", conc)] = self.asyncpg_ceiling(dsn, names_file, conc)
        finally:
            for process in http + port43:
                process.terminate()
        for (name, conc), result in found.items():
            result.scenario, result.concurrency = name, conc
        return found

    def asyncpg_ceiling(self, dsn: str, names_file: Path, conc: int) -> Result:
        """``--workers`` driver processes sharing ``conc`` fetches in flight."""
        python = str(VENV_BIN / "python")
        shares = [conc // self.args.workers + (i < conc % self.args.workers)
                  for i in range(self.args.workers)]
        outputs = [self.work / f"asyncpg-{i}" for i in range(len(shares))]
        drivers = [subprocess.Popen([python, str(BENCH / "ceilings.py"), "asyncpg", dsn,
                                     str(names_file), str(share), str(self.args.seconds),
                                     str(out)]) for share, out in zip(shares, outputs, strict=True)
                   if share > 0]
        for driver in drivers:
            driver.wait()
        latencies: list[float] = []
        longest = 0.0
        for out in outputs:
            if out.exists():
                elapsed, *values = (float(v) for v in out.read_text().split())
                longest = max(longest, elapsed)
                latencies += values
        return summarise(len(latencies) / longest if longest else 0.0, latencies)


@contextlib.contextmanager
def serving(command: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    process = start([str(VENV_BIN / command[0]), *command[1:]], env, 3.0)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(30)


@contextlib.contextmanager
def redis_if_needed(workers: int) -> Iterator[str | None]:
    """Workers must share their rate limits: a throwaway redis-server for them."""
    if workers == 1:
        yield None
        return
    port = free_port()
    process = start(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                     "--appendonly", "no"], {}, 0.5)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


async def load_registry(pg: EmbeddedPostgres, domains: int) -> tuple[str, list[str], list[str]]:
    """A database of ``domains`` sample names: the reader DSN, its names, some hosts."""
    database = f"coop{domains}"
    await create_database(pg.dsn(), database)
    await load_sample_registry(pg.dsn(database), domains=domains, seed=1)
    owner = await asyncpg.connect(pg.dsn(database))
    names = [r[0] for r in await owner.fetch("SELECT ldh_name FROM domain ORDER BY roid")]
    hosts = [r[0] for r in await owner.fetch("SELECT ldh_name FROM host LIMIT 2000")]
    await owner.close()
    return pg.dsn(database, user="rdap_coop_reader"), names, hosts


def scenario_paths(work: Path, names: list[str], hosts: list[str]) -> dict[str, Path]:
    return {
        "rdap-hot": write_paths(work, "hot", [f"/domain/{n}" for n in names[:100]]),
        "rdap-uniform": write_paths(work, "uniform", [f"/domain/{n}" for n in names]),
        "rdap-not-found": write_paths(work, "nf", [f"/domain/absent-{i}.coop"
                                                    for i in range(5000)]),
        "rdap-nameserver": write_paths(work, "ns", [f"/nameserver/{h}" for h in hosts]),
        "rdap-registrar": write_paths(work, "reg", ["/entity/1234", "/entity/1456"]),
        "rdap-search": write_paths(work, "search", [f"/domains?name={n[:3]}*"
                                                     for n in names[:200]]),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", default="10000",
                        help="registry sizes, comma-separated; the first gets the full table")
    parser.add_argument("--concurrency", default="1,10,50,100,200")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=1,
                        help="processes per service, and per ceiling")
    parser.add_argument("--whois-load", type=Path, required=True)
    args = parser.parse_args()
    sizes = [int(size) for size in args.domains.split(",")]
    with embedded_postgres() as pg, tempfile.TemporaryDirectory() as scratch, \
            redis_if_needed(args.workers) as redis_url:
        bench = Bench(args, Path(scratch), redis_url)
        dsn, names, hosts = await load_registry(pg, sizes[0])
        paths = scenario_paths(Path(scratch), names, hosts)
        with serving(["rdap-coop", "serve"], bench.service_env(dsn)), \
                serving(["whois-coop", "serve"], bench.service_env(dsn)):
            body = body_size(f"http://127.0.0.1:{RDAP_PORT}/domain/example.coop")
            reply = whois_reply_size(WHOIS_PORT)
        results = bench.service_table(dsn, paths)
        scales = [Scale(sizes[0], bench.scale_cell(dsn, names))]
        ceilings = bench.ceilings(dsn, names, (body, reply), paths["rdap-hot"])
        for size in sizes[1:]:
            large_dsn, large_names, _ = await load_registry(pg, size)
            scales.append(Scale(size, bench.scale_cell(large_dsn, large_names)))
    print(f"\n{sizes[0]:,} domains; body {body} B; WHOIS reply {reply} B; "
          f"{args.workers} worker(s) per service and per ceiling; {args.seconds:g} s per cell\n")
    print_table(results + list(ceilings.values()) + [s.lookup for s in scales], ceilings)
    print_targets(results, ceilings, scales)


if __name__ == "__main__":
    asyncio.run(main())
