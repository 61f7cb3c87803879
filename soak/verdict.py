"""The soak's verdict: memory flat, descriptors back in their band, replicas steady, no errors.

Memory. The caches are filled before the steady load starts (soak/mix.py), and its
first half is still warm-up (connection pools grow, the allocator finds its arenas);
over the second half the least-squares slope of the resident size must stay below
1 MB per 10 minutes. At the 100-500 queries a second a soak sends on two cores, that
is a leak of 3 to 17 bytes a query -- any real per-query leak (a dict entry, a task,
a buffer) is tens of bytes or more and shows plainly. A fitted growth within the
noise band of the resident size is flat too, so that a short run is not judged on
noise: 2 MB, twice what it moved at steady state in 6- and 10-minute runs (within
1.3 MB while the load went on, the caches full). From a second half of about 20
minutes on, the slope limit is the stricter of the two.

Descriptors. Database connections follow the pool's idle lifetime and the soak's own
connections the load of the moment, so descriptors are counted beside both (the
"own" column). The last quarter's peak must stay in the band of the first half (plus
a tenth, at least 8: a connection in flight is seen on one side before the other),
and once the load stops and the soak's clients have gone, the count must be back
where it was at rest after warm-up, within 3 (a health-check or heartbeat
connection of the moment).

Replicas. Nothing is stopped during a soak, so every sample must show every replica
up, with no failover and no warning in the service's log.

Errors. Any query that got a wrong status, a wrong answer, no answer, a 5xx other
than a deliberate 503 with Retry-After, or could not be sent on schedule; any query
the service itself counted as an ``error``; any ERROR, CRITICAL or unformatted log
line; queries sent that the service did not count; a non-zero exit of the demo.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from observe import LogWatch, Sample
from traffic import Tally

SLOPE_LIMIT_MB_PER_10_MIN = 1.0
RSS_NOISE_MB = 2.0
FD_BAND_SLACK = 8
FD_REST_SLACK = 3


@dataclass(frozen=True, slots=True)
class Finding:
    ok: bool
    line: str


def slope_per_second(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of ``(x, y)`` points (0 for fewer than two distinct x)."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def _quarter(samples: Sequence[Sample], first: float, last: float) -> list[Sample]:
    end = samples[-1].seconds
    return [s for s in samples if first * end <= s.seconds <= last * end]


def memory(samples: Sequence[Sample]) -> Finding:
    second_half = _quarter(samples, 0.5, 1.0)
    if len(second_half) < 2:
        return Finding(False, "memory not judged: fewer than two samples in the second half")
    slope = slope_per_second([(s.seconds, s.process.rss_mb) for s in second_half])
    growth = slope * (second_half[-1].seconds - second_half[0].seconds)
    per_10_min = slope * 600
    flat = per_10_min <= SLOPE_LIMIT_MB_PER_10_MIN or growth <= RSS_NOISE_MB
    q2 = max(s.process.rss_mb for s in _quarter(samples, 0.25, 0.5) or samples)
    q4 = max(s.process.rss_mb for s in _quarter(samples, 0.75, 1.0))
    return Finding(flat, (
        f"memory {'flat' if flat else 'GROWING'}: RSS {samples[0].process.rss_mb:.1f} -> "
        f"{samples[-1].process.rss_mb:.1f} MB; second half {per_10_min:+.2f} MB per 10 min "
        f"(limit {SLOPE_LIMIT_MB_PER_10_MIN}), {growth:+.2f} MB fitted (noise band "
        f"{RSS_NOISE_MB}); peak of the last quarter {q4:.1f} MB vs the second's {q2:.1f} MB "
        f"({(q4 / q2 - 1) * 100:+.1f} %)"))


def descriptors(samples: Sequence[Sample], rest_before: Sample, rest_after: Sample) -> Finding:
    band = [s.fds_own for s in _quarter(samples, 0.0, 0.5) or samples[:1]]
    peak = max(s.fds_own for s in _quarter(samples, 0.75, 1.0) or samples[-1:])
    ceiling = max(band) + max(FD_BAND_SLACK, max(band) // 10)
    before, after = rest_before.fds_own, rest_after.fds_own
    flat = peak <= ceiling and after <= before + FD_REST_SLACK
    return Finding(flat, (
        f"descriptors {'flat' if flat else 'GROWING'}: its own {min(band)}-{max(band)} "
        f"in the first half, peak {peak} in the last quarter (ceiling {ceiling}); at rest "
        f"{before} after warm-up, {after} after the load (allowed {before + FD_REST_SLACK})"))


def replicas(samples: Sequence[Sample], after: Sample, logs: LogWatch) -> Finding:
    """Nothing is stopped during a soak: a replica taken for down, a failover or any
    warning of the service (every one of them reports trouble) is a finding."""
    down = sum(1 for s in samples if s.server.replicas_up < s.server.replicas)
    failovers = int(after.server.failovers)
    warnings = logs.levels["WARNING"]
    steady = not (down or failovers or warnings)
    return Finding(steady, (
        f"replicas {'steady' if steady else 'UNSTEADY'}: down in {down} of {len(samples)} "
        f"samples, {failovers} failovers, {warnings} warnings in the service's log"))


def errors(tally: Tally, logs: LogWatch, server_errors: float, uncounted: float,
           exit_code: int) -> Finding:
    parts = {
        "client problems": sum(tally.problems.values()),
        "queries not sent on schedule": tally.overruns,
        "server-side errors": int(server_errors),
        "error log lines": logs.errors,
        "queries the service did not count": int(uncounted),
    }
    found = [f"{name} {count}" for name, count in parts.items() if count]
    if exit_code != 0:
        found.append(f"demo exit status {exit_code}")
    if not found:
        return Finding(True, "errors none")
    return Finding(False, "errors FOUND: " + ", ".join(found))


def problem_lines(tally: Tally, logs: LogWatch) -> list[str]:
    """Each kind of problem with its count and the first query that showed it."""
    lines = [f"  {count:>6}  {problem}   e.g. {tally.examples[problem]}"
             for problem, count in tally.problems.most_common()]
    return lines + [f"  log: {line}" for line in logs.notable]
