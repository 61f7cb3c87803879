"""The usage ledger: increases booked once, by UTC month, one file per process, never lost."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, multiprocess

from rdap_coop.core.metrics import Metrics
from rdap_coop.core.usage import (
    CorruptLedger,
    Labels,
    UsageLedger,
    month_of,
    next_month_start,
    parse_ledger,
    read_usage,
    request_counts,
)

OCTOBER = datetime(2026, 10, 31, 23, 58, tzinfo=UTC)
NOVEMBER = datetime(2026, 11, 1, 0, 2, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]
MONTH_REASON = "a month is not written YYYY-MM"


@dataclass
class FakeClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


def count(metrics: Metrics, labels: Labels, times: int = 1) -> None:
    metrics.requests.labels(*labels).inc(times)


def booked(directory: Path) -> dict[str, Counter[Labels]]:
    reading = read_usage(directory)
    assert reading.skipped == []
    return reading.months


def total(months: dict[str, Counter[Labels]]) -> int:
    return sum(sum(counts.values()) for counts in months.values())


def test_flushes_book_only_the_increase_since_the_last_one(tmp_path: Path) -> None:
    metrics = Metrics()
    ledger = UsageLedger(metrics, tmp_path, clock=FakeClock(NOVEMBER))
    count(metrics, ("rdap", "domain", "ok"), 3)
    assert ledger.flush()
    count(metrics, ("rdap", "domain", "ok"), 2)
    count(metrics, ("whois", "domain", "not_found"))
    assert ledger.flush()
    assert ledger.flush()  # nothing new: nothing added
    assert booked(tmp_path) == {
        "2026-11": Counter({("rdap", "domain", "ok"): 5, ("whois", "domain", "not_found"): 1})
    }


def test_a_month_boundary_splits_the_counts(tmp_path: Path) -> None:
    clock = FakeClock(OCTOBER)
    metrics = Metrics()
    ledger = UsageLedger(metrics, tmp_path, clock=clock)
    count(metrics, ("whois", "domain", "ok"), 4)
    assert ledger.flush()
    clock.now = NOVEMBER
    count(metrics, ("whois", "domain", "ok"), 1)
    assert ledger.flush()
    assert booked(tmp_path) == {
        "2026-10": Counter({("whois", "domain", "ok"): 4}),
        "2026-11": Counter({("whois", "domain", "ok"): 1}),
    }


def test_the_periodic_flush_lands_just_before_the_month_ends(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 12, 31, 23, 59, 30, tzinfo=UTC))
    ledger = UsageLedger(Metrics(), tmp_path, clock=clock)
    assert ledger.next_delay(60.0) == pytest.approx(29.5)
    clock.now = datetime(2026, 12, 31, 23, 59, 59, 800_000, tzinfo=UTC)  # just flushed
    assert ledger.next_delay(60.0) == 60.0
    clock.now = NOVEMBER
    assert ledger.next_delay(60.0) == 60.0
    assert next_month_start(clock.now - timedelta(days=40)) == datetime(2026, 10, 1, tzinfo=UTC)


def test_counts_from_before_the_ledger_are_not_its_own(tmp_path: Path) -> None:
    # Under several workers a process may reopen a dead one's counter file (pid reuse).
    metrics = Metrics()
    count(metrics, ("rdap", "help", "ok"), 7)
    ledger = UsageLedger(metrics, tmp_path, clock=FakeClock(NOVEMBER))
    count(metrics, ("rdap", "help", "ok"), 2)
    assert ledger.flush()
    assert booked(tmp_path) == {"2026-11": Counter({("rdap", "help", "ok"): 2})}


def test_the_file_is_the_process_own_and_written_whole(tmp_path: Path) -> None:
    metrics = Metrics()
    ledger = UsageLedger(metrics, tmp_path, clock=FakeClock(NOVEMBER))
    assert ledger.flush()
    assert list(tmp_path.iterdir()) == []  # nothing counted, nothing written
    count(metrics, ("rdap", "domain", "ok"))
    assert ledger.flush()
    [path] = tmp_path.iterdir()  # no temporary file left behind
    assert path == ledger.path
    assert path.name.startswith("usage-") and path.name.endswith("-20261101T000200000000Z.json")
    assert f"-{os.getpid()}-" in path.name
    document = json.loads(path.read_text())
    assert document["months"] == {"2026-11": {"rdap": {"domain": {"ok": 1}}}}
    assert document["pid"] == os.getpid()


def test_file_errors_are_logged_and_retried_without_losing_counts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "ledgers"
    blocked.write_text("a file where the directory should be")
    metrics = Metrics()
    ledger = UsageLedger(metrics, blocked, clock=FakeClock(NOVEMBER))
    count(metrics, ("whois", "domain", "ok"), 3)
    with caplog.at_level(logging.ERROR, logger="rdap_coop.core.usage"):
        assert not ledger.flush()
    assert "could not write the usage ledger" in caplog.text
    blocked.unlink()
    count(metrics, ("whois", "domain", "ok"))
    assert ledger.flush()
    assert booked(blocked) == {"2026-11": Counter({("whois", "domain", "ok"): 4})}


async def test_run_flushes_periodically(tmp_path: Path) -> None:
    metrics = Metrics()
    ledger = UsageLedger(metrics, tmp_path)
    task = asyncio.create_task(ledger.run(period_seconds=0.02))
    try:
        count(metrics, ("rdap", "domain", "ok"))
        for _ in range(500):
            if ledger.path.exists():
                break
            await asyncio.sleep(0.01)
        assert total(booked(tmp_path)) == 1
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_run_flushes_once_more_when_cancelled(tmp_path: Path) -> None:
    metrics = Metrics()
    ledger = UsageLedger(metrics, tmp_path)
    task = asyncio.create_task(ledger.run(period_seconds=3600))
    await asyncio.sleep(0)
    count(metrics, ("whois", "help", "ok"), 2)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert task.cancelled()
    assert total(booked(tmp_path)) == 2


def test_reading_ignores_other_files_and_adds_up_ledgers(tmp_path: Path) -> None:
    first = {"months": {"2026-10": {"rdap": {"domain": {"ok": 2}}}}}
    second = {"months": {"2026-10": {"rdap": {"domain": {"ok": 3}}},
                         "2026-11": {"whois": {"help": {"ok": 1}}}}}
    (tmp_path / "usage-a-1-x.json").write_text(json.dumps(first))
    (tmp_path / "usage-b-2-y.json").write_text(json.dumps(second))
    (tmp_path / ".usage-half-written.tmp").write_text("{")
    (tmp_path / "usage-a-1-x.json.bak").write_text("{")
    (tmp_path / "notes.txt").write_text("not a ledger")
    (tmp_path / "usage-dir.json").mkdir()
    reading = read_usage(tmp_path)
    assert (reading.files, reading.skipped) == (2, [])
    assert reading.month("2026-10") == Counter({("rdap", "domain", "ok"): 5})
    assert reading.month("2026-11") == Counter({("whois", "help", "ok"): 1})
    assert reading.month("2026-09") == Counter()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"months": {"2026-10": {"rdap": {"domain": {"ok": 2}}}', "not valid JSON"),
        ("[]", '"months"'),
        ('{"months": {"2026-13": {}}}', "YYYY-MM"),
        ('{"months": {"2026-10": {"rdap": {"domain": {"ok": -1}}}}}', "whole number"),
        ('{"months": {"2026-10": {"rdap": {"domain": {"ok": 1.5}}}}}', "whole number"),
        ('{"months": {"2026-10": {"rdap": {"domain": {"ok": true}}}}}', "whole number"),
        ('{"months": {"2026-10": {"rdap": {"domain": 4}}}}', "nested"),
    ],
)
def test_corrupt_ledgers_are_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(CorruptLedger, match=reason):
        parse_ledger(text)


def test_a_corrupt_ledger_is_skipped_whole(tmp_path: Path) -> None:
    good = '"2026-10": {"whois": {"domain": {"ok": 6}}}'
    (tmp_path / "usage-good.json").write_text(f'{{"months": {{{good}}}}}')
    bad = tmp_path / "usage-bad.json"
    bad.write_text(f'{{"months": {{{good}, "2026-1": {{}}}}}}')
    reading = read_usage(tmp_path)
    assert reading.files == 1
    assert [(s.path, s.reason) for s in reading.skipped] == [(bad, MONTH_REASON)]
    assert reading.month("2026-10") == Counter({("whois", "domain", "ok"): 6})


LABELS: list[Labels] = [
    ("rdap", "domain", "ok"),
    ("rdap", "search", "not_found"),
    ("rdap", "other", "invalid"),
    ("whois", "domain", "ok"),
    ("whois", "unparsed", "rate_limited"),
]
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("count"), st.sampled_from(LABELS), st.integers(1, 4)),
        st.tuples(st.just("flush"), st.just(LABELS[0]), st.just(0)),
        st.tuples(st.just("next month"), st.just(LABELS[0]), st.just(0)),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(OPERATIONS)
def test_any_interleaving_of_counts_and_flushes_books_every_count_once(
    operations: list[tuple[str, Labels, int]],
) -> None:
    clock = FakeClock(datetime(2026, 11, 30, 23, 0, tzinfo=UTC))
    expected: dict[str, Counter[Labels]] = {}
    pending: Counter[Labels] = Counter()
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        metrics = Metrics()
        ledger = UsageLedger(metrics, directory, clock=clock)
        for action, labels, times in [*operations, ("flush", LABELS[0], 0)]:
            if action == "count":
                count(metrics, labels, times)
                pending[labels] += times
            elif action == "flush":
                assert ledger.flush()
                expected.setdefault(month_of(clock.now), Counter()).update(pending)
                pending.clear()
            else:
                clock.now = next_month_start(clock.now) + timedelta(hours=1)
        months = read_usage(directory).months if ledger.path.exists() else {}
    assert months == {month: counts for month, counts in expected.items() if counts}
    assert total(months) == sum(times for action, _, times in operations if action == "count")


WORKER = """
import sys
from pathlib import Path

from prometheus_client import values

from rdap_coop.core.metrics import Metrics
from rdap_coop.core.usage import UsageLedger

ledgers, metrics_dir, queries = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
metrics = Metrics(metrics_dir)
ledger = UsageLedger(metrics, ledgers)
for _ in range(queries):
    metrics.count_request("whois", "domain", "ok")
metrics.count_request("rdap", "domain", "not_found")
assert ledger.flush()
print(values.ValueClass._multiprocess)
"""


def test_under_multiprocess_metrics_each_process_books_its_own_counts(tmp_path: Path) -> None:
    """prometheus-client picks its multiprocess value store at first import, from
    PROMETHEUS_MULTIPROC_DIR, so only a fresh process shows that mode."""
    ledgers, metrics_dir = tmp_path / "ledgers", tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    for queries in (3, 5):
        result = subprocess.run(
            [sys.executable, "-c", WORKER, str(ledgers), str(metrics_dir), str(queries)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "True"  # the multiprocess value store was in use
    reading = read_usage(ledgers)
    assert (reading.files, reading.skipped) == (2, [])
    everything: Counter[Labels] = sum(reading.months.values(), Counter())
    assert everything == {("whois", "domain", "ok"): 8, ("rdap", "domain", "not_found"): 2}
    # The same figures as /metrics shows, merged from the workers' files.
    merged = CollectorRegistry()
    multiprocess.MultiProcessCollector(merged, path=str(metrics_dir))  # type: ignore[no-untyped-call]
    assert request_counts(merged) == everything
