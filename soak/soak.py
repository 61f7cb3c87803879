"""``make soak``: the demo under steady mixed load for a long while, watching for slow leaks.

Starts ``rdap-coop demo`` (embedded Postgres, sample registry, RDAP and WHOIS in one
process; the soak's addresses exempt from rate limits unless ``--rate-limit``), reads
the demo clients' tokens from its banner, and regenerates the same sample registry
here so every query's right answer is known (soak/mix.py). Then:

1. warm-up: every name looked up once, as far as the caches reach, so they start the
   steady load as full as they stay (soak/mix.py says why);
2. capacity: a closed-loop burst of the mix, ``--concurrency`` queries at a time, for
   ``--capacity-seconds``; then, clients gone, descriptors are counted at rest;
3. the steady load: open loop at ``--share`` of that capacity for ``--minutes``,
   sampling every ``--sample-seconds`` (more often in a short run, to get four rows)
   the process' RSS, descriptors and threads, its pool and replicas, and the
   interval's queries, problems and p50/p99 latency (soak/observe.py);
4. rest again, descriptors counted once more; the demo is stopped with SIGTERM.

Prints the samples, the queries by kind as the client and as the service counted
them, and the verdict (soak/verdict.py). Exit status 0 only when memory and
descriptors are flat and nothing went wrong; 1 otherwise; 2 if the demo did not start.
``--minutes 0.5 --share 0.2`` is a quick run. Never run by the test suite at length.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import signal
import socket
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from mix import Mix
from observe import (
    HEADER,
    LogWatch,
    Sample,
    ServerState,
    own_sockets,
    process_state,
    row,
    server_state,
)
from traffic import Driver, percentile
from verdict import descriptors, errors, memory, problem_lines, replicas

from rdap_coop.core.lifecycle import run
from rdap_coop.sample import generate_registry

VENV_BIN = Path(sys.executable).parent
BANNER_END = "Audit log of disclosures:"
TOKEN_LINE = re.compile(r"^\s+(registrar|udrp_provider|law_enforcement)\s+(\S{20,})\s*$")
START_TIMEOUT_SECONDS = 300.0  # initdb and a large sample take a while on a busy machine
STOP_TIMEOUT_SECONDS = 60.0
REST_SECONDS = 3.0  # clients gone, pool gauges refreshed (every 2 s)
MIN_SAMPLES = 4  # a short run samples more often, so each half has at least two rows


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Demo:
    """The ``rdap-coop demo`` process, its ports and the demo clients' tokens."""

    process: asyncio.subprocess.Process
    rdap_port: int
    whois_port: int
    metrics_port: int
    logs: LogWatch = field(default_factory=LogWatch)
    tokens: dict[str, str] = field(default_factory=dict)

    @classmethod
    async def start(cls, args: argparse.Namespace) -> Demo:
        ports = [free_port() for _ in range(3)]
        env = {"RDAP_COOP_LOG_FORMAT": "text"}
        if not args.rate_limit:
            env["RDAP_COOP_RATE_LIMIT_EXEMPT_NETWORKS"] = "127.0.0.0/8"
        command = [str(VENV_BIN / "rdap-coop"), "demo", "--domains", str(args.domains),
                   "--seed", str(args.seed), "--rdap-port", str(ports[0]),
                   "--whois-port", str(ports[1]), "--metrics-port", str(ports[2])]
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env={**os.environ, **env})  # its RDAP_COOP_* settings apply
        return cls(process, ports[0], ports[1], ports[2])

    async def echo(self, banner: asyncio.Event) -> None:
        """Show the demo's stdout and collect the tokens from its banner; ``banner`` is
        set at the banner's last line. Read to the end, so the pipe never fills."""
        assert self.process.stdout is not None
        while line := (await self.process.stdout.readline()).decode():
            print(f"  demo | {line.rstrip()}", flush=True)
            if match := TOKEN_LINE.match(line):
                self.tokens[match[1]] = match[2]
            if line.startswith(BANNER_END):
                banner.set()

    async def stop(self) -> int:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT_SECONDS)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            return -signal.SIGKILL


@dataclass
class Sampler:
    """Turns the process, the service's metrics and the client's tally into rows."""

    demo: Demo
    driver: Driver
    session: aiohttp.ClientSession
    started: float = 0.0
    previous: float = field(default_factory=time.monotonic)
    seen: tuple[int, int, int, float] = (0, 0, 0, 0.0)  # queries, problems, refused, errors
    sockets: int = field(default_factory=own_sockets)  # before any connection to the demo

    async def take(self) -> Sample:
        clients = own_sockets() - self.sockets  # both before our own scrape connection
        process = process_state(self.demo.process.pid)
        server = await server_state(self.session, self.demo.metrics_port)
        tally = self.driver.tally
        totals = (sum(tally.answered.values()) + sum(tally.problems.values())
                  + sum(tally.refused.values()), sum(tally.problems.values()),
                  sum(tally.refused.values()), server.total(outcome="error"))
        delta = [now - then for now, then in zip(totals, self.seen, strict=True)]
        self.seen = totals
        latencies = tally.take_latencies()
        now = time.monotonic()
        elapsed, self.previous = now - self.previous, now
        return Sample(now - self.started, elapsed, process, clients, server, int(delta[0]),
                      int(delta[1]), int(delta[2]), delta[3], percentile(latencies, 0.5) * 1000,
                      percentile(latencies, 0.99) * 1000)

    async def every(self, interval: float, samples: list[Sample]) -> None:
        while True:
            await asyncio.sleep(interval - (time.monotonic() - self.started) % interval)
            samples.append(await self.take())
            print(row(samples[-1]), flush=True)


async def prepare(args: argparse.Namespace, driver: Driver,
                  sampler: Sampler) -> tuple[float, Sample]:
    """Warm-up and capacity; returns the steady rate and the row at rest after them."""
    async with driver:
        started = time.monotonic()
        warm_up = driver.mix.warm_up()
        await driver.sweep(warm_up, args.concurrency)
        print(f"warm-up: {len(warm_up)} lookups in {time.monotonic() - started:.1f} s",
              flush=True)
        capacity = await driver.closed_loop(args.capacity_seconds, args.concurrency)
    rate = capacity * args.share
    print(f"capacity: {capacity:.0f} queries/s (closed loop, {args.concurrency} at a time, "
          f"{args.capacity_seconds:g} s); steady load: {rate:.0f} queries/s for "
          f"{args.minutes:g} min", flush=True)
    await asyncio.sleep(REST_SECONDS)
    return rate, await sampler.take()


async def steady(args: argparse.Namespace, driver: Driver, sampler: Sampler,
                 rate: float) -> list[Sample]:
    """The open-loop load with its samples; stops early if sampling fails (the demo
    is gone), raising that failure."""
    seconds = args.minutes * 60
    interval = min(args.sample_seconds, seconds / MIN_SAMPLES)
    samples: list[Sample] = []
    print(HEADER, flush=True)
    sampler.started = time.monotonic()
    async with driver:
        watching = asyncio.create_task(sampler.every(interval, samples))
        load = asyncio.create_task(driver.open_loop(rate, seconds, args.max_in_flight))
        await asyncio.wait((watching, load), return_when=asyncio.FIRST_COMPLETED)
        watching.cancel()
        load.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching
        if not samples or time.monotonic() - sampler.previous > interval / 2:
            samples.append(await sampler.take())
            print(row(samples[-1]), flush=True)
    return samples


async def soak(args: argparse.Namespace) -> int:
    registry = await asyncio.to_thread(generate_registry, args.domains, args.seed)
    demo = await Demo.start(args)
    assert demo.process.stderr is not None
    banner = asyncio.Event()
    following = asyncio.gather(demo.logs.follow(demo.process.stderr), demo.echo(banner))
    waiting = asyncio.create_task(banner.wait())
    await asyncio.wait((waiting, following), timeout=START_TIMEOUT_SECONDS,
                       return_when=asyncio.FIRST_COMPLETED)
    if not banner.is_set():
        waiting.cancel()
        print(f"soak: the demo did not start (exit status {await demo.stop()})",
              *demo.logs.notable, sep="\n")
        await following
        return 2
    driver = Driver(Mix(registry, demo.tokens, args.seed), demo.rdap_port, demo.whois_port,
                    limited=args.rate_limit)
    try:
        async with aiohttp.ClientSession() as session:
            sampler = Sampler(demo, driver, session)
            rate, rest = await prepare(args, driver, sampler)
            samples = await steady(args, driver, sampler, rate)
            await asyncio.sleep(REST_SECONDS)
            after = await sampler.take()
    except (OSError, aiohttp.ClientError) as error:  # /proc or /metrics gone: the demo died
        print(f"soak: lost the demo: {error!r}", *demo.logs.notable, sep="\n")
        return 1
    finally:
        exit_code = await demo.stop()
        await following
    return report(samples, rest, after, driver, demo, exit_code)


def report(samples: Sequence[Sample], rest: Sample, after: Sample,
           driver: Driver, demo: Demo, exit_code: int) -> int:
    print("\nsamples (t: seconds into the steady load; own: descriptors beside the database's and"
          " the soak's connections)")
    print(HEADER, *(row(sample) for sample in samples), sep="\n")
    tally = driver.tally
    print(f"\n{'queries by kind':<18} {'right':>8} {'refused':>8} {'problems':>8}")
    for kind in driver.mix.kinds:
        problems = sum(n for p, n in tally.problems.items() if p.startswith(kind + ":"))
        print(f"{kind:<18} {tally.answered[kind]:>8} {tally.refused[kind]:>8} {problems:>8}")
    print(server_table(after.server))
    print(f"log lines by level: {dict(demo.logs.levels)}")
    uncounted = sum(max(0.0, sent - after.server.total(service=service))
                    for service, sent in driver.sent.items())
    server_errors = after.server.total(outcome="error")
    findings = [memory(samples), descriptors(samples, rest, after),
                replicas(samples, after, demo.logs),
                errors(tally, demo.logs, server_errors, uncounted, exit_code)]
    print(*problem_lines(tally, demo.logs), sep="\n")
    flat = all(finding.ok for finding in findings)
    print("\nverdict:", "PASS" if flat else "FAIL")
    print(*(f"  {finding.line}" for finding in findings), sep="\n", flush=True)
    return 0 if flat else 1


def server_table(server: ServerState) -> str:
    outcomes = ("ok", "not_found", "invalid", "rate_limited", "unavailable", "error")
    lines = [f"\n{'as the service counted':<24}" + "".join(f"{o:>13}" for o in outcomes)]
    for service, kind in sorted({(s, k) for s, k, _ in server.requests}):
        counts = "".join(f"{server.requests.get((service, kind, o), 0):>13.0f}"
                         for o in outcomes)
        lines.append(f"{service + ' ' + kind:<24}{counts}")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="soak", description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="steady load duration")
    parser.add_argument("--share", type=float, default=0.5, help="share of measured capacity")
    parser.add_argument("--sample-seconds", type=float, default=10.0)
    parser.add_argument("--domains", type=int, default=10_000, help="sample registry size")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--capacity-seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16, help="of the capacity burst")
    parser.add_argument("--max-in-flight", type=int, default=2000,
                        help="beyond this many unanswered queries, scheduled ones are overruns")
    parser.add_argument("--rate-limit", action="store_true",
                        help="keep the rate limiter on (429s are then right answers)")
    args = parser.parse_args(argv)
    if args.minutes <= 0 or not 0 < args.share <= 1 or args.sample_seconds <= 0:
        parser.error("--minutes and --sample-seconds must be positive, --share in (0, 1]")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    return run(soak(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
