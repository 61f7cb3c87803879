"""``--workers N``: real processes sharing one port, supervised, with merged metrics."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import SampleDatabase

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def workers_of(pid: int) -> set[int]:
    """The supervisor's worker processes (not multiprocessing's resource tracker)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    children = {int(child) for child in path.read_text().split()} if path.exists() else set()
    return {child for child in children if _is_worker(child)}


def _is_worker(pid: int) -> bool:
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def wait_until(predicate: object, seconds: float = 20.0) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.1)


def http_get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""


def whois(port: int, query: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(query + b"\r\n")
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
        return received


def served_requests(metrics_port: int, service: str) -> float:
    _, body = http_get(f"http://127.0.0.1:{metrics_port}/metrics")
    total = 0.0
    for family in text_string_to_metric_families(body.decode()):
        if family.name == "rdap_coop_requests":
            total += sum(s.value for s in family.samples
                         if s.name.endswith("_total") and s.labels["service"] == service)
    return total


@pytest.fixture
def environment(test_database: SampleDatabase, test_redis_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "RDAP_COOP_DATABASE_DSN": test_database.reader_dsn,
        "RDAP_COOP_REDIS_URL": test_redis_url,
        "RDAP_COOP_RDAP_PORT": str(free_port()),
        "RDAP_COOP_WHOIS_PORT": str(free_port()),
        "RDAP_COOP_WHOIS_HOSTS": "127.0.0.1",
        "RDAP_COOP_METRICS_PORT": str(free_port()),
        "RDAP_COOP_RATE_LIMIT_EXEMPT_NETWORKS": "127.0.0.0/8",
    }


@pytest.fixture
def supervised(environment: dict[str, str]) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    # The metrics port from the command line this time, as operators may give it.
    own = {k: v for k, v in environment.items() if k != "RDAP_COOP_METRICS_PORT"}
    process = start(["rdap-coop", "serve", "--workers", "2", "--metrics-port",
                     environment["RDAP_COOP_METRICS_PORT"]], own)
    try:
        yield process, environment["RDAP_COOP_RDAP_PORT"]
    finally:
        stop(process)


def start(command: list[str], environment: Mapping[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(VENV_BIN / command[0]), *command[1:]], env=dict(environment),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(10)
    if process.stderr is not None and not process.stderr.closed:
        print(process.stderr.read().decode(errors="replace"))  # shown when a test fails
        process.stderr.close()


def test_rdap_workers_share_the_port_survive_a_death_and_stop_gracefully(
    supervised: tuple[subprocess.Popen[bytes], str], environment: dict[str, str]
) -> None:
    process, port = supervised
    url = f"http://127.0.0.1:{port}/domain/example.coop"
    wait_until(lambda: http_get(url)[0] == 200)
    workers = workers_of(process.pid)
    assert len(workers) == 2
    for _ in range(40):
        assert http_get(url)[0] == 200
    metrics_port = int(environment["RDAP_COOP_METRICS_PORT"])
    # Every worker's counts, merged by the supervisor on the one metrics port.
    wait_until(lambda: served_requests(metrics_port, "rdap") >= 41)

    victim = min(workers)
    os.kill(victim, signal.SIGKILL)
    wait_until(lambda: victim not in workers_of(process.pid)
               and len(workers_of(process.pid)) == 2)
    wait_until(lambda: http_get(url)[0] == 200)
    assert process.poll() is None

    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0
    assert http_get(url)[0] == 0  # nothing listens any more


def test_whois_workers_share_the_port(environment: dict[str, str]) -> None:
    process = start(["whois-coop", "serve", "--workers", "2"], environment)
    port = int(environment["RDAP_COOP_WHOIS_PORT"])
    try:
        def answers() -> bool:
            try:
                return b"Domain Name: EXAMPLE.COOP" in whois(port, b"example.coop")
            except OSError:
                return False

        wait_until(answers)
        assert all(answers() for _ in range(20))
        assert len(workers_of(process.pid)) == 2
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    finally:
        stop(process)


def test_workers_without_a_shared_rate_limit_store_are_refused(
    environment: dict[str, str],
) -> None:
    del environment["RDAP_COOP_REDIS_URL"]
    for command in (["rdap-coop", "serve", "--workers", "3"],
                    ["whois-coop", "serve", "--workers", "3"]):
        process = start(command, environment)
        try:
            _, err = process.communicate(timeout=30)
        finally:
            stop(process)
        assert process.returncode == 2
        assert b"--workers=3 needs RDAP_COOP_REDIS_URL" in err
