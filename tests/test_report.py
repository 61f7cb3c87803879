"""``rdap-coop report monthly``: every ledger added up, ICANN's fields, honest exit status."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from rdap_coop.app import create_app
from rdap_coop.core.metrics import Metrics
from rdap_coop.core.queries import Registry
from rdap_coop.core.ratelimit_setup import build_rate_limiter
from rdap_coop.core.usage import Labels, UsageLedger
from rdap_coop.report import add_report_parser, previous_month, run_report
from tests.conftest import PROXY_HEADERS, SampleDatabase, make_settings
from tests.conftest import RdapClient as Client
from tests.whois_client import ask_whois
from whois_coop.server import WhoisServer

OCTOBER = datetime(2026, 10, 12, 9, 30, tzinfo=UTC)


def clock_at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="rdap-coop")
    add_report_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["report", "monthly", *argv])


def report(
    capsys: pytest.CaptureFixture[str], *argv: str, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    status = run_report(parse(*argv), env or {})
    out, err = capsys.readouterr()
    return status, out, err


def process(directory: Path, started: datetime, counts: dict[Labels, int]) -> UsageLedger:
    """One serving process's metrics and ledger, its counts flushed."""
    metrics = Metrics()
    ledger = UsageLedger(metrics, directory, clock=clock_at(started))
    for labels, times in counts.items():
        metrics.requests.labels(*labels).inc(times)
    assert ledger.flush()
    return ledger


MIXED: dict[Labels, int] = {
    ("rdap", "domain", "ok"): 40,
    ("rdap", "domain", "not_found"): 7,
    ("rdap", "search", "ok"): 3,
    ("rdap", "help", "ok"): 1,
    ("rdap", "domain", "invalid"): 2,
    ("rdap", "domain", "rate_limited"): 5,
    ("rdap", "domain", "unavailable"): 1,
    ("rdap", "other", "ok"): 9,  # the lookup page and its assets
    ("rdap", "other", "invalid"): 4,  # unknown paths
    ("whois", "domain", "ok"): 20,
    ("whois", "nameserver", "not_found"): 2,
    ("whois", "unparsed", "invalid"): 3,
    ("whois", "unparsed", "rate_limited"): 1,
    ("whois", "domain", "error"): 1,
}


def test_csv_has_the_report_fields_in_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    process(tmp_path, OCTOBER, MIXED)
    status, out, err = report(
        capsys, "--month", "2026-10", "--format", "csv", "--usage-dir", str(tmp_path)
    )
    assert (status, err) == (0, "")
    assert out == "whois-43-queries,22\nsearchable-whois-queries,0\nrdap-queries,51\n"


def test_text_is_an_aligned_table_that_says_what_was_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    process(tmp_path, OCTOBER, MIXED)
    status, out, _ = report(capsys, "--month", "2026-10", "--usage-dir", str(tmp_path))
    assert status == 0
    lines = out.splitlines()
    assert "2026-10" in lines[0]
    assert lines[1:4] == [
        "  whois-43-queries          22",
        "  searchable-whois-queries   0",
        "  rdap-queries              51",
    ]
    assert "not-found answer" in out
    assert "Left out: 5 invalid, 6 rate-limited, 2 unavailable or failed, 13 not a query" in out
    assert "web-whois-queries: not reported" in out
    assert max(len(line) for line in lines[:-1]) <= 100
    assert f"From 1 ledger file(s) in {tmp_path}." in out


def test_processes_hosts_and_restarts_add_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one: dict[Labels, int] = {("rdap", "domain", "ok"): 10, ("whois", "domain", "ok"): 1}
    # Two workers side by side (in real life: two pids, or two hosts).
    first = process(tmp_path, OCTOBER, one)
    second = process(tmp_path, OCTOBER.replace(second=1), one)
    # The first restarts: new counters from zero, a new ledger beside the old one.
    restarted = process(tmp_path, OCTOBER.replace(hour=11), one)
    assert len({first.path, second.path, restarted.path}) == 3
    status, out, _ = report(
        capsys, "--month", "2026-10", "--format", "csv", "--usage-dir", str(tmp_path)
    )
    assert status == 0
    assert out == "whois-43-queries,3\nsearchable-whois-queries,0\nrdap-queries,30\n"


def test_other_months_are_not_mixed_in(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    process(tmp_path, OCTOBER, {("rdap", "domain", "ok"): 4})
    process(tmp_path, OCTOBER.replace(month=9), {("rdap", "domain", "ok"): 100})
    _, out, _ = report(capsys, "--month", "2026-10", "--format", "csv",
                       "--usage-dir", str(tmp_path))
    assert out.endswith("rdap-queries,4\n")


def test_a_corrupt_ledger_is_reported_skipped_and_fails_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    process(tmp_path, OCTOBER, {("whois", "domain", "ok"): 6})
    (tmp_path / "usage-broken-1-x.json").write_text('{"months": {"2026-10": ')
    (tmp_path / "README").write_text("not a ledger, not a problem")
    status, out, err = report(
        capsys, "--month", "2026-10", "--format", "csv", "--usage-dir", str(tmp_path)
    )
    assert status == 1
    assert out.startswith("whois-43-queries,6\n")
    assert err == (
        f"rdap-coop: skipped {tmp_path / 'usage-broken-1-x.json'}: "
        "not valid JSON (line 1, column 24)\n"
    )


def test_no_ledger_at_all_is_not_a_clean_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = report(capsys, "--month", "2026-10", "--usage-dir", str(tmp_path))
    assert status == 1
    assert "no usage ledger found" in err
    assert "rdap-queries              0" in out


def test_the_directory_comes_from_the_option_else_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    process(tmp_path, OCTOBER, {("rdap", "domain", "ok"): 2})
    env = {"RDAP_COOP_USAGE_DIR": str(tmp_path)}
    status, out, _ = report(capsys, "--month", "2026-10", "--format", "csv", env=env)
    assert (status, out.splitlines()[-1]) == (0, "rdap-queries,2")
    status, _, err = report(capsys, "--month", "2026-10", env={"RDAP_COOP_USAGE_DIR": " "})
    assert status == 2
    assert "give --usage-dir or set RDAP_COOP_USAGE_DIR" in err
    status, _, err = report(capsys, "--usage-dir", str(tmp_path / "missing"))
    assert status == 2
    assert "cannot read the usage directory" in err


def test_the_default_month_is_the_previous_utc_month(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert previous_month(datetime(2026, 1, 15, tzinfo=UTC)) == "2025-12"
    assert previous_month(datetime(2026, 11, 30, 23, 59, tzinfo=UTC)) == "2026-10"
    # 00:30 on 1 March in UTC+2 is still February in UTC.
    east = datetime.fromisoformat("2026-03-01T00:30:00+02:00")
    assert previous_month(east) == "2026-01"
    last_month = previous_month(datetime.now(UTC))
    year, month = map(int, last_month.split("-"))
    process(tmp_path, datetime(year, month, 2, tzinfo=UTC), {("whois", "help", "ok"): 3})
    status, out, err = report(capsys, "--format", "csv", "--usage-dir", str(tmp_path))
    assert (status, err) == (0, "")
    assert out.startswith("whois-43-queries,3\n")


def test_a_month_not_over_yet_is_flagged_partial(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    process(tmp_path, OCTOBER, {("whois", "help", "ok"): 3})
    this_month = datetime.now(UTC).strftime("%Y-%m")
    status, _, err = report(capsys, "--month", this_month, "--usage-dir", str(tmp_path))
    assert status == 0
    assert f"{this_month} is not over yet" in err


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "October", "2026-10-01"])
def test_a_malformed_month_is_refused(month: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        parse("--month", month)
    assert stopped.value.code == 2
    assert "YYYY-MM" in capsys.readouterr().err


RDAP_QUERIES = [  # (path, status): every one an RDAP query we answer
    ("/domain/example.coop", 200),
    ("/domain/open-books.coop", 200),
    ("/domain/nothing-here.coop", 404),
    ("/domains?name=exa*", 200),
    ("/help", 200),
]
RDAP_NON_QUERIES = [  # not counted: the lookup page, an unknown path, a malformed search
    ("/", 200),
    ("/nothing", 400),
    ("/domains?name=*", 422),
]
WHOIS_QUERIES = [b"example.coop", b"nothing-here.coop", b"help"]
WHOIS_NON_QUERIES = [b"frobnicate example.coop"]


async def whois_ask(port: int, query: bytes) -> bytes:
    return await ask_whois(port, query + b"\r\n")


async def test_the_report_counts_the_queries_the_servers_answered(
    test_database: SampleDatabase,
    registry: Registry,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = make_settings(test_database.reader_dsn)
    limits = build_rate_limiter(settings.rate_limit)
    metrics = Metrics()
    ledger = UsageLedger(metrics, tmp_path, clock=clock_at(OCTOBER))
    client: Client = TestClient(TestServer(create_app(settings, registry, limits, metrics)))
    await client.start_server()
    whois = WhoisServer(registry, settings.whois, limits, metrics=metrics)
    await whois.start(hosts=["127.0.0.1"], port=0)
    try:
        for path, status in RDAP_QUERIES + RDAP_NON_QUERIES:
            async with client.get(path, headers=PROXY_HEADERS) as response:
                await response.read()
                assert response.status == status, path
        for query in WHOIS_QUERIES + WHOIS_NON_QUERIES:
            assert await whois_ask(whois.ports[0], query)
    finally:
        await whois.stop()
        await client.close()
    assert ledger.flush()
    status, out, err = report(
        capsys, "--month", "2026-10", "--format", "csv", "--usage-dir", str(tmp_path)
    )
    assert (status, err) == (0, "")
    assert out == (
        f"whois-43-queries,{len(WHOIS_QUERIES)}\n"
        "searchable-whois-queries,0\n"
        f"rdap-queries,{len(RDAP_QUERIES)}\n"
    )
    # Only closed labels and counts reach the file, never what was asked.
    text = ledger.path.read_text()
    assert "example" not in text and "nothing-here" not in text and "127.0.0.1" not in text
