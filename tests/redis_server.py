"""A throwaway ``redis-server`` for tests: a free port, a temp dir, no persistence.

Tests use ``RDAP_COOP_TEST_REDIS_URL`` when it is set; otherwise they start their own
server from the ``redis-server`` on PATH, and skip with a clear message when there is
neither. A test that kills and restarts Redis always starts its own.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory

REDIS_URL_VARIABLE = "RDAP_COOP_TEST_REDIS_URL"
START_TIMEOUT_SECONDS = 10.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def is_answering(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One ``redis-server`` process on a fixed port; it can be killed and restarted."""

    def __init__(self, executable: str, directory: Path) -> None:
        self.executable = executable
        self.directory = directory
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [
            self.executable,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.directory),
            "--logfile", str(self.directory / "redis.log"),
        ]
        self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not is_answering(self.port):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"redis-server did not start; see {self.directory}")
            time.sleep(0.01)

    def pause(self) -> None:
        """Hang as an overloaded or partitioned server would: connections stay open."""
        if self._process is not None:
            self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        """Die as a crash would: no shutdown, sockets reset."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None


def redis_server_executable() -> str | None:
    return shutil.which("redis-server")


@contextmanager
def own_redis_server() -> Iterator[RedisServer]:
    """Start a private server, or raise ``LookupError`` when redis-server is missing."""
    executable = redis_server_executable()
    if executable is None:
        raise LookupError("redis-server is not on PATH")
    with TemporaryDirectory(prefix="rdap-coop-redis-") as directory:
        server = RedisServer(executable, Path(directory))
        server.start()
        try:
            yield server
        finally:
            server.kill()


@contextmanager
def redis_url() -> Iterator[str]:
    """The configured test Redis, else a private one; ``LookupError`` when neither."""
    configured = os.environ.get(REDIS_URL_VARIABLE)
    if configured:
        yield configured
        return
    with own_redis_server() as server:
        yield server.url
